"""What every benchmark shares: interleaved timing, the machine, and the results page.

Timing is written here rather than delegated to hyperfine or pytest-benchmark: a
figure is a ratio to a baseline measured in the same run, and the two are run
alternately, round by round in a rotating order, so a noisy neighbour on these
shared machines slows both alike. hyperfine runs each command's repetitions in one
block, and pytest-benchmark times functions in this process, not whole commands.
"""

from __future__ import annotations

import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PAGE = REPO / "docs" / "performance.md"
INTRO = "# Performance\n"  # the page's head when it does not exist yet


@dataclass
class Timings:
    """Seconds per run for each named case, measured round by round."""

    runs: dict[str, list[float]] = field(default_factory=dict)

    def median(self, name: str) -> float:
        return statistics.median(self.runs[name])

    def ratio(self, name: str, baseline: str) -> float:
        return self.median(name) / self.median(baseline)


def interleave(
    cases: Mapping[str, Callable[[], object]],
    *,
    rounds: int,
    prepare: Callable[[str], object] | None = None,
    warmup: bool = True,
) -> Timings:
    """Time each case once per round, the order rotating each round.

    ``prepare(name)`` runs untimed before each case (to reset a project, say). One
    untimed warm-up round fills the file system and package caches first.
    """
    names = list(cases)
    timings = Timings({name: [] for name in names})
    for round_ in range(-1 if warmup else 0, rounds):
        shift = max(round_, 0) % len(names)
        for name in names[shift:] + names[:shift]:
            if prepare is not None:
                prepare(name)
            started = time.perf_counter()
            cases[name]()
            elapsed = time.perf_counter() - started
            if round_ >= 0:
                timings.runs[name].append(elapsed)
    return timings


def command(
    argv: Sequence[str | Path], *, cwd: Path | None = None, env: Mapping[str, str] | None = None
) -> Callable[[], None]:
    """A case that runs ``argv`` and fails loudly if it does not succeed."""
    args = [str(a) for a in argv]

    def run() -> None:
        done = subprocess.run(
            args, cwd=cwd, env=dict(env) if env else None, capture_output=True, check=False
        )
        if done.returncode != 0:
            output = (done.stdout + done.stderr).decode(errors="replace")
            raise RuntimeError(f"`{' '.join(args)}` exited {done.returncode}:\n{output}")

    return run


def tool(name: str) -> str:
    """A command installed in this environment (beside this Python), else on PATH."""
    beside = Path(sys.executable).parent / name
    found = str(beside) if beside.exists() else shutil.which(name)
    if found is None:
        raise SystemExit(f"bench needs `{name}`: run it with `uv run python -m bench`")
    return found


def machine() -> str:
    """The machine and software the figures come from, for the results page."""
    model = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    load = f", load average {os.getloadavg()[0]:.1f}" if hasattr(os, "getloadavg") else ""
    return (
        f"{model}, {os.cpu_count()} CPUs{load}; {platform.system()} {platform.release()}; "
        f"Python {platform.python_version()}"
    )


def seconds(value: float) -> str:
    return f"{value * 1000:.0f} ms" if value < 1 else f"{value:.2f} s"


def verdict(value: float, target: float, *, at_most: bool = True) -> str:
    met = value <= target if at_most else value >= target
    return "met" if met else "**missed**"


def header(command_line: str, rounds: int) -> str:
    """The first lines of a section: when, where and how its figures were measured."""
    return (
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {machine()}. "
        f"Median of {rounds} interleaved rounds. Command: `{command_line}`."
    )


# The page's sections in order; `record` keeps them so. The others are written by hand.
SECTIONS = (
    "How the benchmarks run",
    "Start-up",
    "`chassis new` against `copier copy`",
    "`chassis update` against `copier update`",
    "Time to green",
    "Generated service throughput",
    "Growth",
    "The template matrix",
)


def record(heading: str, body: str) -> None:
    """Replace (or add, in the order of SECTIONS) the section ``## heading`` of
    docs/performance.md."""
    text = PAGE.read_text() if PAGE.exists() else INTRO
    section = f"## {heading}\n\n{body.strip()}\n"
    start = text.find(f"\n## {heading}\n")
    if start != -1:
        end = text.find("\n## ", start + 1)
        text = text[: start + 1] + section + (text[end:] if end != -1 else "")
    else:
        later = SECTIONS[SECTIONS.index(heading) + 1 :] if heading in SECTIONS else ()
        starts = [i for name in later if (i := text.find(f"\n## {name}\n")) != -1]
        at = min(starts) + 1 if starts else len(text)
        text = text[:at].rstrip() + "\n\n" + section + ("\n" + text[at:] if starts else "")
    PAGE.write_text(text)
