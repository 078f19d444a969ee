"""Lock a generated project's dependencies with uv, as ``new`` and ``update`` do."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
from pathlib import Path

__all__ = ["lock_dependencies", "uv_command", "uv_projects"]


def uv_command() -> str:
    """uv as a printed command should name it: ``uv`` when PATH has one, else the uv installed
    beside chassis, by its path (``pip install`` into ~/.chassis puts it in ~/.chassis/bin,
    which a new terminal does not have on PATH)."""
    if shutil.which("uv"):
        return "uv"
    from uv import find_uv_bin  # noqa: PLC0415 - lazy: only `new` needs it

    return shlex.quote(find_uv_bin())


def uv_projects(root: Path) -> list[Path]:
    """``root`` and each uv project beside it (infra/ has its own dependencies)."""
    return [root, *(file.parent for file in sorted(root.glob("*/pyproject.toml")))]


def lock_dependencies(project: Path, where: Path) -> list[str]:
    """Write uv.lock; on failure return a note instead, since the project is still usable."""
    from uv import find_uv_bin  # noqa: PLC0415 - lazy: only `new` needs it

    done = subprocess.run(
        [find_uv_bin(), "lock", "--quiet", "--no-progress"],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "UV_PYTHON_DOWNLOADS": "never"},
    )
    if done.returncode == 0:
        return []
    lines = [line.strip() for line in done.stderr.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("error:")]
    reason = errors[0] if errors else (lines[-1] if lines else "uv failed")
    place = "the project" if where == Path() else f"{where.as_posix()}/"
    # Python downloads are off above, so a missing interpreter is not a network problem.
    when = (
        "once its Python is installed (`uv python install` there reads .python-version)"
        if "No interpreter found" in reason
        else "once the package index is reachable"
    )
    return [f"dependencies are not locked yet ({reason}); run `uv lock` in {place} {when}"]
