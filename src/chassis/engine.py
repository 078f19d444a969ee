"""``new``, ``update`` and ``check`` as plain functions that return data.

This is the only module that imports Copier, and only its public API
(``run_copy``, ``run_update``, ``Settings``, ``copier.errors``), imported
inside the functions that need it so that ``chassis --help`` never pays for it.

Safety rules, each from DESIGN.md:

* ``new`` renders into a temporary directory beside the target and moves it
  into place at the end, so a failure or Ctrl-C leaves no half project.
* ``update`` never runs Copier in the team's tree. It refuses a dirty tree,
  runs ``copier update`` in a throwaway clone, and copies the result back
  with signals held off; if anything fails, every touched file is restored
  from HEAD, which is exact because the tree was clean.
* Copier always gets an explicit ``Settings()``, so a user's own Copier
  settings file cannot silently change answers.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from packaging.version import InvalidVersion, Version

from chassis import adr, git, sources
from chassis import answers as answers_
from chassis.errors import (
    ChassisError,
    DirtyTreeError,
    GitError,
    InvalidTargetError,
    NotAProjectError,
    TemplateError,
    UpdateInProgressError,
)

__all__ = [
    "ANSWERS_FILE",
    "CheckResult",
    "Decision",
    "FileChange",
    "NewResult",
    "OpenTemplate",
    "Project",
    "UpdateResult",
    "check",
    "check_target",
    "new",
    "open_template",
    "read_project",
    "update",
]

ANSWERS_FILE = ".copier-answers.yml"
Conflict = Literal["inline", "rej"]
Status = Literal["added", "updated", "conflict", "deleted", "kept-deleted"]


@dataclass(frozen=True)
class OpenTemplate:
    """A template source at one version, with its questions and presets."""

    source: sources.TemplateSource
    version: str
    spec: answers_.TemplateSpec


@dataclass(frozen=True)
class NewResult:
    path: Path
    version: str
    source: str
    answers: Mapping[str, Any]
    committed: bool
    locked: bool = False
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class FileChange:
    """What an update does to one file, relative to the project root."""

    path: str
    status: Status


@dataclass(frozen=True)
class Decision:
    """A new ADR an answer change wrote, and the one it superseded (project-relative)."""

    path: str
    title: str
    supersedes: str


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


@dataclass(frozen=True)
class CheckResult:
    path: Path
    source: str
    current: str
    latest: str

    @property
    def up_to_date(self) -> bool:
        return Version(self.current) >= Version(self.latest)


@dataclass(frozen=True)
class Project:
    """A generated project: where it is and what its answers file records."""

    path: Path
    answers: Mapping[str, Any]

    @property
    def src_path(self) -> str:
        return str(self.answers["_src_path"])

    @property
    def version(self) -> str:
        return str(self.answers["_commit"])

    @property
    def stored_answers(self) -> dict[str, Any]:
        return {k: v for k, v in self.answers.items() if not k.startswith("_")}


# --- opening templates -------------------------------------------------------


def open_template(*, template: str | None = None, version: str | None = None) -> OpenTemplate:
    """The bundled template, or ``template``, at ``version`` (default: its latest)."""
    source = sources.from_spec(template) if template else sources.bundled()
    chosen = source.require(version) if version else source.latest
    with sources.checkout(source, chosen) as folder:
        spec = answers_.load_spec(folder)
    return OpenTemplate(source, chosen, spec)


# --- new ---------------------------------------------------------------------


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
        _run_copy(template, stage, answers, trust=trust)
        if lock and (stage / "pyproject.toml").is_file():
            for project in _uv_projects(stage):
                notes += _lock_dependencies(project, project.relative_to(stage))
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


def _uv_projects(root: Path) -> list[Path]:
    """``root`` and each uv project beside it (infra/ has its own dependencies)."""
    return [root, *(file.parent for file in sorted(root.glob("*/pyproject.toml")))]


def _lock_dependencies(project: Path, where: Path) -> list[str]:
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


@contextlib.contextmanager
def _copier_errors(source: str) -> Iterator[None]:
    """Turn Copier's failures into ChassisErrors that say what to do."""
    from copier import errors as copier_errors  # noqa: PLC0415 - lazy: keeps --help fast

    try:
        yield
    except copier_errors.UnsafeTemplateError as error:
        raise TemplateError(
            f"template {source} uses features that run code on your machine ({_first_line(error)})",
            "pass --trust if you trust this template",
        ) from error
    except copier_errors.TaskError as error:
        raise TemplateError(
            f"a task of template {source} failed: {error.cmd!s} (exit {error.returncode})",
            "fix the task or its cause, then run chassis again",
        ) from error
    except (copier_errors.CopierError, ValueError) as error:
        raise TemplateError(
            f"Copier could not use template {source}: {_first_line(error)}",
            "check the template and your answers; --verbose shows details",
        ) from error


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def _run_copy(
    template: OpenTemplate,
    stage: Path,
    answers: Mapping[str, Any],
    *,
    trust: bool,
    version: str | None = None,
    skip_tasks: bool = False,
) -> None:
    from copier import Settings, run_copy  # noqa: PLC0415 - lazy: keeps --help fast

    with _copier_errors(template.source.url):
        run_copy(
            template.source.url,
            stage,
            data=dict(answers),
            vcs_ref=version or template.version,
            settings=Settings(),
            defaults=True,
            overwrite=True,
            quiet=True,
            unsafe=trust or template.source.trusted,
            skip_tasks=skip_tasks,
        )


# --- reading projects -------------------------------------------------------


def read_project(path: Path) -> Project:
    """The project at ``path``, or a NotAProjectError saying why it is not one."""
    path = Path(os.path.abspath(path.expanduser()))  # noqa: PTH100 - keep symlinked names
    if not path.is_dir():
        raise NotAProjectError(
            f"{path} is not a directory", "run the command in, or pass, a generated project's root"
        )
    answers_file = path / ANSWERS_FILE
    if not answers_file.is_file():
        raise NotAProjectError(
            f"{path} has no {ANSWERS_FILE}, so chassis did not generate it",
            "run the command in a generated project's root, or create one with `chassis new`",
        )
    try:
        recorded = answers_.read_project_answers(answers_file)
    except Exception as error:
        raise NotAProjectError(
            f"{answers_file} cannot be read ({_first_line(error)})",
            f"restore it from git: git checkout HEAD -- {ANSWERS_FILE}",
        ) from error
    for key in ("_src_path", "_commit"):
        if not isinstance(recorded.get(key), str) or not recorded[key]:
            raise NotAProjectError(
                f"{answers_file} records no {key}, so its template version is unknown",
                f"restore it from git history (git log -p -- {ANSWERS_FILE})",
            )
    try:
        Version(recorded["_commit"])  # every template version chassis reads is one
    except InvalidVersion:
        raise NotAProjectError(
            f"{answers_file} records _commit {recorded['_commit']!r}, which is not a template "
            "version",
            f"restore it from git history (git log -p -- {ANSWERS_FILE})",
        ) from None
    return Project(path, recorded)


def _source_for(project: Project) -> sources.TemplateSource:
    source = sources.from_recorded(project.src_path)
    if project.version not in source.versions:
        if not source.bundled:
            fix = "check that the template source still has that tag"
        elif Version(project.version) > Version(source.latest):
            fix = "upgrade chassis: this project was generated by a newer version"
        else:
            fix = f"install a chassis release whose template history includes {project.version}"
        raise TemplateError(
            f"the project records template version {project.version}, "
            f"which {project.src_path} does not have (it has {', '.join(source.versions)})",
            fix,
        )
    return source


# --- check -------------------------------------------------------------------


def check(*, path: Path) -> CheckResult:
    """The project's template version and the newest one its source has."""
    project = read_project(path)
    source = _source_for(project)
    return CheckResult(project.path, project.src_path, project.version, source.latest)


# --- update ------------------------------------------------------------------


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
    source = _source_for(project)
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
            spec = answers_.load_spec(folder)
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
        _run_update(template, work, changed, conflict=conflict, trust=trust)
        notes = _relock(work, original=project.path)
        if changed or plan:  # the template as the update leaves it, once for both uses
            new = Path(tmp) / "new" / project.path.name
            stored = project.stored_answers
            _run_copy(template, new, {**stored, **changed}, trust=trust, skip_tasks=True)
        decisions: list[Decision] = []
        if changed:
            decisions = _record_decisions(
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
            _run_copy(template, old, stored, trust=trust, version=version, skip_tasks=True)
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
        changed,
        tuple(decisions),
        tuple(notes),
    )


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


def _run_update(
    template: OpenTemplate,
    work: Path,
    changed: Mapping[str, Any],
    *,
    conflict: Conflict,
    trust: bool,
) -> None:
    from copier import Settings, run_update  # noqa: PLC0415 - lazy: keeps --help fast

    with _copier_errors(template.source.url):
        run_update(
            work,
            data=dict(changed),
            vcs_ref=template.version,
            settings=Settings(),
            defaults=True,
            overwrite=True,
            skip_answered=True,
            quiet=True,
            conflict=conflict,
            unsafe=trust or template.source.trusted,
        )


def _relock(work: Path, *, original: Path) -> list[str]:
    """Lock again, as ``new`` does, each uv project whose pyproject.toml the update changed.

    A changed answer or template version can add or drop dependencies; a stale uv.lock
    then fails the project's `uv sync --locked`. Only for a team that locks (the project
    has a uv.lock); ``original`` is the project's clean tree. Returns notes for the user.
    """
    if not (original / "uv.lock").is_file():
        return []
    notes: list[str] = []
    for folder in _uv_projects(work):
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
        notes += _lock_dependencies(pyproject.parent, where)
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


def _record_decisions(
    template: OpenTemplate,
    project: Project,
    *,
    after: Path,
    tmp: Path,
    clone: Path,
    work: Path,
    trust: bool,
    reason: str | None,
) -> list[Decision]:
    """Keep ADRs as history when an answer changes: supersede, never rewrite or delete.

    The template names each decision's ADR after the chosen option under a fixed
    number (``0003-store-data-in-sqlite.md``). Copier would delete the old record,
    write the new one in its place and re-render the others for the new answers.
    Instead every record the team has stays as it is, the one in force for the
    changed decision is marked superseded, and the new one takes the next free
    number; links the update wrote to the template's name for it are redirected.
    ``after`` is the template rendered with the new answers.
    """
    before = tmp / "decided-before" / project.path.name
    _run_copy(template, before, project.stored_answers, trust=trust, skip_tasks=True)
    old, new = _adr_files(before), _adr_files(after)
    came = sorted(new - old)
    # The records as the team has them, before Copier touched the clone.
    in_force = {
        rel: adr.current(project.path / rel.parent, int(rel.name[:4]))
        if (project.path / rel.parent).is_dir()
        else None
        for rel in came
    }
    touched: list[str] = []
    for rel in sorted(old | new):
        kept, target = project.path / rel, work / rel
        if kept.is_file():  # as the team has it, whatever Copier did
            shutil.copy2(kept, target)
        elif in_force.get(rel) is not None:  # written under its next number below
            target.unlink(missing_ok=True)
        else:
            continue
        touched.append(rel.as_posix())
    if touched:  # drop any conflict Copier recorded for them in the index
        git.run("reset", "-q", "--", *touched, cwd=work)
    decisions: list[Decision] = []
    when = adr.today()
    for rel in came:
        found = in_force[rel]
        if found is None:  # the project never recorded this decision: the template's stands
            continue
        replaced = adr.read(work / rel.parent / found.path.name)
        record = adr.replace(
            work / rel.parent,
            text=(after / rel).read_text(encoding="utf-8"),
            slug=rel.name[5:].removesuffix(".md"),
            replaces=replaced,
            reason=reason,
            when=when,
        )
        _redirect_links(clone, work, rel.name, record.path.name)
        folder = rel.parent
        decisions.append(
            Decision(
                (folder / record.path.name).as_posix(),
                record.title,
                (folder / replaced.path.name).as_posix(),
            )
        )
    return decisions


def _redirect_links(clone: Path, work: Path, template_name: str, written_name: str) -> None:
    """Point what the update changed at the record's real name (``0008-…``, not ``0003-…``)."""
    for _, name in git.status(work, renames=False):
        path = clone / name
        if not path.is_file() or path.suffix not in {".md", ".txt", ".rst"}:
            continue
        text = path.read_text(encoding="utf-8", errors="surrogateescape")
        if template_name in text:
            path.write_text(
                text.replace(template_name, written_name),
                encoding="utf-8",
                errors="surrogateescape",
            )


def _adr_files(root: Path) -> set[Path]:
    """Numbered ADRs (``NNNN-title.md``) in a rendered project, relative to it."""
    return {
        p.relative_to(root)
        for p in root.rglob("[0-9][0-9][0-9][0-9]-*.md")
        if p.parent.name in {"adr", "decisions"} and ".git" not in p.parts
    }


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
