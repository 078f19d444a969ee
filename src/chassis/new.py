"""``chassis new``: render a template into a new directory, all or nothing.

Copier renders into the target and runs the template's tasks there, as ``copier copy``
does; a failure or Ctrl-C removes what was written, so no half project is left.
"""

from __future__ import annotations

import os
import shutil
import signal
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chassis import _copier, git
from chassis._scratch import HELD, held_until_exit, scratch
from chassis.errors import InvalidTargetError
from chassis.lock import lock_dependencies, uv_projects
from chassis.modules import render_new_module
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
    skip_tasks: bool = False,
    on_created: Callable[[NewResult], None] | None = None,
) -> NewResult:
    """Render ``template`` with ``answers`` into the new directory ``dest``.

    Copier renders into ``dest`` itself and runs the template's tasks there, as
    ``copier copy`` does: a task that writes an absolute path, an ignored file or a git
    hook writes it where the project will live. The git repository comes first, so a
    task's own ``git init`` and an SCM-versioned build (at ``uv lock``) see chassis's
    branch. If anything fails, or Ctrl-C arrives, ``dest`` is removed again (emptied,
    if it was an empty directory already): no half project is left.

    With ``lock``, a Python project's dependencies are locked with uv before the
    first commit; if that fails (offline, say) the project is still created and
    a note says how to lock later. ``skip_tasks`` is Copier's ``--skip-tasks``.
    ``on_created`` gets the result the moment the
    project is complete, before Ctrl-C or SIGTERM can cut in: the caller hears of it
    before any interruption could say that nothing was created.

    Copier's template clones, made in the temporary directory, live in one scratch
    folder that goes on every way out, the interrupted ones included.
    """
    dest = check_target(dest)
    existed = dest.is_dir()
    with held_until_exit(), scratch():
        try:
            result = _render(
                template, dest, answers, commit=commit, trust=trust, lock=lock, skip=skip_tasks
            )
            # Held from here until new() returns. A signal that came before is raised
            # by this very call, inside the try: the project goes, as the message says.
            signal.pthread_sigmask(signal.SIG_BLOCK, HELD)
        except BaseException:
            _discard(dest, keep_folder=existed)
            raise
        if on_created is not None:
            on_created(result)
    return result


def _render(
    template: OpenTemplate,
    dest: Path,
    answers: Mapping[str, Any],
    *,
    commit: bool,
    trust: bool,
    lock: bool,
    skip: bool,
) -> NewResult:
    """The project rendered (its tasks run, unless ``skip``), locked and committed in
    ``dest``."""
    notes: list[str] = []
    locked = False
    dest.mkdir(exist_ok=True)
    if commit:
        git.init(dest)
    _copier.run_copy(template, dest, answers, trust=trust, skip_tasks=skip)
    for name in template.spec.modules_for(answers):
        render_new_module(template, dest, answers, name, trust=trust, skip_tasks=skip)
    if lock and (dest / "pyproject.toml").is_file():
        for project in uv_projects(dest):
            notes += lock_dependencies(project, project.relative_to(dest))
        locked = not notes
    if commit:
        fallback = git.commit_all(
            dest,
            f"Generate {answers.get('project_name', dest.name)} from "
            f"{_template_name(template)} {template.version}",
            name=str(answers.get("author_name", "")),
            email=str(answers.get("author_email", "")),
        )
        if fallback is not None:
            notes.append(
                f"git has no identity (user.name, user.email), so the first commit is "
                f"authored {fallback}; set yours with `git config --global user.name "
                '"Your Name"` and `git config --global user.email you@example.com`'
            )
    return NewResult(
        dest, template.version, template.source.url, dict(answers), commit, locked, tuple(notes)
    )


def _template_name(template: OpenTemplate) -> str:
    """How the first commit names its template: the bundled one as chassis's, any other
    by the source the project records (so its history says where it came from)."""
    return "chassis template" if template.source.bundled else f"template {template.source.url}"


def _discard(dest: Path, *, keep_folder: bool) -> None:
    """Remove what ``new`` wrote, with Ctrl-C held off until it is gone."""
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, HELD)
    try:
        if not keep_folder:
            shutil.rmtree(dest, ignore_errors=True)
            return
        for entry in dest.iterdir():
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                entry.unlink(missing_ok=True)
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)
