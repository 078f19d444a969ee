"""`chassis new` with each preset against a raw `copier copy` of the same template with
the same answers.

    uv run python -m bench.new [--rounds 5]

Both render the bundled template, from the same git bundle and at the same version.
`chassis new --no-git --no-lock` does the same work as `copier copy` (target: at most
1.15× its time); plain `chassis new`, what a user runs, also makes the first commit and
locks the dependencies with uv, and is reported beside it.
"""

from __future__ import annotations

import argparse
import filecmp
import shutil
import tempfile
from pathlib import Path

from bench import _harness as h
from bench import _setup

TARGET = 1.15


def _same_tree(left: Path, right: Path) -> bool:
    compared = filecmp.dircmp(left, right)
    if compared.left_only or compared.right_only or compared.diff_files or compared.funny_files:
        return False
    return all(_same_tree(left / name, right / name) for name in compared.common_dirs)


def _preset(work: Path, env: dict[str, str], preset: str, rounds: int) -> tuple[str, float]:
    chassis, copier = h.tool("chassis"), h.tool("copier")
    dest = {name: work / name / "svc" for name in ("first", "copier", "same", "full")}
    for folder in dest.values():
        folder.parent.mkdir(parents=True)
    new: list[str | Path] = [chassis, "new", "--preset", preset, "--defaults", "--yes"]
    # One run first: it writes the bundle Copier reads, and the answers to give it.
    first = dest.pop("first")
    h.command([*new, "--no-git", "--no-lock", first], env=env)()
    answers = _setup.answers_file(first, work / "answers.yml")
    recorded = (first / ".copier-answers.yml").read_text()
    version = next(
        line.split(": ")[1] for line in recorded.splitlines() if line.startswith("_commit")
    )
    # The path as chassis gives it to Copier, which expands the `~` (in the private HOME).
    bundle = "~/.cache/chassis/templates/service.bundle"
    cases = {
        "copier copy": h.command(
            [
                copier,
                "copy",
                "--quiet",
                "--defaults",
                "--data-file",
                answers,
                "--vcs-ref",
                version,
                bundle,
                dest["copier"],
            ],
            env=env,
        ),
        "chassis new --no-git --no-lock": h.command(
            [*new, "--no-git", "--no-lock", dest["same"]], env=env
        ),
        "chassis new": h.command([*new, dest["full"]], env=env),
    }
    keys = dict(zip(cases, dest.values(), strict=True))
    timings = h.interleave(
        cases, rounds=rounds, prepare=lambda name: shutil.rmtree(keys[name], ignore_errors=True)
    )
    identical = _same_tree(dest["copier"], dest["same"])
    base = timings.median("copier copy")
    rows = "".join(
        f"| {preset} | `{name}` | {h.seconds(timings.median(name))} | "
        f"{timings.median(name) / base:.2f}× |\n"
        for name in cases
    )
    ratio = timings.ratio("chassis new --no-git --no-lock", "copier copy")
    print(rows, f"identical trees: {identical}")
    if not identical:
        raise SystemExit(f"{preset}: chassis new and copier copy rendered different trees")
    return rows, ratio


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    rows, ratios = "", {}
    with tempfile.TemporaryDirectory(prefix="bench-new-") as tmp:
        env = _setup.environment(Path(tmp))
        for preset in _setup.PRESETS:
            table, ratios[preset] = _preset(Path(tmp) / preset, env, preset, args.rounds)
            rows += table
    worst = max(ratios.values())
    body = f"""{h.header(f"uv run python -m bench.new --rounds {args.rounds}", args.rounds)}

| preset | command | median | vs `copier copy` |
|---|---|---|---|
{rows}
Target: `chassis new --no-git --no-lock` at most {TARGET}× `copier copy`: worst preset
{worst:.2f}×, {h.verdict(worst, TARGET)}. Both render identical trees (the benchmark
compares them). What chassis adds to Copier's work: its start-up, validating the
answers against copier.yml, and copying the bundled template into place; plain
`chassis new` also makes the first commit and runs `uv lock` (warm cache).
"""
    print(body)
    h.record("`chassis new` against `copier copy`", body)


if __name__ == "__main__":
    main()
