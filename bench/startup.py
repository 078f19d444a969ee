"""Start-up: `chassis --help` and `chassis --version` against `python -c pass` and
`copier --help`.

    uv run python -m bench.startup [--rounds 20]

Target: `chassis --help` in at most 0.15 s.
"""

from __future__ import annotations

import argparse
import sys

from bench import _harness as h

TARGET = 0.15


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args(argv)

    chassis, copier = h.tool("chassis"), h.tool("copier")
    cases = {
        "python -c pass": h.command([sys.executable, "-c", "pass"]),
        "copier --help": h.command([copier, "--help"]),
        "chassis --help": h.command([chassis, "--help"]),
        "chassis --version": h.command([chassis, "--version"]),
    }
    timings = h.interleave(cases, rounds=args.rounds)
    python = timings.median("python -c pass")
    rows = "\n".join(
        f"| `{name}` | {h.seconds(timings.median(name))} | "
        f"{timings.median(name) / python:.1f}× | "
        f"{timings.ratio(name, 'copier --help'):.2f}× |"
        for name in cases
    )
    help_time = timings.median("chassis --help")
    body = f"""{h.header(f"uv run python -m bench.startup --rounds {args.rounds}", args.rounds)}

| command | median | vs `python -c pass` | vs `copier --help` |
|---|---|---|---|
{rows}

Target: `chassis --help` in at most {h.seconds(TARGET)}: {h.seconds(help_time)},
{h.verdict(help_time, TARGET)}. chassis imports Copier, questionary and the template
only in the commands that use them, so `--help` and `--version` load Typer and the
command definitions alone (`python -X importtime -m chassis --help` shows the rest).
"""
    print(body)
    h.record("Start-up", body)


if __name__ == "__main__":
    main()
