"""``chassis update``: merge later template versions, and changed answers, into a project.

It never runs Copier in the team's tree. It refuses a dirty tree, runs ``copier
update`` in a throwaway clone, and copies the result back with signals held off; if
anything fails, every touched file is restored from HEAD, which is exact because the
tree was clean.
"""

from __future__ import annotations

import contextlib
import shutil
import signal
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from packaging.version import Version

from chassis import _copier, git, sources
from chassis import answers as answers_
from chassis._copier import Conflict
from chassis._decisions import Decision, record_decisions
from chassis.errors import ChassisError, DirtyTreeError, GitError, UpdateInProgressError
from chassis.lock import lock_dependencies, uv_projects
from chassis.projects import OpenTemplate, read_project, source_for

__all__ = ["FileChange", "Status", "UpdateResult", "update"]

Status = Literal["added", "updated", "conflict", "deleted", "kept-deleted"]


@dataclass(frozen=True)
class FileChange:
    """What an update does to one file, relative to the project root."""

    path: str
    status: Status


@dataclass(frozen=True)
class UpdateResult:
    path: Path
    from_version: str
    to_version: str
    changes: tuple[FileChange, ...] = ()
    applied: bool = False
    changed_answers: Mapping[str, Any] = field(default_factory=dict)
    decisions: tuple[Decision, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def conflicts(self) -> list[str]:
        return [c.path for c in self.changes if c.status == "conflict"]


def update(
    *,
    path: Path,
    to: str | None = None,
    overrides: Mapping[str, Any] | None = None,
    conflict: Conflict = "inline",
    plan: bool = False,
    trust: bool = False,
    reason: str | None = None,
) -> UpdateResult:
    """Merge the template's changes (and changed answers) into the project at ``path``.

    A changed answer that the template records as an ADR gets a new ADR superseding
    the old one, with ``reason`` as why it changed.
    """
    project = read_project(path)
    root = _git_root(project.path)
    source = source_for(project)
    target = source.require(to) if to else source.latest
    if Version(target) < Version(project.version):
        raise ChassisError(
            f"cannot update from template {project.version} back to {target}",
            "pass a --to version newer than the project's, or revert with git",
        )
    dirty = git.dirty_files(project.path)
    if dirty:
        raise DirtyTreeError(project.path, dirty)
    template = OpenTemplate(source, target, answers_.TemplateSpec(()))
    changed: dict[str, Any] = {}
    if overrides:
        with sources.checkout(source, target) as folder:
            spec = answers_.load_spec(folder, trusted=trust or source.trusted, source=source.url)
        stored = {k: v for k, v in project.stored_answers.items() if k in spec.names}
        resolved = spec.resolve(
            {**stored, **overrides}, context={"_folder_name": project.path.name}
        )
        # A key missing from `resolved` is a question this template no longer asks.
        changed = {
            k: resolved[k] for k in overrides if k in resolved and resolved[k] != stored.get(k)
        }
        template = OpenTemplate(source, target, spec)
    if target == project.version and not changed:
        return UpdateResult(project.path, project.version, target, applied=not plan)

    relpath = project.path.relative_to(root)
    with _update_lock(root, project.path), tempfile.TemporaryDirectory(prefix="chassis-") as tmp:
        # Again under the lock: another update may have finished between the check above
        # and this one taking the lock, leaving its result uncommitted. Merging from HEAD
        # and copying over that result would mix the two (tests/test_interruptions.py).
        dirty = git.dirty_files(project.path)
        if dirty:
            raise DirtyTreeError(project.path, dirty)
        clone = Path(tmp) / "work"
        git.clone(root, clone)
        work = clone / relpath
        _copier.run_update(template, work, changed, conflict=conflict, trust=trust)
        notes = _relock(work, original=project.path)
        if changed or plan:  # the template as the update leaves it, once for both uses
            new = Path(tmp) / "new" / project.path.name
            stored = project.stored_answers
            _copier.run_copy(template, new, {**stored, **changed}, trust=trust, skip_tasks=True)
        decisions: list[Decision] = []
        if changed:
            decisions = record_decisions(
                template,
                project,
                after=new,
                tmp=Path(tmp),
                clone=clone,
                work=work,
                trust=trust,
                reason=reason,
            )
        changes = _changes(clone, relpath, conflict, original=project.path)
        if plan or any(c.status == "deleted" for c in changes):
            old = Path(tmp) / "old" / project.path.name
            stored = project.stored_answers
            version = project.version
            _copier.run_copy(template, old, stored, trust=trust, version=version, skip_tasks=True)
            notes += _edited_and_deleted(project.path, relpath, old, changes)
        if plan:
            changes += _kept_deleted(project.path, old, new)
        else:
            _apply(work, project.path, changes)
    ordered = tuple(sorted(changes, key=lambda c: c.path))
    return UpdateResult(
        project.path,
        project.version,
        target,
        ordered,
        not plan,
        _shown(changed, template.spec),
        tuple(decisions),
        tuple(notes),
    )


def _shown(changed: Mapping[str, Any], spec: answers_.TemplateSpec) -> dict[str, Any]:
    """The changed answers as chassis prints them (and --json): a secret never echoed."""
    secret = {q.name for q in spec.questions if q.secret}
    return {k: "(hidden)" if k in secret else v for k, v in changed.items()}


def _git_root(path: Path) -> Path:
    root = git.toplevel(path)
    if root is None:
        raise GitError(
            f"{path} is not inside a git repository",
            "run `git init && git add -A && git commit -m 'Initial commit'` first: "
            "chassis update merges against your committed files",
        )
    if not git.has_commits(root):
        raise GitError(
            f"the git repository at {root} has no commits",
            "commit the project first: chassis update merges against your committed files",
        )
    return root


@contextlib.contextmanager
def _update_lock(root: Path, project: Path) -> Iterator[None]:
    """Hold ``.git/chassis-update.lock`` for one update, or refuse if another run holds it.

    filelock takes an OS lock on the file (``flock``), which the kernel releases however
    its holder dies: a killed run never blocks the next, and two runs that find a file
    left behind cannot both take it over, as they could when a pid in it was the test.
    """
    from filelock import FileLock, Timeout  # noqa: PLC0415 - lazy: keeps --help fast

    git_dir = Path(git.run("rev-parse", "--absolute-git-dir", cwd=root).strip())
    lock = FileLock(git_dir / "chassis-update.lock", blocking=False, thread_local=False)
    try:
        lock.acquire()
    except Timeout:
        raise UpdateInProgressError(project) from None
    try:
        yield
    finally:
        lock.release()


def _relock(work: Path, *, original: Path) -> list[str]:
    """Lock again, as ``new`` does, each uv project whose pyproject.toml the update changed.

    A changed answer or template version can add or drop dependencies; a stale uv.lock
    then fails the project's `uv sync --locked`. Only for a team that locks (the project
    has a uv.lock); ``original`` is the project's clean tree. Returns notes for the user.
    """
    if not (original / "uv.lock").is_file():
        return []
    notes: list[str] = []
    for folder in uv_projects(work):
        pyproject = folder / "pyproject.toml"
        where = folder.relative_to(work)
        before = original / where / "pyproject.toml"
        if not pyproject.is_file() or (
            before.is_file() and before.read_bytes() == pyproject.read_bytes()
        ):
            continue
        if _count_markers(pyproject.read_bytes()):
            notes.append(
                f"{(where / 'pyproject.toml').as_posix()} has conflicts: resolve them, "
                f"then run `uv lock` in {'the project' if where == Path() else where.as_posix()}"
            )
            continue
        notes += lock_dependencies(pyproject.parent, where)
    return notes


def _changes(clone: Path, relpath: Path, conflict: Conflict, *, original: Path) -> list[FileChange]:
    """Classify every file the update changed in the clone, relative to the project.

    ``original`` is the project itself, whose clean tree holds each file as it was.
    """
    prefix = "" if str(relpath) == "." else f"{relpath.as_posix()}/"
    entries = git.status(clone / relpath, renames=False)
    rejected = {name.removesuffix(".rej") for _, name in entries if name.endswith(".rej")}
    # A file the template deletes and the team edited: Copier leaves a .rej of the team's
    # hunks and deletes the file. The file is deleted, as in inline mode, and the .rej of
    # a file that no longer exists is dropped.
    gone = {name for name in rejected if not (clone / name).exists()}
    changes: list[FileChange] = []
    for code, name in entries:
        rel = name.removeprefix(prefix)
        if name.endswith(".rej") and name.removesuffix(".rej") in gone:
            continue
        status: Status
        if "U" in code or code in {"AA", "DD"} or (name in rejected and name not in gone):
            status = "conflict"
        elif code == "??" or "A" in code:
            status = "added"
        elif "D" in code:
            status = "deleted"
        elif conflict == "inline" and _new_markers(original / rel, clone / name):
            status = "conflict"
        else:
            status = "updated"
        changes.append(FileChange(rel, status))
    return changes


_MARKERS = (b"<<<<<<< ", b">>>>>>> ")


def _count_markers(data: bytes) -> int:
    return sum(1 for line in data.splitlines() if line.startswith(_MARKERS))


def _new_markers(before: Path, after: Path) -> bool:
    """Whether the update left conflict markers that the file did not have before."""
    if not after.is_file():
        return False
    had = _count_markers(before.read_bytes()) if before.is_file() else 0
    return _count_markers(after.read_bytes()) > had


def _kept_deleted(project: Path, old: Path, new: Path) -> list[FileChange]:
    """Files the template changes that the team deleted: the update leaves them deleted.

    ``old`` and ``new`` are the template rendered as the project had it and as the
    update leaves it.
    """
    kept: list[FileChange] = []
    for file in sorted(p for p in new.rglob("*") if p.is_file()):
        rel = file.relative_to(new)
        before = old / rel
        if rel.parts[0] == ".git" or (project / rel).exists() or not before.is_file():
            continue
        if before.read_bytes() != file.read_bytes():
            kept.append(FileChange(rel.as_posix(), "kept-deleted"))
    return kept


def _edited_and_deleted(
    project: Path, relpath: Path, old: Path, changes: list[FileChange]
) -> list[str]:
    """Notes for files the update deletes although the team had edited them.

    Copier deletes a file the new template no longer has, edited or not (in rej mode it
    leaves the team's hunks in a .rej beside a file that is gone, which chassis drops).
    The edits stay in git history; the note says where, so they are not lost unnoticed.
    ``old`` is the template rendered as the project had it.
    """
    notes = []
    for change in changes:
        if change.status != "deleted":
            continue
        before, ours = old / change.path, project / change.path
        if not ours.is_file() or (before.is_file() and before.read_bytes() == ours.read_bytes()):
            continue
        in_git = (relpath / change.path).as_posix()
        notes.append(
            f"{change.path} had your edits, and the template no longer has it, so the "
            f"update deletes it; your version stays in git: git show HEAD:{in_git}"
        )
    return notes


def _apply(work: Path, project: Path, changes: list[FileChange]) -> None:
    """Copy the updated files into the project, all of them or none."""
    blocked = {signal.SIGINT, signal.SIGTERM}
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, blocked)
    touched: list[FileChange] = []
    try:
        try:
            for change in changes:
                touched.append(change)
                target = project / change.path
                if change.status == "deleted":
                    target.unlink(missing_ok=True)
                    _remove_empty_parents(project, target)
                else:
                    target.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(work / change.path, target, follow_symlinks=False)
        finally:
            # A Ctrl-C that arrived while signals were held is raised here.
            signal.pthread_sigmask(signal.SIG_SETMASK, previous)
    except BaseException:
        signal.pthread_sigmask(signal.SIG_BLOCK, blocked)
        try:
            _restore(project, touched)
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, previous)
        raise


def _restore(project: Path, touched: list[FileChange]) -> None:
    """Put back every touched file as HEAD has it; remove the ones HEAD lacks."""
    paths = [c.path for c in touched]
    tracked = git.run("ls-files", "-z", "--", *paths, cwd=project).split("\0") if paths else []
    tracked = [name for name in tracked if name]
    if tracked:
        git.run("checkout", "HEAD", "--", *tracked, cwd=project)
    for change in touched:
        if change.path not in tracked:
            target = project / change.path
            target.unlink(missing_ok=True)
            _remove_empty_parents(project, target)


def _remove_empty_parents(project: Path, target: Path) -> None:
    """Remove the folders above ``target`` that are left empty, up to ``project``.

    Git does not track folders: one the update emptied (``.github/workflows/`` after
    ``--set ci=gitlab``) would be left behind, untracked, and look like a CI config.
    """
    for parent in target.relative_to(project).parents:
        folder = project / parent
        if folder == project or not folder.is_dir() or any(folder.iterdir()):
            break
        folder.rmdir()
