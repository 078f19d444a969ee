"""Remember which rendered variants passed their checks, so that a template author's next
`pytest -m matrix --reuse-passes` checks only the variants whose files changed.

A pass is keyed on everything that decides the outcome: every file the variant renders
(its lock files included, so a new release of a dependency is a new key), the checks
themselves (tests/checks.py) and the tools this machine runs them with (chassis's own
lock file, with the validators' versions, and the versions of uv, Node.js, PostgreSQL and
the interpreters). A variant whose key passed before is reported as skipped, with the
date of that pass, never as passed; without --reuse-passes nothing is skipped, and CI
never passes it. The generated ADRs carry the day they were rendered, so a pass is
reused on the day it was made only.

pytest's own cache (`--lf`) remembers failures by test id, not what was checked; a
pass must be keyed on content, hence this small module.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

from conftest import REPO, UV_CACHE
from uv import find_uv_bin

PASSES = UV_CACHE.parent / "chassis-test-passes"
SKIPPED = {".git", ".venv", "cdk.out", "build", "__pycache__", ".mypy_cache"}


def _version(argv: list[str]) -> str:
    if shutil.which(argv[0]) is None and not Path(argv[0]).is_file():
        return f"{argv[0]}: missing"
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    return f"{' '.join(argv)}: {done.returncode} {done.stdout.strip()} {done.stderr.strip()}"


@cache
def tools() -> str:
    """What the checks run with on this machine, as text to hash."""
    pg_ctl = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))
    probes = [
        [find_uv_bin(), "--version"],
        ["node", "--version"],
        [str(pg_ctl[-1]) if pg_ctl else "pg_ctl", "--version"],
        *([f"python3.{minor}", "--version"] for minor in (11, 12, 13)),
    ]
    return "\n".join(
        [
            sys.version,
            (REPO / "uv.lock").read_text(),
            (REPO / "tests" / "checks.py").read_text(),
            *(_version(argv) for argv in probes),
        ]
    )


def key(project: Path) -> str:
    """The hash of ``project``'s rendered files and of :func:`tools`."""
    digest = hashlib.sha256(tools().encode())
    files = (p for p in project.rglob("*") if not SKIPPED & set(p.relative_to(project).parts))
    for path in sorted(p for p in files if p.is_file() or p.is_symlink()):
        digest.update(str(path.relative_to(project)).encode() + b"\0")
        data = str(path.readlink()).encode() if path.is_symlink() else path.read_bytes()
        digest.update(hashlib.sha256(data).digest())
    return digest.hexdigest()


def passed_before(project_key: str) -> str | None:
    """When a variant with this key last passed (ISO date and time), or None."""
    record = PASSES / f"{project_key}.json"
    if not record.is_file():
        return None
    passed: str = json.loads(record.read_text())["passed"]
    return passed


def record_pass(project_key: str, label: str) -> None:
    PASSES.mkdir(parents=True, exist_ok=True)
    partial = PASSES / f".{project_key}.{os.getpid()}.tmp"
    when = datetime.now(UTC).isoformat(timespec="seconds")
    partial.write_text(json.dumps({"variant": label, "passed": when}) + "\n")
    partial.replace(PASSES / f"{project_key}.json")
