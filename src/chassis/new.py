"""``chassis new``: render a template into a new directory, all or nothing.

The project is rendered into a temporary directory beside the target and moved into
place at the end, so a failure or Ctrl-C leaves no half project.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chassis import _copier, git
from chassis.errors import InvalidTargetError
from chassis.lock import lock_dependencies, uv_projects
from chassis.projects import OpenTemplate

__all__ = ["NewResult", "check_target", "new"]


@dataclass(frozen=True)
class NewResult:
    path: Path
    version: str
    source: str
    answers: Mapping[str, Any]
    committed: bool
    locked: bool = False
    notes: tuple[str, ...] = ()


def check_target(dest: Path) -> Path:
    """Fail unless ``dest`` can receive a new project; return it made absolute."""
    dest = Path(os.path.abspath(dest.expanduser()))  # noqa: PTH100 - keep symlinked names
    if dest.is_file():
        raise InvalidTargetError(f"{dest} is a file", "choose a directory name for the new project")
    if dest.is_dir() and any(dest.iterdir()):
        raise InvalidTargetError(
            f"{dest} already exists and is not empty",
            "choose a new directory name, or use `chassis update` inside an existing project",
        )
    parent = dest.parent
    if not parent.is_dir():
        raise InvalidTargetError(
            f"the parent directory {parent} does not exist", f"create it first: mkdir -p {parent}"
        )
    if not os.access(parent, os.W_OK | os.X_OK):
        raise InvalidTargetError(
            f"cannot write to {parent}",
            "choose a directory you can write to, or fix its permissions",
        )
    return dest


def new(
    *,
    template: OpenTemplate,
    dest: Path,
    answers: Mapping[str, Any],
    commit: bool = True,
    trust: bool = False,
    lock: bool = True,
) -> NewResult:
    """Render ``template`` with ``answers`` into the new directory ``dest``.

    With ``lock``, a Python project's dependencies are locked with uv before the
    first commit; if that fails (offline, say) the project is still created and
    a note says how to lock later.
    """
    dest = check_target(dest)
    staging_root = Path(tempfile.mkdtemp(prefix=f".{dest.name}.chassis-", dir=dest.parent))
    notes: list[str] = []
    locked = False
    try:
        stage = staging_root / dest.name
        _copier.run_copy(template, stage, answers, trust=trust)
        if lock and (stage / "pyproject.toml").is_file():
            for project in uv_projects(stage):
                notes += lock_dependencies(project, project.relative_to(stage))
            locked = not notes
        if commit:
            git.init(stage)
            git.commit_all(
                stage,
                f"Generate {answers.get('project_name', dest.name)} from chassis template "
                f"{template.version}",
                name=str(answers.get("author_name", "")),
                email=str(answers.get("author_email", "")),
            )
        _move_into_place(stage, dest)
    finally:
        shutil.rmtree(staging_root, ignore_errors=True)
    return NewResult(
        dest, template.version, template.source.url, dict(answers), commit, locked, tuple(notes)
    )


def _move_into_place(stage: Path, dest: Path) -> None:
    if not dest.exists():
        stage.rename(dest)  # atomic: the project appears whole or not at all
        return
    # An existing empty directory (perhaps the shell's working directory): fill it.
    moved: list[Path] = []
    try:
        for entry in sorted(stage.iterdir()):
            target = dest / entry.name
            entry.rename(target)
            moved.append(target)
    except BaseException:
        for target in moved:
            if target.is_dir() and not target.is_symlink():
                shutil.rmtree(target, ignore_errors=True)
            else:
                target.unlink(missing_ok=True)
        raise
