"""Time to green: `chassis new --defaults`, `uv sync` with a warm cache, and the
generated tests passing.

    uv run python -m bench.green [--rounds 3]

Each round starts from nothing: a new project, its environment created by uv from the
warm package cache, then its test-suite. Target: at most 10 s in all on a quiet machine.

Each step's wall time and its share of the total are printed round by round and written
to docs/performance.md, with the CPU time (user and system) of its processes: on a
shared, loaded machine the wall times stretch, the CPU times much less.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from bench import _harness as h
from bench import _setup

TARGET = 10.0


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
    cpu: dict[str, list[float]] = {name: [] for name in steps}
    totals: list[float] = []
    python = ""
    with tempfile.TemporaryDirectory(prefix="bench-green-") as tmp:
        work = Path(tmp)
        env = _setup.environment(work)
        # As on a developer's machine, Python keeps the bytecode it compiles: the first
        # pytest process compiles the project's packages (uv installs them without .pyc)
        # and the others reuse them. Set, as in some CI images, every process compiles
        # them again.
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        project = work / "svc"
        commands = [
            h.command([chassis, "new", "--defaults", "--yes", project], env=env),
            h.command([uv, "sync", "--quiet"], cwd=project, env=env),
            h.command([uv, "run", "pytest", "-q", "-p", "no:cacheprovider"], cwd=project, env=env),
        ]
        for round_ in range(-1, args.rounds):  # round -1 warms the caches, untimed
            shutil.rmtree(project, ignore_errors=True)
            total = 0.0
            shares: list[tuple[str, float, float]] = []
            for name, run in zip(steps, commands, strict=True):
                used = _children_cpu()
                started = time.perf_counter()
                run()
                elapsed = time.perf_counter() - started
                shares.append((name, elapsed, _children_cpu() - used))
                total += elapsed
            python = (project / ".python-version").read_text().strip()
            if round_ >= 0:
                for name, elapsed, used in shares:
                    steps[name].append(elapsed)
                    cpu[name].append(used)
                totals.append(total)
                per_step = ", ".join(
                    f"{name} {elapsed:.1f} s ({elapsed / total:.0%}, CPU {used:.1f} s)"
                    for name, elapsed, used in shares
                )
                print(f"round {round_ + 1}: {total:.1f} s: {per_step}", flush=True)
    total = statistics.median(totals)
    rows = "".join(
        f"| {name} | {h.seconds(statistics.median(times))} | "
        f"{statistics.median(times) / total:.0%} | {h.seconds(statistics.median(cpu[name]))} |\n"
        for name, times in steps.items()
    )
    total_cpu = statistics.median(
        sum(cpu[name][index] for name in steps) for index in range(len(totals))
    )
    body = f"""{h.header(f"uv run python -m bench.green --rounds {args.rounds}", args.rounds)}

| step | median | share of the total | CPU time (user + system) |
|---|---|---|---|
{rows}| **in all** | **{h.seconds(total)}** | | {h.seconds(total_cpu)} |

Target: at most {h.seconds(TARGET)} from nothing to passing tests: {h.seconds(total)},
{h.verdict(total, TARGET)}. `chassis new` includes the first commit and `uv lock`; the
project's Python ({python}) is installed, and uv's package cache is warm, as on a
developer's machine after their first project.
"""
    print(body)
    h.record("Time to green", body)


def _children_cpu() -> float:
    """User and system seconds of this process's finished children so far."""
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


if __name__ == "__main__":
    main()
