"""`chassis update` over one template version with no conflicts, against a raw
`copier update` of the same project.

    uv run python -m bench.update [--rounds 5]

For each preset: a project generated at template 1.0.0 and committed, with a team's
edits committed on top (a README paragraph, a module), is updated to 1.1.0 (a changed
module and a new file). Each run starts from a fresh copy of that project. Target:
`chassis update` at most 1.15× `copier update`.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from bench import _harness as h
from bench import _setup

TARGET = 1.15


def compare(
    work: Path, env: dict[str, str], snapshot: Path, rounds: int
) -> tuple[h.Timings, dict[str, Path]]:
    """Time both updates of ``snapshot``, each on a fresh copy; check both applied the fix."""
    chassis, copier = h.tool("chassis"), h.tool("copier")
    dest = {"copier update": work / "copier" / "svc", "chassis update": work / "chassis" / "svc"}
    cases = {
        "copier update": h.command(
            [
                copier,
                "update",
                "--quiet",
                "--defaults",
                "--skip-answered",
                "--conflict",
                "inline",
                "--vcs-ref",
                _setup.NEW,
            ],
            cwd=dest["copier update"],
            env=env,
        ),
        "chassis update": h.command([chassis, "update"], cwd=dest["chassis update"], env=env),
    }
    timings = h.interleave(
        cases, rounds=rounds, prepare=lambda name: _setup.reset(snapshot, dest[name])
    )
    for name, project in dest.items():
        readme = (project / "README.md").read_text()
        kept = "Our team's introduction." in readme and "<<<<<<<" not in readme
        if not (project / "SECURITY.md").is_file() or not kept:
            raise SystemExit(f"{name} did not apply the template fix cleanly in {project}")
    return timings, dest


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    rows, ratios = "", {}
    with tempfile.TemporaryDirectory(prefix="bench-update-") as tmp:
        work = Path(tmp)
        env = _setup.environment(work)
        repo = _setup.template_repo(work, env)
        for preset in _setup.PRESETS:
            snapshot = work / preset / "snapshot" / "svc"
            snapshot.parent.mkdir(parents=True)
            _setup.generate(repo, snapshot, preset, env)
            timings, _ = compare(work / preset, env, snapshot, args.rounds)
            ratios[preset] = timings.ratio("chassis update", "copier update")
            for name in timings.runs:
                rows += (
                    f"| {preset} | `{name}` | {h.seconds(timings.median(name))} | "
                    f"{timings.ratio(name, 'copier update'):.2f}× |\n"
                )
            print(rows.splitlines()[-1], flush=True)
    worst = max(ratios.values())
    body = f"""{h.header(f"uv run python -m bench.update --rounds {args.rounds}", args.rounds)}

| preset | command | median | vs `copier update` |
|---|---|---|---|
{rows}
Target: `chassis update` at most {TARGET}× `copier update`: worst preset {worst:.2f}×,
{h.verdict(worst, TARGET)}. Both leave the team's edits and apply the template fix (the
benchmark checks). chassis's own part: it checks the tree is clean, merges in a
throwaway clone so a failed or interrupted update leaves the project untouched, and
copies back only the files the update changed.
"""
    print(body)
    h.record("`chassis update` against `copier update`", body)


if __name__ == "__main__":
    main()
