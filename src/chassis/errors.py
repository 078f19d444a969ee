"""Every failure chassis reports to a user, each with its exit code.

A message names what went wrong and the value that caused it; ``fix`` says
what to do about it. ``chassis.cli`` is the one place that turns these into
a red line on stderr and an exit code.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntEnum
from pathlib import Path
from typing import Any

__all__ = [
    "AnswersError",
    "AnswersFileError",
    "ChassisError",
    "ConfigFileError",
    "DirtyTreeError",
    "ExitCode",
    "GitError",
    "InvalidTargetError",
    "MissingExtensionError",
    "ModuleExistsError",
    "ModuleNameError",
    "NotAProjectError",
    "Problem",
    "StaleAnswer",
    "StaleAnswersError",
    "TasksInterruptedError",
    "TemplateError",
    "UnknownPresetError",
    "UnknownVersionError",
    "UnsupportedTemplateError",
    "UpdateInProgressError",
    "UsageError",
]


class ExitCode(IntEnum):
    """The documented exit codes (docs/exit-codes.md).

    ``CONFLICTS``: ``update`` left conflicts to resolve, or ``update --plan`` predicts
    that it would. ``UNRESOLVED``: ``check`` found conflict markers or ``.rej`` files
    that an earlier update left in the project.
    """

    OK = 0
    ERROR = 1
    USAGE = 2
    UPDATE_AVAILABLE = 3
    CONFLICTS = 4
    UNRESOLVED = 5
    INTERRUPTED = 130


class ChassisError(Exception):
    """A failure the user can act on: what went wrong, and the fix."""

    exit_code: ExitCode = ExitCode.ERROR

    def __init__(self, problem: str, fix: str) -> None:
        super().__init__(problem)
        self.problem = problem
        self.fix = fix
        self.details: tuple[str, ...] = ()

    def __str__(self) -> str:
        return f"{self.problem}; {self.fix}"


@dataclass(frozen=True)
class Problem:
    """One invalid or missing answer."""

    key: str
    message: str

    def __str__(self) -> str:
        return f"{self.key}: {self.message}"


class AnswersError(ChassisError):
    """Answers are missing or invalid; every problem is listed at once."""

    exit_code = ExitCode.USAGE

    def __init__(self, problems: Sequence[Problem]) -> None:
        if len(problems) == 1:
            super().__init__(
                f"invalid answer {problems[0]}", "fix it with --set KEY=VALUE or an answers file"
            )
        else:
            super().__init__(
                f"{len(problems)} answers are invalid",
                "fix them with --set KEY=VALUE or an answers file",
            )
            self.details = tuple(str(p) for p in problems)
        self.problems = tuple(problems)


@dataclass(frozen=True)
class StaleAnswer:
    """A recorded answer that a newer template version no longer accepts."""

    key: str
    value: Any
    problem: str
    keep: str | None = None  # the --set value that keeps the project's choice, if one does

    @property
    def set_flag(self) -> str:
        """What ``--set`` takes to keep (or, without a clear successor, choose) the answer."""
        return f"{self.key}={self.keep if self.keep is not None else 'VALUE'}"

    @property
    def fix(self) -> str:
        if self.keep is not None:
            return f"keep the project's choice with --set {self.set_flag}"
        return f"choose one with --set {self.set_flag}"

    def __str__(self) -> str:
        return f"{self.key}={self.value!r}: {self.problem}; {self.fix}"


class StaleAnswersError(ChassisError):
    """The target template version no longer accepts answers the project recorded."""

    exit_code = ExitCode.USAGE

    def __init__(self, version: str, stale: Sequence[StaleAnswer]) -> None:
        if len(stale) == 1:
            (one,) = stale
            super().__init__(
                f"template {version} no longer accepts the project's answer "
                f"{one.key}={one.value!r} ({one.problem})",
                one.fix,
            )
        else:
            super().__init__(
                f"template {version} no longer accepts {len(stale)} of the project's answers",
                "pass a --set for each (listed below), then update again",
            )
            self.details = tuple(str(s) for s in stale)
        self.stale = tuple(stale)


class UsageError(ChassisError):
    """The command line itself is wrong: a malformed flag value."""

    exit_code = ExitCode.USAGE


class UnknownPresetError(ChassisError):
    exit_code = ExitCode.USAGE

    def __init__(self, name: str, available: Sequence[str]) -> None:
        super().__init__(
            f"unknown preset {name!r}",
            f"choose one of {', '.join(available)} (see `chassis presets`)",
        )


class AnswersFileError(ChassisError):
    exit_code = ExitCode.USAGE

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(
            f"cannot use answers file {path}: {reason}",
            "pass a YAML file that maps question names to answers",
        )


class ConfigFileError(ChassisError):
    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(
            f"cannot read chassis config {path}: {reason}",
            "fix the file (see docs/getting-started.md: a `defaults:` mapping and a `trust:` "
            "list) or remove it",
        )


class InvalidTargetError(ChassisError):
    """The destination of ``chassis new`` cannot take a new project."""


class NotAProjectError(ChassisError):
    """The path is not a project chassis (or Copier) generated."""


class DirtyTreeError(ChassisError):
    def __init__(self, path: Path, files: Sequence[str], *, change: str = "the update") -> None:
        shown = ", ".join(files[:5]) + (f" and {len(files) - 5} more" if len(files) > 5 else "")
        super().__init__(
            f"{path} has uncommitted changes ({shown})",
            f"commit or stash them first, so {change} can be reviewed and undone",
        )
        self.files = tuple(files)


class ModuleNameError(ChassisError):
    """``chassis add module NAME``: a name no module can have."""

    exit_code = ExitCode.USAGE

    def __init__(self, name: str, problem: str, fix: str = "") -> None:
        super().__init__(
            f"module name {name!r} {problem}",
            fix or "choose a lower snake_case name such as orders or order_items",
        )


class ModuleExistsError(ChassisError):
    """``chassis add module NAME``: the project has that module, or its files, already."""

    def __init__(self, name: str, found: Sequence[str]) -> None:
        shown = ", ".join(found[:3]) + (f" and {len(found) - 3} more" if len(found) > 3 else "")
        super().__init__(
            f"module {name!r} exists already ({shown})",
            "choose another name; `chassis update` keeps an added module up to date",
        )


class GitError(ChassisError):
    """git is missing, or a git operation chassis needs failed."""

    output: str = ""  # what the failed git command printed, for a closer look


class TemplateError(ChassisError):
    """The template source cannot be found, read or used."""


class TasksInterruptedError(ChassisError):
    """Ctrl-C or SIGTERM while the template's tasks ran in a project that an update or
    a new module has changed: the change stays, as with ``copier update`` or ``copier
    copy``; the message says what was ``done`` instead of "interrupted: nothing was
    changed", and how to ``review`` it."""

    exit_code = ExitCode.INTERRUPTED

    def __init__(self, done: str, *, review: str = "`git diff`") -> None:
        super().__init__(
            f"{done}, uncommitted, but the template's tasks were cut short",
            f"run them again by hand (`_tasks` in its copier.yml), review with {review}, "
            "then commit",
        )


class UnsupportedTemplateError(TemplateError):
    """The template uses a Copier feature chassis does not support; refused before any write."""

    def __init__(self, source: str, feature: str) -> None:
        super().__init__(
            f"template {source} uses {feature}, which chassis does not support",
            "use plain `copier copy` for this template, or remove that feature from it",
        )


class MissingExtensionError(TemplateError):
    """A Jinja extension the template names is not installed next to chassis."""

    def __init__(self, source: str, module: str) -> None:
        super().__init__(
            f"template {source} needs the Jinja extension module {module!r}, which is not "
            "installed",
            f"install its package next to chassis: `uv tool install --with PACKAGE chassis-cli` "
            f"or `pipx inject chassis-cli PACKAGE` (PACKAGE is the distribution that provides "
            f"{module})",
        )


class UnknownVersionError(ChassisError):
    exit_code = ExitCode.USAGE

    # Up to this many versions are listed one by one; a longer history is shown as its
    # range and its newest versions, so the line stays readable and still says what exists.
    LISTED = 12

    def __init__(self, version: str, source: str, available: Sequence[str]) -> None:
        if not available:
            fix = "the source has no versions: tag a release of the template"
        elif len(available) <= self.LISTED:
            fix = f"choose one of: {', '.join(available)}"
        else:
            newest = ", ".join(available[-3:])
            fix = (
                f"choose one of the {len(available)} versions from {available[0]} to "
                f"{available[-1]} (the newest: {newest})"
            )
        super().__init__(f"template version {version!r} does not exist in {source}", fix)


class UpdateInProgressError(ChassisError):
    def __init__(self, path: Path) -> None:
        super().__init__(
            f"another chassis update is running in {path}",
            "wait for it to finish, then run the update again",
        )
