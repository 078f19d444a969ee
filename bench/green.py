"""Time to green: `chassis new --defaults`, `uv sync` with a warm cache, and the
generated tests passing.

    uv run python -m bench.green [--rounds 3]

Each round starts from nothing: a new project, its environment created by uv from the
warm package cache, then its test-suite. Target: at most 30 s in all.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from bench import _harness as h
from bench import _setup

TARGET = 30.0


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    chassis, uv = h.tool("chassis"), h.tool("uv")
    steps: dict[str, list[float]] = {
        "`chassis new --defaults svc`": [],
        "`uv sync`": [],
        "`uv run pytest`": [],
    }
    totals: list[float] = []
    python = ""
    with tempfile.TemporaryDirectory(prefix="bench-green-") as tmp:
        work = Path(tmp)
        env = _setup.environment(work)
        project = work / "svc"
        commands = [
            h.command([chassis, "new", "--defaults", "--yes", project], env=env),
            h.command([uv, "sync", "--quiet"], cwd=project, env=env),
            h.command([uv, "run", "pytest", "-q", "-p", "no:cacheprovider"], cwd=project, env=env),
        ]
        for round_ in range(-1, args.rounds):  # round -1 warms the caches, untimed
            shutil.rmtree(project, ignore_errors=True)
            total = 0.0
            for name, run in zip(steps, commands, strict=True):
                started = time.perf_counter()
                run()
                elapsed = time.perf_counter() - started
                total += elapsed
                if round_ >= 0:
                    steps[name].append(elapsed)
            python = (project / ".python-version").read_text().strip()
            if round_ >= 0:
                totals.append(total)
                print(f"round {round_ + 1}: {total:.1f} s", flush=True)
    total = statistics.median(totals)
    rows = "".join(
        f"| {name} | {h.seconds(statistics.median(times))} | "
        f"{statistics.median(times) / total:.0%} |\n"
        for name, times in steps.items()
    )
    body = f"""{h.header(f"uv run python -m bench.green --rounds {args.rounds}", args.rounds)}

| step | median | share of the total |
|---|---|---|
{rows}| **in all** | **{h.seconds(total)}** | |

Target: at most {h.seconds(TARGET)} from nothing to passing tests: {h.seconds(total)},
{h.verdict(total, TARGET)}. `chassis new` includes the first commit and `uv lock`; the
project's Python ({python}) is installed, and uv's package cache is warm, as on a
developer's machine after their first project.
"""
    print(body)
    h.record("Time to green", body)


if __name__ == "__main__":
    main()
