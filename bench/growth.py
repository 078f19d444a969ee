"""How `new` and `update` scale: with the template's size, the team's files and the
project's history, each against raw Copier at the same size, with a profile of the
largest update.

    uv run python -m bench.growth [--sizes 10 100 1000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import functools
import pstats
import shutil
import subprocess
import sys
import tempfile
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

from bench import _harness as h
from bench import _setup
from bench.update import compare


def _new(work: Path, env: dict[str, str], size: int, rounds: int) -> h.Timings:
    """`chassis new` against `copier copy` of a template with ``size`` more files."""
    chassis, copier = h.tool("chassis"), h.tool("copier")
    work.mkdir()
    repo = _setup.template_repo(work, env, extra_files=size)
    dest = {"copier copy": work / "copier" / "svc", "chassis new": work / "chassis" / "svc"}
    for folder in dest.values():
        folder.parent.mkdir()
    first = work / "first" / "svc"
    first.parent.mkdir()
    new: list[str | Path] = [
        chassis,
        "new",
        "--template",
        repo,
        "--preset",
        "minimal",
        "--defaults",
        "--yes",
    ]
    h.command([*new, "--no-git", "--no-lock", first], env=env)()
    answers = _setup.answers_file(first, work / "answers.yml")
    cases = {
        "copier copy": h.command(
            [
                copier,
                "copy",
                "--quiet",
                "--defaults",
                "--data-file",
                answers,
                repo,
                dest["copier copy"],
            ],
            env=env,
        ),
        "chassis new": h.command([*new, "--no-git", "--no-lock", dest["chassis new"]], env=env),
    }
    return h.interleave(
        cases, rounds=rounds, prepare=lambda name: shutil.rmtree(dest[name], ignore_errors=True)
    )


def _update(
    work: Path,
    env: dict[str, str],
    repo: Path,
    grow: Callable[[Path], None],
    rounds: int,
) -> tuple[h.Timings, Path]:
    snapshot = work / "snapshot" / "svc"
    snapshot.parent.mkdir(parents=True)
    _setup.generate(repo, snapshot, "minimal", env)
    grow(snapshot)
    timings, _ = compare(work, env, snapshot, rounds)
    return timings, snapshot


def _profile(snapshot: Path, work: Path, env: dict[str, str]) -> str:
    """Where `chassis update` spends its time on ``snapshot``: a table by package."""
    project = work / "profiled" / "svc"
    _setup.reset(snapshot, project)
    out = work / "update.prof"
    subprocess.run(
        [sys.executable, "-m", "cProfile", "-o", out, "-m", "chassis", "update"],
        cwd=project,
        env=env,
        check=True,
        capture_output=True,
    )
    stats = pstats.Stats(str(out))
    total = stats.total_tt  # type: ignore[attr-defined]  # pstats has it, typeshed does not
    areas: dict[str, float] = defaultdict(float)
    for (filename, _, function), row in stats.stats.items():  # type: ignore[attr-defined]
        areas[_area(filename, function)] += row[2]  # own time, callees excluded
    rows = "".join(
        f"| {area} | {seconds:.2f} s | {seconds / total:.0%} |\n"
        for area, seconds in sorted(areas.items(), key=lambda item: -item[1])
        if seconds / total >= 0.01
    )
    return f"| where | own time | share |\n|---|---|---|\n{rows}"


def _area(filename: str, function: str) -> str:
    if filename == "~":  # a built-in
        if any(word in function for word in ("poll", "waitpid", "select", "read", "fork_exec")):
            return "waiting for child processes (git, for chassis and Copier)"
        if "compile" in function:
            return "compiling (Jinja templates, imported modules)"
        return "other built-ins (file system, hashing)"
    for package in ("chassis", "copier", "jinja2", "plumbum", "pydantic", "dunamai", "yaml"):
        if f"/{package}/" in filename:
            return f"`{package}`"
    if "importlib" in filename or filename.startswith("<frozen"):
        return "importing modules"
    return "standard library and others"


def _table(results: dict[int, h.Timings], baseline: str, subject: str) -> str:
    rows = "".join(
        f"| {size:,} | {h.seconds(t.median(baseline))} | {h.seconds(t.median(subject))} | "
        f"{t.ratio(subject, baseline):.2f}× |\n"
        for size, t in results.items()
    )
    return f"| size | `{baseline}` | `{subject}` | ratio |\n|---|---|---|---|\n{rows}"


def _slope(results: dict[int, h.Timings], name: str) -> str:
    sizes = sorted(results)
    small, large = sizes[0], sizes[-1]
    per_item = (results[large].median(name) - results[small].median(name)) / (large - small)
    return f"{per_item * 1000:.1f} ms"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 100, 1000])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    sizes = sorted(args.sizes)
    template: dict[int, h.Timings] = {}
    files: dict[int, h.Timings] = {}
    history: dict[int, h.Timings] = {}
    with tempfile.TemporaryDirectory(prefix="bench-growth-") as tmp:
        work = Path(tmp)
        env = _setup.environment(work)
        repo = _setup.template_repo(work, env)
        for size in sizes:
            print(f"template +{size} files", flush=True)
            template[size] = _new(work / f"template-{size}", env, size, args.rounds)
        for size in sizes:
            print(f"project +{size} team files", flush=True)
            files[size], largest_files = _update(
                work / f"files-{size}",
                env,
                repo,
                functools.partial(_setup.add_team_files, count=size, env=env),
                args.rounds,
            )
        for size in sizes:
            print(f"history +{size} commits", flush=True)
            history[size], largest_history = _update(
                work / f"history-{size}",
                env,
                repo,
                functools.partial(_setup.add_history, count=size, env=env),
                args.rounds,
            )
        profile_files = _profile(largest_files, work / "profile-files", env)
        profile_history = _profile(largest_history, work / "profile-history", env)

    command_line = f"uv run python -m bench.growth --sizes {' '.join(map(str, sizes))}"
    body = f"""{h.header(f"{command_line} --rounds {args.rounds}", args.rounds)}

### `new` as the template grows (files added to the rendered project)

{_table(template, "copier copy", "chassis new")}
Each extra template file costs `chassis new` {_slope(template, "chassis new")} and
`copier copy` {_slope(template, "copier copy")} (from the smallest to the largest size).

### `update` as the team adds files

{_table(files, "copier update", "chassis update")}
Each team file costs `chassis update` {_slope(files, "chassis update")} and
`copier update` {_slope(files, "copier update")}.

### `update` as the history grows (commits on top of the generated one)

{_table(history, "copier update", "chassis update")}
Each commit costs `chassis update` {_slope(history, "chassis update")} and
`copier update` {_slope(history, "copier update")}.

### Where `chassis update` spends its time, {sizes[-1]:,} team files

Own time by package, from `python -m cProfile -m chassis update` (time in a function
itself, not in what it calls; a process's wait for git counts as waiting):

{profile_files}
### Where `chassis update` spends its time, {sizes[-1]:,} commits of history

{profile_history}"""
    print(body)
    h.record("Growth", body)


if __name__ == "__main__":
    main()
