"""What a template source at a version is, what a generated project records, and
``check``: is a newer template version available?"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from packaging.version import InvalidVersion, Version

from chassis import answers as answers_
from chassis import git, sources
from chassis._copier import first_line
from chassis.errors import NotAProjectError, TemplateError

__all__ = [
    "ANSWERS_FILE",
    "MODULE_ANSWERS",
    "MODULE_QUESTIONS",
    "UNSAFE_SETTINGS",
    "CheckResult",
    "Module",
    "OpenTemplate",
    "Project",
    "check",
    "find_root",
    "module_answers_file",
    "open_template",
    "read_modules",
    "read_project",
    "source_for",
    "unresolved",
]

ANSWERS_FILE = ".copier-answers.yml"
# Each module a project added records its answers at the project root in one of these
# (Copier's pattern for several templates in one project: `copier update -a FILE`).
MODULE_ANSWERS = ".copier-answers.module-{name}.yml"
_MODULE_PREFIX, _MODULE_SUFFIX = MODULE_ANSWERS.split("{name}")
# The questions only a module's render asks (CONTRACT: hidden from a project's render).
MODULE_QUESTIONS = ("module_name", "uses", "migration_parent")


def module_answers_file(name: str) -> str:
    """The answers file of the module ``name``, relative to the project root."""
    return MODULE_ANSWERS.format(name=name)


@dataclass(frozen=True)
class OpenTemplate:
    """A template source at one version, with its questions and presets."""

    source: sources.TemplateSource
    version: str
    spec: answers_.TemplateSpec


class _Recorded:
    """What an answers file records: the template's source and version, and the answers."""

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


@dataclass(frozen=True)
class Project(_Recorded):
    """A generated project: where it is and what its answers file records."""

    path: Path
    answers: Mapping[str, Any]
    # The answers file's name: Copier's default, or the template's own `_answers_file`.
    answers_file: str = ".copier-answers.yml"


@dataclass(frozen=True)
class Module(_Recorded):
    """A module added to a project: its name and what its own answers file records."""

    name: str
    answers: Mapping[str, Any]

    @property
    def answers_file(self) -> str:
        return module_answers_file(self.name)


@dataclass(frozen=True)
class CheckResult:
    path: Path
    source: str
    current: str
    latest: str
    # What of the latest version runs code (tasks, migrations, Jinja extensions), when
    # the source is not trusted: the update needs --trust, or trust set once.
    needs_trust: tuple[str, ...] = ()
    # Files an earlier update left unresolved: with conflict markers, or .rej files.
    unresolved: tuple[str, ...] = ()
    # Each added module and the template version it records.
    modules: tuple[tuple[str, str], ...] = ()

    @property
    def behind(self) -> list[tuple[str, str]]:
        """The modules (name, version) older than the latest template version."""
        return [(n, v) for n, v in self.modules if Version(v) < Version(self.latest)]

    @property
    def up_to_date(self) -> bool:
        return Version(self.current) >= Version(self.latest) and not self.behind


def open_template(
    *, template: str | None = None, version: str | None = None, trust: bool = False
) -> OpenTemplate:
    """The bundled template, or ``template``, at ``version`` (default: its latest).

    With ``trust`` (or for the bundled template) the template's Jinja extensions load
    now, so a missing one is reported before anything is asked or written."""
    source = sources.from_spec(template) if template else sources.bundled()
    chosen = source.require(version) if version else source.latest
    trusted = trust or source.trusted
    with sources.checkout(source, chosen) as folder:
        spec = answers_.load_spec(folder, trusted=trusted, source=source.url)
    if trusted:
        spec.load_extensions()
    return OpenTemplate(source, chosen, spec)


def find_root(path: Path) -> Path:
    """The project that ``path`` is in: the nearest folder upwards holding the answers
    file, not leaving the git repository (as ``chassis adr`` finds its folder); ``path``
    itself when there is none, for :func:`read_project` to say why it is no project."""
    for folder in (path, *path.parents):
        if answers_files(folder):
            return folder
        if (folder / ".git").exists():
            break  # do not wander out of the repository into a parent project
    return path


def read_project(path: Path) -> Project:
    """The project at ``path``, or in a folder above it (up to the git repository's root),
    or a NotAProjectError saying why it is not one."""
    path = Path(os.path.abspath(path.expanduser()))  # noqa: PTH100 - keep symlinked names
    if not path.is_dir():
        raise NotAProjectError(
            f"{path} is not a directory", "run the command in, or pass, a generated project's root"
        )
    path = find_root(path)
    found = answers_files(path)
    if not found:
        raise NotAProjectError(
            f"{path} has no {ANSWERS_FILE}, so chassis did not generate it",
            "run the command in a generated project's root, or create one with `chassis new`",
        )
    if len(found) > 1:
        raise NotAProjectError(
            f"{path} has several Copier answers files ({', '.join(f.name for f in found)}), "
            "one per template applied to it",
            "update each template with `copier update -a FILE`: chassis keeps a project "
            "built from one template",
        )
    (answers_file,) = found
    return Project(path, _checked_answers(answers_file), answers_file.name)


def _checked_answers(answers_file: Path) -> dict[str, Any]:
    """What ``answers_file`` records, or a NotAProjectError when it names no template
    source and version."""
    name = answers_file.name
    try:
        recorded = answers_.read_project_answers(answers_file)
    except Exception as error:
        raise NotAProjectError(
            f"{answers_file} cannot be read ({first_line(error)})",
            f"restore it from git: git checkout HEAD -- {name}",
        ) from error
    for key in ("_src_path", "_commit"):
        if not isinstance(recorded.get(key), str) or not recorded[key]:
            raise NotAProjectError(
                f"{answers_file} records no {key}, so its template version is unknown",
                f"restore it from git history (git log -p -- {name})",
            )
    try:
        Version(recorded["_commit"])  # every template version chassis reads is one
    except InvalidVersion:
        raise NotAProjectError(
            f"{answers_file} records _commit {recorded['_commit']!r}, which is not a template "
            "version",
            f"restore it from git history (git log -p -- {name})",
        ) from None
    return recorded


def answers_files(folder: Path) -> list[Path]:
    """The Copier answers files in ``folder``: ``.copier-answers.yml``, else those a
    template named with its own ``_answers_file`` (Copier's convention is
    ``.copier-answers.NAME.yml``)."""
    default = folder / ANSWERS_FILE
    if default.is_file():
        return [default]
    return sorted(
        p
        for p in folder.glob(".copier-answers*")
        if p.is_file() and p.suffix in {".yml", ".yaml"} and not _is_module_file(p.name)
    )


def _is_module_file(name: str) -> bool:
    return name.startswith(_MODULE_PREFIX) and name.endswith(_MODULE_SUFFIX)


def read_modules(project: Project) -> list[Module]:
    """The modules added to ``project``: one for each module answers file at its root
    (tracked by git, in a repository), each checked as the project's own is."""
    root = project.path
    if git.toplevel(root) is not None:
        listed = git.run("ls-files", "-z", "--", f"{_MODULE_PREFIX}*{_MODULE_SUFFIX}", cwd=root)
        names = sorted(n for n in listed.split("\0") if n and "/" not in n)
    else:
        names = sorted(p.name for p in root.glob(f"{_MODULE_PREFIX}*{_MODULE_SUFFIX}"))
    modules = []
    for name in names:
        recorded = _checked_answers(root / name)
        module = name.removeprefix(_MODULE_PREFIX).removesuffix(_MODULE_SUFFIX)
        if recorded["_src_path"] != project.src_path:
            raise NotAProjectError(
                f"{name} records template {recorded['_src_path']}, not the project's "
                f"{project.src_path}",
                f"set _src_path in {name} to the project's template, as in {project.answers_file}",
            )
        modules.append(Module(module, recorded))
    return modules


def source_for(project: Project) -> sources.TemplateSource:
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


# Copier's settings whose presence makes a template run code on the user's machine.
UNSAFE_SETTINGS = {
    "_tasks": "tasks",
    "_migrations": "migrations",
    "_jinja_extensions": "extensions",
}


def check(*, path: Path) -> CheckResult:
    """The project's template version and the newest one its source has, and the files
    an earlier update left with conflicts."""
    project = read_project(path)
    left = unresolved(project.path)
    source = source_for(project)
    modules = tuple((m.name, m.version) for m in read_modules(project))
    result = CheckResult(
        project.path, project.src_path, project.version, source.latest, (), left, modules
    )
    if not result.up_to_date and not source.trusted:
        with sources.checkout(source, source.latest) as folder:
            needs = answers_.unsafe_settings(folder, UNSAFE_SETTINGS)
        result = replace(result, needs_trust=needs)
    return result


# The lines Copier (and git) start a conflict with, and end it with.
_MARKERS = ("^<<<<<<< ", "^>>>>>>> ")


def unresolved(path: Path) -> tuple[str, ...]:
    """The files under the project at ``path`` that hold conflict markers, and the .rej
    files, that an update left: tracked or untracked, never ignored, relative to ``path``.

    Outside a git repository, the files git would not ignore there."""
    inside = git.toplevel(path) is not None
    where = [] if inside else ["--no-index", "--exclude-standard"]
    patterns = [arg for marker in _MARKERS for arg in ("-e", marker)]
    grep = git.run(
        "grep", *where, *(["--untracked"] if inside else []), "-l", "-z", "-I", *patterns,
        "--", ".", cwd=path, check=False,
    )  # fmt: skip
    found = {name for name in grep.split("\0") if name}
    if inside:
        listed = git.run(
            "ls-files", "-z", "--cached", "--others", "--exclude-standard", "--", "*.rej",
            cwd=path,
        )  # fmt: skip
        found |= {name for name in listed.split("\0") if name and (path / name).is_file()}
    else:
        found |= {p.relative_to(path).as_posix() for p in path.rglob("*.rej") if p.is_file()}
    return tuple(sorted(found))
