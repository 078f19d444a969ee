"""``chassis add module``: render the module part of a project's template into the
project, at the project's own template version, all or nothing.

Copier renders the module into a scratch folder, with the project's recorded answers
and the module's own (``module_name``, ``uses``, ``migration_parent``), and writes its
answers to ``.copier-answers.module-NAME.yml``, so that ``chassis update`` (and plain
``copier update -a FILE``) keeps the module up to date. The files are then copied into
the project with signals held off, as ``chassis update`` copies an update: a failure
or Ctrl-C removes every one again. Then the template's tasks run in the project, as
``copier copy`` runs them; one that fails removes the module again. The module is left
uncommitted, for review.
"""

from __future__ import annotations

import ast
import keyword
import os
import re
import shutil
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import Any

from packaging.version import Version

from chassis import answers as answers_
from chassis import git, sources
from chassis._scratch import held_until_exit, scratch
from chassis.errors import (
    AnswersError,
    DirtyTreeError,
    ModuleExistsError,
    ModuleNameError,
    TasksInterruptedError,
    TemplateError,
    UsageError,
)
from chassis.lock import uv_command
from chassis.projects import (
    MODULE_QUESTIONS,
    OpenTemplate,
    Project,
    module_answers_file,
    read_modules,
    read_project,
    source_for,
)
from chassis.update import (
    PLAN_RAN_NO_TASK,
    FileChange,
    TaskRun,
    apply_changes,
    git_root,
    run_tasks_in_place,
    update_lock,
)

__all__ = ["AddResult", "add_module", "alembic_heads", "render_new_module"]

MODULE_QUESTION, USES, MIGRATION_PARENT = MODULE_QUESTIONS
README = "README.md"
README_START, README_END = "<!-- chassis:modules -->", "<!-- /chassis:modules -->"


@dataclass(frozen=True)
class AddResult:
    path: Path
    name: str
    version: str
    answers_file: str
    files: tuple[str, ...]  # what the module adds, relative to the project root
    readme_row: str | None  # the row added to the README's module table, if it has one
    applied: bool
    folder: str | None = None  # the module's package folder, relative to the project
    answers: Mapping[str, Any] | None = None
    next_steps: str = ""  # the template's message after copy, for the module
    notes: tuple[str, ...] = ()


def add_module(
    *,
    path: Path,
    name: str,
    overrides: Mapping[str, Any] | None = None,
    plan: bool = False,
    trust: bool = False,
    skip_tasks: bool = False,
    on_added: Callable[[AddResult], None] | None = None,
) -> AddResult:
    """Add the module ``name`` to the project at (or above) ``path``.

    ``overrides`` are ``--set`` values (``uses``, or any module question). With
    ``plan``, nothing is written: the result lists what would be. ``on_added`` gets the
    result the moment the module is in the project, before Ctrl-C can cut in. The
    template's tasks then run in the project, unless ``skip_tasks``.
    """
    with held_until_exit(), scratch() as tmp:
        return _add(
            tmp,
            path=path,
            name=name,
            overrides=dict(overrides or {}),
            plan=plan,
            trust=trust,
            skip_tasks=skip_tasks,
            on_added=on_added or (lambda _: None),
        )


def _add(
    tmp: Path,
    *,
    path: Path,
    name: str,
    overrides: dict[str, Any],
    plan: bool,
    trust: bool,
    skip_tasks: bool,
    on_added: Callable[[AddResult], None],
) -> AddResult:
    project = read_project(path)
    _check_name(name)
    root = git_root(project.path)
    source = source_for(project)
    template, has_tasks = _module_template(project, source, trust=trust)
    run_tasks = has_tasks and not plan and not skip_tasks
    answers_file = module_answers_file(name)
    modules = _existing_modules(project)
    found = [answers_file] if (project.path / answers_file).exists() else []
    found += [f"{folder}/" for folder in modules.get(name, ())]
    if found:
        raise ModuleExistsError(name, found)
    _refuse_the_projects_own(project, template, name)
    _refuse_overrides(project, name, overrides)
    used = _uses(name, overrides.get(USES, ""), modules)
    answers = _answers(
        project.stored_answers,
        template,
        name,
        overrides,
        folder=project.path,
        heads=partial(alembic_heads, project.path),
    )
    dirty = git.dirty_files(project.path)
    if dirty:
        raise DirtyTreeError(project.path, dirty, change="the new module")

    from chassis import _copier  # noqa: PLC0415 - lazy: the one module that imports copier

    if run_tasks:
        _copier.refuse_untrusted_tasks(template, trust=trust)
    stage = tmp / "module"
    _copier.run_copy(
        template, stage, answers, trust=trust, skip_tasks=True, answers_file=answers_file
    )
    files = sorted(
        p.relative_to(stage).as_posix() for p in stage.rglob("*") if p.is_file() or p.is_symlink()
    )
    taken = [f for f in files if (project.path / f).exists() or (project.path / f).is_symlink()]
    if taken:
        raise ModuleExistsError(name, taken)
    folder = _module_folder(files, name)
    row = None
    if folder is not None and README not in files:
        row = _add_row(project.path / README, stage / README, _row(name, folder, used))
    result = AddResult(
        project.path,
        name,
        template.version,
        answers_file,
        tuple(files),
        row,
        applied=not plan,
        folder=folder,
        answers=answers,
    )
    if plan:
        if has_tasks and not skip_tasks:
            return replace(result, notes=(PLAN_RAN_NO_TASK,))
        return result
    result = replace(result, **_next_steps(template, answers, project, answers_file))
    changes = [FileChange(f, "added") for f in files]
    if row is not None:
        changes.append(FileChange(README, "updated"))
    with update_lock(root, project.path):
        dirty = git.dirty_files(project.path)  # again under the lock, as update does
        if dirty:
            raise DirtyTreeError(project.path, dirty, change="the new module")
        apply_changes(stage, project.path, changes, applied=lambda: on_added(result))
        if run_tasks:
            result = _run_tasks(template, result, trust=trust)
    return result


def render_new_module(
    template: OpenTemplate,
    dest: Path,
    project_answers: Mapping[str, Any],
    name: str,
    *,
    trust: bool,
    skip_tasks: bool,
) -> None:
    """Render module ``name`` into the new project ``dest`` (``chassis new``, for the
    template's ``_chassis_new_modules``) as `chassis add module` would: with the
    project's answers and the module's, its own answers file and its README row. Copier
    renders it in place and runs the template's tasks there, as ``copier copy`` of the
    module does."""
    from chassis import _copier  # noqa: PLC0415 - lazy: the one module that imports copier

    # The new project's migrations are not committed yet: those on disk count.
    heads = partial(alembic_heads, dest, tracked=False)
    answers = _answers(project_answers, template, name, {}, folder=dest, heads=heads)
    answers_file = module_answers_file(name)
    before = {p for p in dest.rglob("*") if p.is_file()}
    _copier.run_copy(
        template, dest, answers, trust=trust, skip_tasks=skip_tasks, answers_file=answers_file
    )
    files = sorted(
        p.relative_to(dest).as_posix() for p in dest.rglob("*") if p.is_file() and p not in before
    )
    folder = _module_folder(files, name)
    if folder is not None:
        _add_row(dest / README, dest / README, _row(name, folder, []))


def _row(name: str, folder: str, used: list[str]) -> str:
    """The module's row in the README's module table."""
    return f"| `{name}` | `{folder}/` | uses: {', '.join(used) or '—'} |"


def _refuse_the_projects_own(project: Project, template: OpenTemplate, name: str) -> None:
    """Refuse a starting module (``_chassis_new_modules``) that this project's answers
    keep in its own render, as a project from before it was a module does: its files
    would belong to two renders, and each update would merge them twice."""
    wanted = template.spec.new_modules.get(name)
    if wanted is None:
        return
    kept = {k: v for k, v in project.stored_answers.items() if k in wanted and v != wanted[k]}
    if kept:
        key, value = next(iter(kept.items()))
        raise ModuleNameError(
            name,
            f"is part of this project's own render ({key}: {str(value).lower()} in its "
            "answers), which `chassis update` keeps up to date",
            f"choose another name; to get {name} back, restore its files from git history",
        )


def _refuse_overrides(project: Project, name: str, overrides: Mapping[str, Any]) -> None:
    """Refuse a ``--set`` of the module's name, or of an answer the project owns."""
    if MODULE_QUESTION in overrides:
        raise UsageError(
            f"--set {MODULE_QUESTION}=... cannot rename the module {name!r}",
            f"give the name as the argument: chassis add module {overrides[MODULE_QUESTION]}",
        )
    shared = sorted(k for k in overrides if k in project.stored_answers)
    if shared:
        sets = " ".join(f"--set {k}={overrides[k]}" for k in shared)
        raise UsageError(
            f"--set {shared[0]} is the project's answer, which every module shares",
            f"change it for the project and its modules with `chassis update {sets}`",
        )


def _run_tasks(template: OpenTemplate, result: AddResult, *, trust: bool) -> AddResult:
    """Run the template's tasks in the project, now that the module is in it, as
    ``copier copy`` of the module runs them (``_copier_operation`` is ``"copy"``, the
    answers file the module's). One that fails removes the module again; an
    interruption leaves it in place, uncommitted, as Copier's would."""
    note = run_tasks_in_place(
        template,
        result.path,
        [TaskRun(dict(result.answers or {}), result.answers_file)],
        trust=trust,
        operation="copy",
        interrupted=lambda: TasksInterruptedError(
            f"module {result.name} was added to {result.path}",
            review="`git status` and `git diff`",
        ),
        undone=f"module {result.name} was not added",
        again="add the module again",
        listed={*result.files, README},
        review_with="the module",
    )
    return result if note is None else replace(result, notes=(*result.notes, note))


def _next_steps(
    template: OpenTemplate, answers: Mapping[str, Any], project: Project, answers_file: str
) -> dict[str, Any]:
    """The template's ``_message_after_copy`` for the module (a module-aware template
    says the module's next steps there), with what Copier gives it besides the answers.
    One that cannot be rendered is left out, with a note: the module stands."""
    conf = {
        "dst_path": str(project.path),
        "src_path": template.source.url,
        "vcs_ref": template.version,
        "answers_file": answers_file,
        "sep": os.sep,
        "os": "linux" if sys.platform.startswith("linux") else sys.platform,
    }
    context = {**answers, "_uv": uv_command(), "_copier_conf": conf}
    try:
        return {"next_steps": str(template.spec.render(template.spec.next_steps, context))}
    except Exception as error:  # noqa: BLE001 - any template error: the module stands
        return {"notes": (f"the template's message after copy could not be shown: {error}",)}


def _check_name(name: str) -> None:
    """Refuse a name that cannot be a module's package, before anything is read."""
    if not name.isidentifier() or not name.isascii():
        raise ModuleNameError(name, "is not a Python identifier")
    if keyword.iskeyword(name) or keyword.issoftkeyword(name):
        raise ModuleNameError(name, "is a Python keyword")


def _module_template(
    project: Project, source: sources.TemplateSource, *, trust: bool
) -> tuple[OpenTemplate, bool]:
    """The project's template at the project's version, which must have a module part,
    and whether it has tasks."""
    trusted = trust or source.trusted
    with sources.checkout(source, project.version) as folder:
        spec = answers_.load_spec(folder, trusted=trusted, source=source.url)
        has_tasks = bool(answers_.unsafe_settings(folder, {"_tasks": "tasks"}))
    if MODULE_QUESTION in spec.names:
        return OpenTemplate(source, project.version, spec), has_tasks
    if Version(source.latest) > Version(project.version):
        with sources.checkout(source, source.latest) as folder:
            latest = answers_.load_spec(folder, trusted=trusted, source=source.url)
        if MODULE_QUESTION in latest.names:
            raise TemplateError(
                f"template {project.version} has no module template",
                f"run `chassis update` first: template {source.latest} has one",
            )
    raise TemplateError(
        f"template {source.url} does not support modules (version {source.latest} has no "
        f"{MODULE_QUESTION} question)",
        "write the module by hand, or use a template with a module part",
    )


def _existing_modules(project: Project) -> dict[str, list[str]]:
    """Every module the project has, by name: the ones added (their answers files) and
    the packages under a ``modules/`` folder of its source (``notes``), each with its
    folders."""
    found: dict[str, list[str]] = {m.name: [] for m in read_modules(project)}
    listed = git.run("ls-files", "-z", "--", ":(glob)src/*/modules/*/**", cwd=project.path)
    for name in sorted({n for n in listed.split("\0") if n}):
        parts = name.split("/")
        if len(parts) > 4 and parts[3].isidentifier():  # src/PKG/modules/NAME/...
            folder = "/".join(parts[:4])
            folders = found.setdefault(parts[3], [])
            if folder not in folders:
                folders.append(folder)
    return found


def _uses(name: str, raw: Any, modules: Mapping[str, list[str]]) -> list[str]:
    """The modules ``--set uses=`` names, each one the project has."""
    used = [u.strip() for u in str(raw or "").split(",") if u.strip()]
    for other in used:
        if other == name:
            raise UsageError(
                f"module {name!r} cannot use itself", "name other modules in --set uses=..."
            )
        if other not in modules:
            have = ", ".join(sorted(modules)) or "none yet"
            raise UsageError(
                f"module {name!r} cannot use {other!r}: the project has no module {other!r} "
                f"(it has: {have})",
                f"add it first with `chassis add module {other}`, or fix --set {USES}",
            )
    return used


def _answers(
    project_answers: Mapping[str, Any],
    template: OpenTemplate,
    name: str,
    overrides: Mapping[str, Any],
    *,
    folder: Path,
    heads: Callable[[], list[str]],
) -> dict[str, Any]:
    """The answers of project ``folder``, the module's (``heads`` reads the project's
    Alembic heads, if the template asks for them) and ``overrides``, as the template
    validates them: a name its validator refuses (a reserved route prefix) says so."""
    spec = template.spec
    provided = {k: v for k, v in project_answers.items() if k in spec.names}
    provided[MODULE_QUESTION] = name
    if MIGRATION_PARENT in spec.names:
        provided[MIGRATION_PARENT] = ",".join(heads())
    provided.update(overrides)
    try:
        return spec.resolve(provided, context={"_folder_name": folder.name})
    except AnswersError as error:
        refused = [p for p in error.problems if p.key == MODULE_QUESTION]
        if refused:
            raise ModuleNameError(
                name,
                f"is refused by template {template.version}: {refused[0].message}",
                "choose another name",
            ) from None
        raise


def _module_folder(files: list[str], name: str) -> str | None:
    """The module's package folder among the files it adds (``src/PKG/modules/NAME``)."""
    for file in files:
        found = re.match(rf"^(.*?(?:^|/)modules/{re.escape(name)})/", file)
        if found:
            return found[1]
    return None


def _add_row(readme: Path, staged: Path, row: str) -> str | None:
    """Write ``readme`` with ``row`` in its module table to ``staged``, and return the
    row; None (nothing written) when there is no README or no table in it."""
    if not readme.is_file():
        return None
    text = _with_row(readme.read_bytes().decode("utf-8"), row)  # its own newlines kept
    if text is None:
        return None
    staged.write_bytes(text.encode("utf-8"))
    shutil.copymode(readme, staged)
    return row


def _with_row(readme: str, row: str) -> str | None:
    """``readme`` with ``row`` as the last row of its module table, or None when it has
    no table (no chassis markers)."""
    lines = readme.splitlines(keepends=True)
    starts = [i for i, line in enumerate(lines) if line.strip() == README_START]
    ends = [i for i, line in enumerate(lines) if line.strip() == README_END]
    if not starts or not ends or ends[0] < starts[0]:
        return None
    end = ends[0]
    newline = "\r\n" if lines[end].endswith("\r\n") else "\n"
    if end > 0 and not lines[end - 1].endswith(("\n", "\r")):
        lines[end - 1] += newline
    lines.insert(end, row + newline)
    return "".join(lines)


def alembic_heads(project: Path, *, tracked: bool = True) -> list[str]:
    """The Alembic head revisions of the project's migrations: those of the tracked
    ``migrations/versions/*.py`` files (any, unless ``tracked``) that no other revises,
    read with ``ast``."""
    if tracked:
        listed = git.run("ls-files", "-z", "--", ":(glob)**/migrations/versions/*.py", cwd=project)
        names = [n for n in listed.split("\0") if n]
    else:
        names = [
            p.relative_to(project).as_posix() for p in project.glob("**/migrations/versions/*.py")
        ]
    revisions: list[str] = []
    parents: set[str] = set()
    for name in sorted(names):
        try:
            tree = ast.parse((project / name).read_bytes(), filename=name)
        except (OSError, SyntaxError, ValueError):
            continue
        values = _assignments(tree)
        revision = values.get("revision")
        if isinstance(revision, str):
            revisions.append(revision)
        down = values.get("down_revision")
        if isinstance(down, str):
            parents.add(down)
        elif isinstance(down, list | tuple):
            parents.update(d for d in down if isinstance(d, str))
    return sorted(r for r in dict.fromkeys(revisions) if r not in parents)


def _assignments(tree: ast.Module) -> dict[str, Any]:
    """The module-level constants assigned in ``tree`` (``x = ...`` and ``x: T = ...``)."""
    found: dict[str, Any] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign):
            targets, value = node.targets, node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            targets, value = [node.target], node.value
        else:
            continue
        for target in targets:
            if isinstance(target, ast.Name):
                try:
                    found[target.id] = ast.literal_eval(value)
                except (ValueError, TypeError, SyntaxError, RecursionError):
                    continue
    return found
