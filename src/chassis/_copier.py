"""The one module that imports Copier, imported inside the functions that need it so
that ``chassis --help`` never pays for it. It uses Copier's public API (``run_copy``,
``run_update``, ``Settings``, ``copier.errors``), and in one place, said there, its
``Worker``: Copier has no public call that runs a template's tasks alone.

Copier always gets an explicit ``Settings()``, so a user's own Copier settings file
cannot silently change answers.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from chassis import git
from chassis.errors import TemplateError

if TYPE_CHECKING:
    from chassis.projects import OpenTemplate

__all__ = [
    "Conflict",
    "copier_errors",
    "first_line",
    "refuse_untrusted_tasks",
    "run_copy",
    "run_tasks",
    "run_update",
]

Conflict = Literal["inline", "rej"]


@contextlib.contextmanager
def copier_errors(source: str) -> Iterator[None]:
    """Turn Copier's failures into ChassisErrors that say what to do."""
    from copier import errors as copier_errors  # noqa: PLC0415 - lazy: keeps --help fast

    try:
        yield
    except copier_errors.UnsafeTemplateError as error:
        raise TemplateError(
            f"template {source} uses features that run code on your machine ({first_line(error)})",
            "pass --trust if you trust this template",
        ) from error
    except copier_errors.TaskError as error:
        raise TemplateError(
            # A task may be a multi-line script: on one line, so the error stays one.
            f"a task of template {source} failed: {' '.join(str(error.cmd).split())} "
            f"(exit {error.returncode})",
            "fix the task or its cause, then run chassis again",
        ) from error
    except OSError as error:
        # Copier runs git through plumbum, whose ProcessExecutionError is an OSError
        # carrying the command and its stderr: a template's submodule, cloned from its own
        # host, fails here when that host cannot be reached.
        argv = [str(arg) for arg in getattr(error, "argv", None) or []]
        stderr = str(getattr(error, "stderr", "") or "")
        if "git" not in " ".join(argv[:1]):
            raise
        host = git.network_failure(stderr)
        fetching = "a submodule of template" if "submodule" in argv else "template"
        if host is not None:
            raise TemplateError(
                f"cannot reach {host} to fetch {fetching} {source}: the network is "
                "unreachable from here",
                "check your connection (or proxy); every render of a template with "
                "submodules needs their hosts",
            ) from error
        fatal = [line for line in stderr.splitlines() if line.strip().startswith("fatal:")]
        raise TemplateError(
            f"git failed while Copier fetched {fetching} {source}: "
            f"{(fatal or [first_line(error)])[0].strip()}",
            "check the template's repository (and its submodules); --verbose shows details",
        ) from error
    except (copier_errors.CopierError, ValueError) as error:
        raise TemplateError(
            f"Copier could not use template {source}: {first_line(error)}",
            "check the template and your answers; --verbose shows details",
        ) from error


@contextlib.contextmanager
def _kind_limit(version: str, work: Path) -> Iterator[None]:
    """Name the Copier limit behind these errors: Copier 9 fails this way (plain
    ``copier update`` too) on a release that turns a folder into a file or a file into
    a folder, and on nothing else chassis knows of. ``work`` is where Copier ran: the
    path it names is given relative to it, as the project has it."""
    try:
        yield
    except (AssertionError, FileExistsError, IsADirectoryError, NotADirectoryError) as error:
        what = type(error).__name__
        name = getattr(error, "filename", None)
        if name is not None:
            if not Path(name).is_relative_to(work):
                raise  # not a path of the project: some other failure
            what += f" at {Path(name).relative_to(work).as_posix()}"
        raise TemplateError(
            f"Copier cannot update to template {version} ({what}), nor can plain `copier "
            "update`: a release that turns a folder into a file, or a file into a folder, "
            "is beyond it; nothing was changed",
            "update --to the release before that change, and ask the template's "
            "maintainers to rename the path instead",
        ) from error


def first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


@contextlib.contextmanager
def _tasks_print_to_stderr() -> Iterator[None]:
    """Send what Copier's tasks print to stderr: a task is a child process writing to
    the standard output it inherits, and stdout is chassis's report (JSON with --json)."""
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        os.dup2(2, 1)
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)


def run_copy(
    template: OpenTemplate,
    stage: Path,
    answers: Mapping[str, Any],
    *,
    trust: bool,
    version: str | None = None,
    skip_tasks: bool = False,
    answers_file: str | None = None,
) -> None:
    """Render ``template`` into ``stage``; ``answers_file`` names the answers file it
    writes there (default: the template's own ``_answers_file``), as a module's is."""
    from copier import Settings, run_copy  # noqa: PLC0415 - lazy: keeps --help fast

    with copier_errors(template.source.url), _tasks_print_to_stderr():
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
            answers_file=answers_file,
        )


def run_update(
    template: OpenTemplate,
    work: Path,
    changed: Mapping[str, Any],
    *,
    conflict: Conflict,
    trust: bool,
    skip_tasks: bool = False,
    answers_file: str | None = None,
) -> None:
    from copier import Settings, run_update  # noqa: PLC0415 - lazy: keeps --help fast

    with (
        copier_errors(template.source.url),
        _kind_limit(template.version, work),
        _tasks_print_to_stderr(),
    ):
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
            skip_tasks=skip_tasks,
            answers_file=answers_file,
        )


def refuse_untrusted_tasks(template: OpenTemplate, *, trust: bool) -> None:
    """Refuse, as Copier does, to run the tasks of a template nobody trusted: the update
    runs Copier with ``skip_tasks``, which Copier then lets through, and the tasks
    after it (:func:`run_tasks`)."""
    from copier.errors import UnsafeTemplateError  # noqa: PLC0415 - lazy: keeps --help fast

    if not (trust or template.source.trusted):
        with copier_errors(template.source.url):
            raise UnsafeTemplateError(["tasks"])


def run_tasks(
    template: OpenTemplate,
    project: Path,
    answers: Mapping[str, Any],
    *,
    trust: bool,
    operation: Literal["copy", "update"] = "update",
    answers_file: str | None = None,
) -> None:
    """Run the template's ``_tasks`` in ``project``, as ``copier update`` (or, for
    ``operation="copy"``, ``copier copy``) runs them in the destination:
    ``_copier_operation`` is ``operation``, ``_copier_conf.dst_path`` is the project,
    ``_copier_conf.answers_file`` is ``answers_file`` (a module's, or the template's
    own), and the answers are the ones the update or the copy recorded.

    chassis runs ``copier update`` in a throwaway clone (with ``skip_tasks``), so that a
    failure can be undone; the tasks must still act on the project, whose ignored files
    (``.env``, ``.venv``) the clone does not have. Copier has no public call for this, so
    this drives its ``Worker`` the way ``Worker.run_copy`` does (ask with the given
    answers and defaults, then execute the tasks), pinned by ``copier<10`` and checked
    against ``copier update`` itself in tests/test_tasks.py.
    """
    from copier import Phase  # noqa: PLC0415 - lazy: keeps --help fast
    from copier._main import Worker, _operation  # noqa: PLC0415 - see the docstring
    from copier._settings import SettingsModel  # noqa: PLC0415 - what Worker takes

    with (
        copier_errors(template.source.url),
        _tasks_print_to_stderr(),
        Worker(
            src_path=template.source.url,
            dst_path=project,
            data=dict(answers),
            vcs_ref=template.version,
            settings=SettingsModel(),  # as run_update makes of Settings()
            answers_file=Path(answers_file) if answers_file else None,
            defaults=True,
            overwrite=True,
            quiet=True,
            unsafe=trust or template.source.trusted,
        ) as worker,
    ):
        token = _operation.set(operation)
        try:
            worker._check_unsafe("copy")
            with Phase.use(Phase.PROMPT):
                worker._ask()
            with Phase.use(Phase.TASKS):
                worker._execute_tasks(worker.template.tasks)
        finally:
            _operation.reset(token)
