"""Requests per second of the generated service, each figure against baselines from the same run.

    python -m bench.service_throughput [--duration 10] [--runs 3]

Renders the default project, then serves three apps in turn with uvicorn (one
worker, pinned to CPU 0) and loads each with wrk (pinned to CPU 1) on loopback:

- ``full``: the generated app, with its request middleware and JSON logging;
- ``no-middleware``: the same app with the request middleware removed;
- ``bare``: a FastAPI hello world answering /health.

Needs wrk (``apt-get install wrk``) and taskset. Reports medians and ratios, and
writes them to docs/performance.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

from uv import find_uv_bin

from chassis import engine

REPO = Path(__file__).resolve().parent.parent
APPS = """
from fastapi import FastAPI

from bench_svc.app import create_app


def full() -> FastAPI:
    return create_app()


def no_middleware() -> FastAPI:
    app = create_app()
    app.user_middleware.clear()  # the stack is built on first request: this removes it
    return app


def bare() -> FastAPI:
    app = FastAPI()

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    return app
"""


def _render(workdir: Path) -> Path:
    template = engine.open_template()
    # The project runs on this interpreter: no other Python needs to be installed.
    python = f"{sys.version_info.major}.{sys.version_info.minor}"
    answers = template.spec.resolve(
        {"python_version": python}, context={"_folder_name": "bench-svc"}
    )
    project = workdir / "bench-svc"
    engine.new(template=template, dest=project, answers=answers, commit=False)
    (project / "bench_apps.py").write_text(APPS)
    uv = find_uv_bin()
    subprocess.run(
        [uv, "sync", "--quiet", "--no-dev", "--python", sys.executable], cwd=project, check=True
    )
    subprocess.run([uv, "run", "--no-dev", "bench-svc", "migrate"], cwd=project, check=True)
    return project


def _serve(project: Path, app: str, port: int) -> subprocess.Popen[bytes]:
    command = [
        "taskset",
        "-c",
        "0",
        find_uv_bin(),
        "run",
        "--no-dev",
        "--no-sync",
        "uvicorn",
        f"bench_apps:{app}",
        "--factory",
        "--port",
        str(port),
        "--log-level",
        "warning",
        "--no-access-log",
    ]
    server = subprocess.Popen(command, cwd=project, stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1)
        except OSError:
            time.sleep(0.2)
        else:
            return server
    server.kill()
    raise RuntimeError(f"{app} did not start")


def _wrk(url: str, duration: int) -> float:
    done = subprocess.run(
        ["taskset", "-c", "1", "wrk", "-t1", "-c32", f"-d{duration}s", url],
        capture_output=True,
        text=True,
        check=True,
    )
    match = re.search(r"Requests/sec:\s+([\d.]+)", done.stdout)
    if match is None:
        raise RuntimeError(done.stdout)
    return float(match.group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    if not shutil.which("wrk") or not shutil.which("taskset"):
        sys.exit("needs wrk and taskset: apt-get install wrk util-linux")

    results: dict[tuple[str, str], float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        project = _render(Path(tmp))
        cases = [
            ("full", "/health"),
            ("no_middleware", "/health"),
            ("bare", "/health"),
            ("full", "/notes?limit=1"),
            ("no_middleware", "/notes?limit=1"),
        ]
        for index, (app, path) in enumerate(cases):
            port = 8700 + index
            server = _serve(project, app, port)
            try:
                _wrk(f"http://127.0.0.1:{port}{path}", 2)  # warm up
                runs = [
                    _wrk(f"http://127.0.0.1:{port}{path}", args.duration) for _ in range(args.runs)
                ]
            finally:
                server.terminate()
                server.wait()
            results[(app, path)] = statistics.median(runs)
            print(f"{app:>14} {path:<16} {results[(app, path)]:>9.0f} req/s  (runs: {runs})")

    health_ratio = results[("full", "/health")] / results[("no_middleware", "/health")]
    bare_ratio = results[("full", "/health")] / results[("bare", "/health")]
    notes_ratio = results[("full", "/notes?limit=1")] / results[("no_middleware", "/notes?limit=1")]
    print(f"full / no-middleware on /health: {health_ratio:.2f}")
    print(f"full / no-middleware on /notes:  {notes_ratio:.2f}")
    print(f"full / bare FastAPI on /health:  {bare_ratio:.2f}")
    _record(results, health_ratio, notes_ratio, bare_ratio, args)


def _record(
    results: dict[tuple[str, str], float],
    health_ratio: float,
    notes_ratio: float,
    bare_ratio: float,
    args: argparse.Namespace,
) -> None:
    rows = "\n".join(
        f"| {app.replace('_', '-')} | `{path}` | {rps:,.0f} |"
        for (app, path), rps in results.items()
    )
    section = f"""## Generated service throughput

Measured {datetime.now(UTC):%Y-%m-%d} on {platform.machine()}, {os.cpu_count()} CPUs, Python
{platform.python_version()}; uvicorn (1 worker) on CPU 0, `wrk -t1 -c32 -d{args.duration}s` on
CPU 1, median of {args.runs} runs, JSON logs to /dev/null. Command:
`python -m bench.service_throughput --duration {args.duration} --runs {args.runs}`.

| app | route | requests/s |
|---|---|---|
{rows}

- full stack / same app without the request middleware, `/health`: **{health_ratio:.2f}**
- full stack / same app without the request middleware, `/notes`: **{notes_ratio:.2f}**
- full stack / bare FastAPI hello world, `/health`: **{bare_ratio:.2f}**

Target: at least 0.8 against the app without the middleware.
"""
    page = REPO / "docs" / "performance.md"
    intro = "# Performance\n\nFigures from `bench/`, each against a baseline from the same run.\n"
    text = page.read_text() if page.exists() else intro
    start = text.find("## Generated service throughput")
    if start != -1:
        end = text.find("\n## ", start + 1)
        text = text[:start] + text[end + 1 :] if end != -1 else text[:start]
    page.write_text(text.rstrip() + "\n\n" + section)


if __name__ == "__main__":
    main()
