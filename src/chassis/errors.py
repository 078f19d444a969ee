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
    "NotAProjectError",
    "Problem",
    "TemplateError",
    "UnknownPresetError",
    "UnknownVersionError",
    "UnsupportedTemplateError",
    "UpdateInProgressError",
    "UsageError",
]


class ExitCode(IntEnum):
    """The documented exit codes (docs/exit-codes.md)."""

    OK = 0
    ERROR = 1
    USAGE = 2
    UPDATE_AVAILABLE = 3
    CONFLICTS = 4
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
            "fix the file (a YAML mapping with a `defaults:` mapping) or remove it",
        )


class InvalidTargetError(ChassisError):
    """The destination of ``chassis new`` cannot take a new project."""


class NotAProjectError(ChassisError):
    """The path is not a project chassis (or Copier) generated."""


class DirtyTreeError(ChassisError):
    def __init__(self, path: Path, files: Sequence[str]) -> None:
        shown = ", ".join(files[:5]) + (f" and {len(files) - 5} more" if len(files) > 5 else "")
        super().__init__(
            f"{path} has uncommitted changes ({shown})",
            "commit or stash them first, so the update can be reviewed and undone",
        )
        self.files = tuple(files)


class GitError(ChassisError):
    """git is missing, or a git operation chassis needs failed."""


class TemplateError(ChassisError):
    """The template source cannot be found, read or used."""


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

    def __init__(self, version: str, source: str, available: Sequence[str]) -> None:
        listed = ", ".join(available[-8:]) if available else "none"
        super().__init__(
            f"template version {version!r} does not exist in {source}",
            f"choose one of: {listed}",
        )


class UpdateInProgressError(ChassisError):
    def __init__(self, path: Path) -> None:
        super().__init__(
            f"another chassis update is running in {path}",
            "wait for it to finish, then run the update again",
        )
