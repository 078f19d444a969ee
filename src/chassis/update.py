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
import stat
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from packaging.version import Version

from chassis import _copier, git, sources
from chassis import answers as answers_
from chassis._copier import Conflict
from chassis._decisions import (
    NUMBERS,
    Decision,
    in_force_numbers,
    plan_decisions,
    record_decisions,
)
from chassis._scratch import HELD, held_until_exit, scratch
from chassis.errors import (
    ChassisError,
    DirtyTreeError,
    GitError,
    StaleAnswer,
    StaleAnswersError,
    TasksInterruptedError,
    TemplateError,
    UpdateInProgressError,
    UsageError,
)
from chassis.lock import lock_dependencies, uv_projects
from chassis.projects import (
    MODULE_QUESTIONS,
    Module,
    OpenTemplate,
    Project,
    read_modules,
    read_project,
    source_for,
)

__all__ = [
    "PLAN_RAN_NO_TASK",
    "FileChange",
    "ModuleUpdate",
    "Status",
    "TaskRun",
    "UpdateResult",
    "apply_changes",
    "git_root",
    "run_tasks_in_place",
    "update",
    "update_lock",
]

# "rejected": a FILE.rej of the team's hunks that Copier could not apply (--conflict rej).
Status = Literal["added", "updated", "conflict", "rejected", "deleted", "kept-deleted"]


@dataclass(frozen=True)
class FileChange:
    """What an update does to one file, relative to the project root; ``detail`` says
    when it also changes what kind of file it is (a symlink, a file) or its mode."""

    path: str
    status: Status
    detail: str = ""


@dataclass(frozen=True)
class ModuleUpdate:
    """An added module that the update updates, from its own answers file."""

    name: str
    answers_file: str
    from_version: str
    to_version: str


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
    # Recorded answers the target no longer accepts: a plan reports them, an update stops.
    stale_answers: tuple[StaleAnswer, ...] = ()
    # The added modules the update brings to the target version (or re-renders).
    modules: tuple[ModuleUpdate, ...] = ()

    @property
    def conflicts(self) -> list[str]:
        return [c.path for c in self.changes if c.status == "conflict"]

    @property
    def rejects(self) -> list[str]:
        """The .rej files that hold the team's hunks for the conflicts (--conflict rej)."""
        return [c.path for c in self.changes if c.status == "rejected"]


def update(
    *,
    path: Path,
    to: str | None = None,
    overrides: Mapping[str, Any] | None = None,
    conflict: Conflict = "inline",
    plan: bool = False,
    trust: bool = False,
    reason: str | None = None,
    skip_tasks: bool = False,
    on_applied: Callable[[UpdateResult], None] | None = None,
) -> UpdateResult:
    """Merge the template's changes (and changed answers) into the project at ``path``.

    A changed answer that the template records as an ADR gets a new ADR superseding
    the old one, with ``reason`` as why it changed. ``on_applied`` gets the result the
    moment the update is in the project, before Ctrl-C or SIGTERM can cut in: an
    interruption after that point leaves the update in place, uncommitted, and the
    caller must not say that nothing changed. The template's tasks then run in the
    project, unless ``skip_tasks`` (Copier's ``--skip-tasks``).
    """
    with held_until_exit(), scratch() as tmp:
        return _update(
            tmp,
            path=path,
            to=to,
            overrides=overrides or {},
            conflict=conflict,
            plan=plan,
            trust=trust,
            reason=reason,
            skip_tasks=skip_tasks,
            on_applied=on_applied or (lambda _: None),
        )


def _update(
    tmp: Path,
    *,
    path: Path,
    to: str | None,
    overrides: Mapping[str, Any],
    conflict: Conflict,
    plan: bool,
    trust: bool,
    reason: str | None,
    skip_tasks: bool,
    on_applied: Callable[[UpdateResult], None],
) -> UpdateResult:
    """:func:`update`, with ``tmp`` for every temporary file."""
    project = read_project(path)
    root = git_root(project.path)
    source = source_for(project)
    target = source.require(to) if to else source.latest
    modules = read_modules(project)
    _refuse_unless_updatable(project, target, modules, source)
    overrides = dict(overrides or {})
    own = [key for key in MODULE_QUESTIONS if key in overrides]
    if own:
        raise UsageError(
            f"--set {own[0]} is a module's own answer, which `chassis update` does not change",
            "pass --set only for the project's answers, which its modules share",
        )
    current = target == project.version and all(m.version == target for m in modules)
    if current and not overrides:
        return UpdateResult(project.path, project.version, target, applied=not plan)
    with sources.checkout(source, target) as folder:
        spec = answers_.load_spec(folder, trusted=trust or source.trusted, source=source.url)
        has_tasks = bool(answers_.unsafe_settings(folder, {"_tasks": "tasks"}))
    template = OpenTemplate(source, target, spec)
    _refuse_moving_starting_modules(spec, overrides)
    if has_tasks and not plan and not skip_tasks:
        _copier.refuse_untrusted_tasks(template, trust=trust)
    chosen = _target_answers(project, spec, overrides)
    if chosen.stale:
        if plan:
            return UpdateResult(project.path, project.version, target, stale_answers=chosen.stale)
        raise StaleAnswersError(target, chosen.stale)
    # A module already at the target, with the answers the update gives, is left alone.
    pending = [
        m
        for m in modules
        if m.version != target
        or any(m.stored_answers.get(k) != v for k, v in chosen.changed.items())
    ]
    if target == project.version and not chosen.changed and not pending:
        return UpdateResult(project.path, project.version, target, applied=not plan)

    with update_lock(root, project.path):
        # Again under the lock: another update may have finished between the check above
        # and this one taking the lock, leaving its result uncommitted. Merging from HEAD
        # and copying over that result would mix the two (tests/test_interruptions.py).
        dirty = git.dirty_files(project.path)
        if dirty:
            raise DirtyTreeError(project.path, dirty)
        result, work = _merge(
            tmp,
            root,
            project,
            template,
            chosen,
            pending=pending,
            conflict=conflict,
            plan=plan,
            trust=trust,
            reason=reason,
            has_tasks=has_tasks,
        )
        if not plan:
            # A kept-deleted file stays as it is: deleted.
            written = [c for c in result.changes if c.status != "kept-deleted"]
            backups = apply_changes(work, project.path, written, applied=lambda: on_applied(result))
            # As plain Copier would: `copier update` for the project, then `copier update
            # -a FILE` for each module, each running the tasks with its own answers.
            runs = [
                TaskRun({**module.stored_answers, **chosen.changed}, module.answers_file)
                for module in pending
            ]
            if _updates_project(project, template, chosen):
                runs.insert(0, TaskRun({**project.stored_answers, **chosen.changed}, None))
            if has_tasks and not skip_tasks and runs:
                ignored = [c for c in result.changes if c.detail == IGNORED]
                note = run_tasks_in_place(
                    template,
                    project.path,
                    runs,
                    trust=trust,
                    interrupted=lambda: TasksInterruptedError(
                        f"{project.path} was updated to template {target}"
                    ),
                    undo=lambda: _restore(project.path, ignored, backups),
                    undone="the update was undone",
                    again="update again",
                    listed={change.path for change in result.changes},
                    review_with="the rest",
                )
                if note is not None:
                    result = replace(result, notes=(*result.notes, note))
    return result


def _updates_project(project: Project, template: OpenTemplate, chosen: _TargetAnswers) -> bool:
    """Whether the project itself changes version or answers (not only its modules)."""
    return project.version != template.version or bool(chosen.changed)


@dataclass(frozen=True)
class _Render:
    """One answers file the update runs Copier for: the project's, or a module's."""

    answers_file: str
    stored: Mapping[str, Any]  # its recorded answers
    version: str  # its recorded template version
    new: Path  # the template as the update leaves it, for those answers


def _merge(
    tmp: Path,
    root: Path,
    project: Project,
    template: OpenTemplate,
    chosen: _TargetAnswers,
    *,
    pending: list[Module],
    conflict: Conflict,
    plan: bool,
    trust: bool,
    reason: str | None,
    has_tasks: bool,
) -> tuple[UpdateResult, Path]:
    """Run ``copier update`` in a clone of the repository at ``root``, for the project
    and then for each module in ``pending`` (each with its own answers file), and say
    what it changes: the result (not applied yet) and the updated project in the clone.
    """
    relpath = project.path.relative_to(root)
    changed = chosen.changed
    clone = tmp / "work"
    git.clone(root, clone)
    work = clone / relpath
    stored = project.stored_answers
    renders: list[_Render] = []
    decided = None
    given = dict(changed)
    if _updates_project(project, template, chosen):
        # The template as the update leaves it: for the ADRs of changed answers, and to
        # find the files the team deleted that the template changes (plan and update).
        new = tmp / "new" / project.path.name
        _copier.run_copy(template, new, {**stored, **changed}, trust=trust, skip_tasks=True)
        renders.append(_Render(project.answers_file, stored, project.version, new))
        if changed:
            # Decided before Copier runs: the new records' numbers are answers it renders.
            decided = plan_decisions(
                template, project, answers=chosen.baseline, after=new, tmp=tmp, trust=trust
            )
            given.update(decided.answers)
    if NUMBERS not in given and NUMBERS not in chosen.baseline:
        # A project from before adr_numbers: recorded from the records in force.
        inferred = in_force_numbers(template, project, {})
        if inferred:
            given[NUMBERS] = inferred
    # The template's tasks act on the project itself, once the update is in it (below);
    # a plan previews files and runs none.
    if renders:
        _copier.run_update(
            template,
            work,
            given,
            conflict=conflict,
            trust=trust,
            skip_tasks=True,
            answers_file=project.answers_file,
        )
    decisions: list[Decision] = []
    if decided is not None:
        decisions = record_decisions(
            project, decided, after=new, clone=clone, work=work, reason=reason
        )
    unmerged = _update_modules(
        clone, work, template, pending, given=given, conflict=conflict, trust=trust
    )
    for module in pending:
        module_new = tmp / "new-module" / module.name / project.path.name
        answers = {**module.stored_answers, **changed}
        _copier.run_copy(
            template,
            module_new,
            answers,
            trust=trust,
            skip_tasks=True,
            answers_file=module.answers_file,
        )
        renders.append(
            _Render(module.answers_file, module.stored_answers, module.version, module_new)
        )
    notes = _relock(work, original=project.path)
    if plan and has_tasks:
        needs = "" if trust or template.source.trusted else ", with --trust"
        notes.append(f"{PLAN_RAN_NO_TASK}: the update runs them{needs}")
    changes = _changes(clone, relpath, conflict, original=project.path, unmerged=unmerged)
    for render in renders:
        listed = {c.path for c in changes}
        changes += [
            c for c in _ignored_renders(work, render.new, project.path) if c.path not in listed
        ]
    notes += _deleted_and_kept(
        tmp, project, template, renders, changes, relpath=relpath, trust=trust
    )
    return UpdateResult(
        project.path,
        project.version,
        template.version,
        tuple(sorted(changes, key=lambda c: c.path)),
        not plan,
        _shown(changed, template.spec),
        tuple(decisions),
        tuple(notes),
        modules=tuple(
            ModuleUpdate(m.name, m.answers_file, m.version, template.version) for m in pending
        ),
    ), work


def _update_modules(
    clone: Path,
    work: Path,
    template: OpenTemplate,
    pending: list[Module],
    *,
    given: Mapping[str, Any],
    conflict: Conflict,
    trust: bool,
) -> set[str]:
    """Run ``copier update -a FILE`` in the clone for each module in ``pending``; return
    the files any Copier run left unmerged (from the repository root).

    Copier updates only a clean tree, so what the runs before changed is committed in
    the clone first; afterwards the clone is reset (its files kept) to the project's
    own HEAD, so that the changes are still measured against the team's commit."""
    unmerged = _unmerged(clone)
    if not pending:
        return unmerged
    head = git.run("rev-parse", "HEAD", cwd=clone).strip()
    for module in pending:
        git.run("add", "--all", cwd=clone)
        git.run(
            "-c", "user.name=chassis", "-c", "user.email=chassis@invalid",
            "-c", "commit.gpgsign=false",
            "commit", "--quiet", "--no-verify", "--allow-empty", "-m",
            f"chassis: before updating module {module.name}",
            cwd=clone,
        )  # fmt: skip
        _copier.run_update(
            template,
            work,
            given,
            conflict=conflict,
            trust=trust,
            skip_tasks=True,
            answers_file=module.answers_file,
        )
        unmerged |= _unmerged(clone)
    git.run("reset", "--quiet", head, cwd=clone)
    return unmerged


def _unmerged(clone: Path) -> set[str]:
    """The files git holds as unmerged in ``clone``: Copier's conflicts, before a commit
    resolves them in the index."""
    return {name for code, name in git.status(clone, renames=False) if _is_unmerged(code)}


def _is_unmerged(code: str) -> bool:
    return "U" in code or code in {"AA", "DD"}


def _deleted_and_kept(
    tmp: Path,
    project: Project,
    template: OpenTemplate,
    renders: list[_Render],
    changes: list[FileChange],
    *,
    relpath: Path,
    trust: bool,
) -> list[str]:
    """Notes for the files the update deletes although the team edited them, and (added
    to ``changes``) the files the template changes that the team deleted.

    Each needs the template as the project (or the module) had it, rendered only when
    the report needs it: for a file the update deletes, or one the new template has that
    the project lacks. A deleted file belongs to the module whose old render has it,
    else to the project."""
    notes: list[str] = []
    listed = {c.path for c in changes}
    deleted = [c for c in changes if c.status == "deleted"]
    kept: list[FileChange] = []
    # Modules first: what none of them had is the project's.
    for render in sorted(renders, key=lambda r: r.answers_file == project.answers_file):
        missing = _missing(project.path, render.new, listed)
        if not missing and not deleted:
            continue
        old = tmp / "old" / render.answers_file / project.path.name
        _copier.run_copy(
            template,
            old,
            render.stored,
            trust=trust,
            version=render.version,
            skip_tasks=True,
            answers_file=render.answers_file,
        )
        project_render = render.answers_file == project.answers_file
        owned = [c for c in deleted if project_render or (old / c.path).is_file()]
        deleted = [c for c in deleted if c not in owned]
        notes += _edited_and_deleted(project.path, relpath, old, owned)
        kept += _kept_deleted(old, render.new, missing)
    changes += [c for c in kept if c.path not in {k.path for k in changes}]
    return notes


@dataclass(frozen=True)
class TaskRun:
    """One Copier run whose tasks chassis runs: its answers, and the answers file it
    records them in (None: the template's own, the project's)."""

    answers: Mapping[str, Any]
    answers_file: str | None


def run_tasks_in_place(
    template: OpenTemplate,
    path: Path,
    runs: list[TaskRun],
    *,
    trust: bool,
    operation: Literal["copy", "update"] = "update",
    interrupted: Callable[[], ChassisError],
    undo: Callable[[], None] = lambda: None,
    undone: str,
    again: str,
    listed: set[str],
    review_with: str,
) -> str | None:
    """Run the template's tasks in the project at ``path``, once for each of ``runs``,
    now that the update or the module is in it; return a note naming the files they
    changed beyond ``listed`` (paths from the project), or None.

    Copier runs an update's tasks before merging the team's edits back; here they run
    after, on the merged files, because the merge happens in a clone that a failure
    can drop. A task that fails undoes everything git sees changed in the project (the
    tree was clean when the change began, checked under the lock), then ``undo``, and
    says ``undone``; only what the tasks wrote to files git ignores stays. Ctrl-C and
    SIGTERM are let through again, since a task may take long or hang: an
    interruption leaves the change in place, uncommitted, as Copier's does, and raises
    ``interrupted()``, which says so.
    """
    try:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, HELD)  # one pending is raised here
        for run in runs:
            _copier.run_tasks(
                template,
                path,
                run.answers,
                trust=trust,
                operation=operation,
                answers_file=run.answers_file,
            )
    except KeyboardInterrupt:
        raise interrupted() from None
    except TemplateError as error:
        signal.pthread_sigmask(signal.SIG_BLOCK, HELD)
        git.run("clean", "--force", "-d", "--quiet", "--", ".", cwd=path)
        git.run("checkout", "HEAD", "--", ".", cwd=path)
        undo()
        raise TemplateError(
            f"{error.problem}; {undone} (what the task wrote to files git ignores stays)",
            f"fix the task or its cause, then {again}; or pass --skip-tasks and run the "
            "template's tasks yourself",
        ) from error
    finally:
        signal.pthread_sigmask(signal.SIG_BLOCK, HELD)
    relpath = path.relative_to(git_root(path))
    prefix = "" if relpath == Path() else f"{relpath.as_posix()}/"
    changed = [name.removeprefix(prefix) for name in git.dirty_files(path)]
    extra = [name for name in changed if name not in listed]
    if not extra:
        return None
    shown = ", ".join(extra[:8]) + (f" and {len(extra) - 8} more" if len(extra) > 8 else "")
    return f"the template's tasks also changed {shown}: review them with {review_with}"


PLAN_RAN_NO_TASK = "the plan ran none of the template's tasks, which can change more files"


def _refuse_moving_starting_modules(
    spec: answers_.TemplateSpec, overrides: Mapping[str, Any]
) -> None:
    """Refuse a ``--set`` of an answer that decides whether a module of the template's
    ``_chassis_new_modules`` is the project's or its own: Copier would delete the
    module's files, edits and all, from the render that no longer has them."""
    for name, wanted in spec.new_modules.items():
        for key in wanted:
            if key in overrides:
                raise UsageError(
                    f"--set {key} would move module {name} between the project's render "
                    "and its own, and the update would delete its files",
                    f"leave {key} as it is; `chassis new` sets it for new projects",
                )


def _refuse_unless_updatable(
    project: Project, target: str, modules: list[Module], source: sources.TemplateSource
) -> None:
    """Refuse an update to an older version (of the project or of a module), and one
    over uncommitted changes."""
    if Version(target) < Version(project.version):
        raise ChassisError(
            f"cannot update from template {project.version} back to {target}",
            "pass a --to version newer than the project's, or revert with git",
        )
    for module in modules:
        if module.version not in source.versions:
            raise TemplateError(
                f"module {module.name} records template version {module.version}, which "
                f"{project.src_path} does not have",
                f"restore {module.answers_file} from git history "
                f"(git log -p -- {module.answers_file})",
            )
        if Version(target) < Version(module.version):
            raise ChassisError(
                f"cannot update module {module.name} from template {module.version} back "
                f"to {target}",
                "pass a --to version no older than any module's, or revert with git",
            )
    dirty = git.dirty_files(project.path)
    if dirty:
        raise DirtyTreeError(project.path, dirty)


@dataclass(frozen=True)
class _TargetAnswers:
    """The answers an update gives the target template version."""

    changed: dict[str, Any]  # what --set changes
    # The project's answers as the target reads them, before the change: a recorded
    # value it no longer accepts is replaced by the --set that keeps the choice, which
    # is no changed decision.
    baseline: dict[str, Any]
    stale: tuple[StaleAnswer, ...] = ()  # recorded answers it rejects that no --set replaces


def _target_answers(
    project: Project, spec: answers_.TemplateSpec, overrides: Mapping[str, Any]
) -> _TargetAnswers:
    stored = {k: v for k, v in project.stored_answers.items() if k in spec.names}
    context = {"_folder_name": project.path.name}
    stale = stale_answers(spec, stored, context)
    unresolved = tuple(s for s in stale if s.key not in overrides)
    if unresolved:
        return _TargetAnswers({}, {}, unresolved)
    changed: dict[str, Any] = {}
    if overrides:
        resolved = spec.resolve({**stored, **overrides}, context=context)
        # A key missing from `resolved` is a question this template no longer asks.
        changed = {
            k: resolved[k] for k in overrides if k in resolved and resolved[k] != stored.get(k)
        }
    renamed = {s.key: changed[s.key] for s in stale if s.key in changed}
    return _TargetAnswers(changed, {**project.stored_answers, **renamed})


def stale_answers(
    spec: answers_.TemplateSpec, recorded: Mapping[str, Any], context: Mapping[str, Any]
) -> list[StaleAnswer]:
    """The recorded answers that the template ``spec`` no longer accepts.

    Copier would replace each with the new default, silently (``copier update
    --defaults`` does): chassis reports them instead, each with the value that keeps
    the project's choice where exactly one choice is the old value under a new name.
    A question the template does not ask for these answers (its ``when``) is not checked.
    """
    found: list[StaleAnswer] = []
    scope = dict(context)
    for question in spec.questions:
        if not spec.asked(question, scope):
            continue
        if question.name not in recorded:  # a new question, or one never recorded
            scope[question.name] = spec.default(question, scope)
            continue
        value, problem = spec.check(question, recorded[question.name], scope)
        scope[question.name] = value
        if problem:
            found.append(
                StaleAnswer(
                    question.name,
                    recorded[question.name],
                    problem,
                    _successor(spec, question, recorded[question.name], scope),
                )
            )
    return found


def _successor(
    spec: answers_.TemplateSpec, question: answers_.Question, old: Any, scope: Mapping[str, Any]
) -> str | None:
    """The one enabled choice whose label or value is ``old`` (ignoring case), as --set
    takes it."""
    wanted = str(old).casefold()
    matches = {
        choice.value
        for choice in spec.choices(question, scope)
        if not choice.disabled and wanted in {choice.label.casefold(), str(choice.value).casefold()}
    }
    if len(matches) != 1:
        return None
    (value,) = matches
    return str(value).lower() if isinstance(value, bool) else str(value)


def _shown(changed: Mapping[str, Any], spec: answers_.TemplateSpec) -> dict[str, Any]:
    """The changed answers as chassis prints them (and --json): a secret never echoed."""
    secret = {q.name for q in spec.questions if q.secret}
    return {k: "(hidden)" if k in secret else v for k, v in changed.items()}


def git_root(path: Path) -> Path:
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
def update_lock(root: Path, project: Path) -> Iterator[None]:
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


def _changes(
    clone: Path,
    relpath: Path,
    conflict: Conflict,
    *,
    original: Path,
    unmerged: set[str] | None = None,
) -> list[FileChange]:
    """Classify every file the update changed in the clone, relative to the project.

    ``original`` is the project itself, whose clean tree holds each file as it was;
    ``unmerged``, the files a Copier run left unmerged before a commit in the clone.
    """
    unmerged = unmerged or set()
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
        if name.endswith(".rej") and name.removesuffix(".rej") in rejected:
            status = "rejected"
        elif _is_unmerged(code) or name in unmerged or (name in rejected and name not in gone):
            status = "conflict"
        elif code == "??" or "A" in code:
            status = "added"
        elif "D" in code:
            status = "deleted"
        elif conflict == "inline" and _new_markers(original / rel, clone / name):
            status = "conflict"
        else:
            status = "updated"
        changes.append(FileChange(rel, status, _kind_change(original / rel, clone / name)))
    return changes


IGNORED = "ignored by git"


def _ignored_renders(work: Path, new: Path, project: Path) -> list[FileChange]:
    """Files the template renders that git ignores, as ``copier update`` leaves them.

    They have no history to merge: Copier writes the new render into the project. The
    clone starts without ignored files, so one there that the new template renders was
    just written by Copier; it is a change where the project lacks it or has it
    otherwise. (``work`` is the project in the clone, ``new`` the fresh render.)"""
    listed = git.run(
        "ls-files", "-z", "--others", "--ignored", "--exclude-standard", "--", ".", cwd=work
    )
    changes = []
    for name in sorted(n for n in listed.split("\0") if n):
        rendered, ours = work / name, project / name
        if not (new / name).is_file() or rendered.is_symlink() or not rendered.is_file():
            continue
        if ours.is_symlink() or ours.is_dir():
            continue  # not a file Copier would overwrite in place; left as it is
        if not ours.exists():
            changes.append(FileChange(name, "added", IGNORED))
        elif ours.read_bytes() != rendered.read_bytes():
            changes.append(FileChange(name, "updated", IGNORED))
    return changes


def _kind_change(before: Path, after: Path) -> str:
    """How ``after`` differs from ``before`` in kind or mode, beyond its content: Copier
    turns a file into a symlink (``_preserve_symlinks``) and back, and copies modes."""
    was, now = _kind(before), _kind(after)
    if not was or not now or was == now:
        return ""
    if now.startswith("a symlink") or was.startswith("a symlink"):
        return f"now {now}, was {was}"
    return "now executable" if now == "an executable file" else "no longer executable"


def _kind(path: Path) -> str:
    """What ``path`` is, as a plan names it; empty for a folder or nothing."""
    if path.is_symlink():
        return f"a symlink to {path.readlink()}"
    if not path.is_file():
        return ""
    executable = stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH
    return "an executable file" if path.stat().st_mode & executable else "a file"


_MARKERS = (b"<<<<<<< ", b">>>>>>> ")


def _count_markers(data: bytes) -> int:
    return sum(1 for line in data.splitlines() if line.startswith(_MARKERS))


def _new_markers(before: Path, after: Path) -> bool:
    """Whether the update left conflict markers that the file did not have before."""
    if after.is_symlink() or not after.is_file():
        return False
    had = _count_markers(before.read_bytes()) if before.is_file() and not before.is_symlink() else 0
    return _count_markers(after.read_bytes()) > had


def _missing(project: Path, new: Path, listed: set[str]) -> list[str]:
    """Files of the template as the update leaves it (``new``) that the project lacks and
    the update does not add: the candidates for "kept deleted"."""
    found: list[str] = []
    for file in sorted(p for p in new.rglob("*") if p.is_file()):
        rel = file.relative_to(new)
        name = rel.as_posix()
        if rel.parts[0] == ".git" or name in listed or (project / rel).exists():
            continue
        found.append(name)
    return found


def _kept_deleted(old: Path, new: Path, missing: list[str]) -> list[FileChange]:
    """Files the template changes that the team deleted: the update leaves them deleted.

    ``old`` and ``new`` are the template rendered as the project had it and as the
    update leaves it; ``missing`` the files of ``new`` the project lacks.
    """
    kept: list[FileChange] = []
    for name in missing:
        before = old / name
        if before.is_file() and before.read_bytes() != (new / name).read_bytes():
            kept.append(FileChange(name, "kept-deleted"))
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


def apply_changes(
    work: Path, project: Path, changes: list[FileChange], *, applied: Callable[[], None]
) -> dict[str, bytes]:
    """Copy the updated files into the project, all of them or none; return what the
    ignored files it overwrote held, which git cannot restore.

    Ctrl-C and SIGTERM are held off from here on; :func:`update` lets them through as it
    returns. One that arrived during the copy undoes it. Once the copy is complete,
    ``applied`` runs, so the caller records that the update is in place before any
    interruption can reach it.
    """
    signal.pthread_sigmask(signal.SIG_BLOCK, HELD)
    touched: list[FileChange] = []
    backups = {
        c.path: (project / c.path).read_bytes()
        for c in changes
        if c.detail == IGNORED and c.status == "updated"
    }
    try:
        _copy(work, project, changes, touched)
        if signal.sigpending() & HELD:
            raise KeyboardInterrupt  # the signal itself follows, once let through
    except BaseException:
        _restore(project, touched, backups)
        raise
    applied()
    return backups


def _copy(work: Path, project: Path, changes: list[FileChange], touched: list[FileChange]) -> None:
    """Copy each change from ``work`` into ``project``, adding it to ``touched`` first."""
    # Deletions first: a file may take the place of a folder the update empties.
    for change in sorted(changes, key=lambda c: c.status != "deleted"):
        touched.append(change)
        target, source = project / change.path, work / change.path
        if change.status == "deleted":
            target.unlink(missing_ok=True)
            _remove_empty_parents(project, target)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        # copy2 cannot write a symlink over an existing path, and writing a file over a
        # symlink would write into the link's target instead.
        if source.is_symlink() or target.is_symlink():
            target.unlink(missing_ok=True)
        shutil.copy2(source, target, follow_symlinks=False)


def _restore(project: Path, touched: list[FileChange], backups: Mapping[str, bytes]) -> None:
    """Put back every touched file as HEAD has it (content, symlink, mode), and each
    ignored one as ``backups`` has it; remove the others HEAD lacks."""
    paths = [c.path for c in touched]
    tracked = git.run("ls-files", "-z", "--", *paths, cwd=project).split("\0") if paths else []
    tracked = [name for name in tracked if name]
    # Removed first: a file the update added may stand where HEAD has a folder.
    for change in touched:
        if change.path not in tracked:
            target = project / change.path
            if target.is_symlink() or target.is_file():
                target.unlink()
                _remove_empty_parents(project, target)
    if tracked:
        git.run("checkout", "HEAD", "--", *tracked, cwd=project)
    for name, data in backups.items():
        (project / name).write_bytes(data)


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
