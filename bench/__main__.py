"""Run the benchmarks and record their figures in docs/performance.md.

    uv run python -m bench                # every benchmark, in the order below
    uv run python -m bench startup new    # only these
    uv run python -m bench --quick        # fewer rounds: a smoke run, not figures to quote

Each benchmark is also a module with its own options: `python -m bench.<name> --help`.
"""

from __future__ import annotations

import argparse
import importlib
import time

# Each benchmark's arguments for a full run and for --quick.
BENCHMARKS: dict[str, tuple[list[str], list[str]]] = {
    "startup": ([], ["--rounds", "5"]),
    "new": ([], ["--rounds", "2"]),
    "update": ([], ["--rounds", "2"]),
    "green": ([], ["--rounds", "1"]),
    "service": ([], ["--duration", "2", "--runs", "1"]),
    "growth": ([], ["--sizes", "10", "100", "--rounds", "1"]),
}
MODULES = {"service": "service_throughput"}


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench", description="Run chassis's benchmarks (see docs/performance.md)."
    )
    parser.add_argument("names", nargs="*", metavar="name", help=", ".join(BENCHMARKS))
    parser.add_argument("--quick", action="store_true", help="few rounds: check the benchmarks run")
    args = parser.parse_args()
    unknown = [name for name in args.names if name not in BENCHMARKS]
    if unknown:
        parser.error(
            f"no benchmark named {', '.join(unknown)}; choose from {', '.join(BENCHMARKS)}"
        )
    for name in args.names or list(BENCHMARKS):
        full, quick = BENCHMARKS[name]
        module = importlib.import_module(f"bench.{MODULES.get(name, name)}")
        print(f"== {name}", flush=True)
        started = time.perf_counter()
        module.main(quick if args.quick else full)
        print(f"== {name}: {time.perf_counter() - started:.0f} s", flush=True)


if __name__ == "__main__":
    main()
