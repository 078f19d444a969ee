"""The ``chassis`` command line: parse, call the engine, print.

:func:`main` is the one place where errors become messages and exit codes
(docs/exit-codes.md). Heavy modules (the engine, Copier, questionary) are
imported inside the commands, so ``chassis --help`` stays fast.
"""

from __future__ import annotations

import os
import shlex
import signal
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer

from chassis import __version__
from chassis.errors import ChassisError, ExitCode

if TYPE_CHECKING:
    from chassis.answers import TemplateSpec
    from chassis.console import Output
    from chassis.engine import AddResult
    from chassis.new import NewResult
    from chassis.update import UpdateResult

__all__ = ["app", "main"]

app = typer.Typer(
    name="chassis",
    help="Bootstrap a service project from a versioned template, and keep it updatable.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


@dataclass
class _State:
    verbose: bool = False
    # What a command has already changed on disk, and what to do about it: an
    # interruption after that point (while reporting, say) must not claim that nothing
    # was changed.
    done: str | None = None
    then: str | None = None
    cut_short: bool = True  # whether only the report was left to do


_state = _State()


class ConflictMode(StrEnum):
    inline = "inline"
    rej = "rej"


def _version(value: bool) -> None:
    if value:
        typer.echo(f"chassis {__version__}")
        raise typer.Exit


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Show the version and exit."
        ),
    ] = False,
    verbose: Annotated[
        bool,
        typer.Option(
            "--verbose", "-v", help="Show the traceback behind any error, expected or not."
        ),
    ] = False,
) -> None:
    _state.verbose = verbose


def _output() -> Output:
    from chassis.console import Output  # noqa: PLC0415 - lazy: keeps --help fast

    return Output()


def _interactive() -> bool:
    return sys.stdin.isatty() and sys.stdout.isatty()


def _given(fix: str) -> Callable[[str | Path], str]:
    """A parser that refuses an empty value, saying ``fix``: ``chassis new "$DIR"`` with
    DIR unset must not quietly mean the current directory, nor ``--template ''`` the
    bundled template. Click calls it for each value given; its ValueError becomes the
    one-line "Invalid value" usage error."""

    def parse(value: str | Path) -> str:
        text = str(value)
        if not text.strip():
            raise ValueError(f"it is empty; {fix}")
        return text

    return parse


def _given_path(fix: str) -> Callable[[str | Path], Path]:
    parse = _given(fix)
    return lambda value: Path(parse(value))


OPTIONAL = "give a value, or leave the option out for its default"
PROJECT = "give the project's directory, or leave it out for the current one"


def _complete_preset(ctx: typer.Context, incomplete: str) -> list[str]:
    from chassis import _complete  # noqa: PLC0415 - lazy: keeps --help fast

    return _complete.preset_names(ctx.params.get("template"), incomplete)


def _complete_set(ctx: typer.Context, incomplete: str) -> list[str]:
    """For ``new``: the template's questions; for ``update``: the project's answers; for
    ``add module``: ``uses=`` and the project's modules."""
    from chassis import _complete  # noqa: PLC0415 - lazy: keeps --help fast

    if ctx.info_name == "module":
        path = ctx.params.get("path")
        return _complete.module_keys(Path(path) if path else None, incomplete)
    if ctx.info_name == "update":
        path = ctx.params.get("path")
        return _complete.answer_keys(Path(path) if path else None, incomplete)
    return _complete.question_keys(ctx.params.get("template"), incomplete)


SetOption = Annotated[
    list[str] | None,
    typer.Option(
        "--set",
        "-s",
        metavar="KEY=VALUE",
        help="Answer a question; repeat for several.",
        autocompletion=_complete_set,
    ),
]


@app.command()
def new(
    dest: Annotated[
        Path,
        typer.Argument(
            parser=_given_path("name the directory to create"),
            help="Directory to create; it must not exist or be empty.",
        ),
    ],
    preset: Annotated[
        str | None,
        typer.Option(
            parser=_given(OPTIONAL),
            help="Start from a preset (see `chassis presets`).",
            autocompletion=_complete_preset,
        ),
    ] = None,
    set_: SetOption = None,
    answers_file: Annotated[
        Path | None,
        typer.Option(
            parser=_given_path(OPTIONAL), help="A YAML file of answers, such as another project's."
        ),
    ] = None,
    keep_identity: Annotated[
        bool,
        typer.Option(
            "--keep-identity",
            help="Take the name, slug and package from another project's --answers-file too.",
        ),
    ] = False,
    defaults: Annotated[
        bool, typer.Option("--defaults", help="Never prompt; use defaults for anything unanswered.")
    ] = False,
    template: Annotated[
        str | None,
        typer.Option(
            parser=_given(OPTIONAL),
            help="A Copier template as a git URL, repository or bundle; default: bundled.",
        ),
    ] = None,
    vcs_ref: Annotated[
        str | None,
        typer.Option(parser=_given(OPTIONAL), help="Template version to use; default: the latest."),
    ] = None,
    no_git: Annotated[
        bool, typer.Option("--no-git", help="Do not create a git repository.")
    ] = False,
    no_lock: Annotated[
        bool, typer.Option("--no-lock", help="Do not lock the dependencies with uv.")
    ] = False,
    trust: Annotated[
        bool, typer.Option("--trust", help="Let a --template run its tasks and migrations.")
    ] = False,
    skip_tasks: Annotated[
        bool, typer.Option("--skip-tasks", help="Do not run the template's tasks.")
    ] = False,
    yes: Annotated[
        bool, typer.Option("--yes", "-y", help="Do not ask for confirmation before writing.")
    ] = False,
) -> None:
    """Create a new project from the template."""
    from chassis import answers, engine  # noqa: PLC0415 - lazy: keeps --help fast

    out = _output()
    target = engine.check_target(dest)
    sets = answers.parse_sets(set_ or [])
    opened = engine.open_template(template=template, version=vcs_ref, trust=trust)
    spec = opened.spec
    interactive = not defaults and _interactive()

    # A template without presets has nothing to choose from: go straight to the questions.
    offer = interactive and bool(spec.presets)
    preset_name = preset or (out.choose_preset(spec.presets) if offer else None)
    provided: dict[str, Any] = {}
    if preset_name:
        chosen = spec.preset(preset_name)
        if chosen.unavailable:
            raise ChassisError(
                f"preset {preset_name!r} is not available in template {opened.version}: "
                f"{chosen.unavailable}",
                "choose an available preset (see `chassis presets`)",
            )
        provided.update(chosen.answers)
    if answers_file is not None:
        from_file = answers.read_answers_file(answers_file)
        if not keep_identity and answers.is_project_answers(answers_file):
            # Another project's answers: its choices, not its name.
            dropped = [k for k in answers.identity_questions(spec) if k in from_file]
            for key in dropped:
                del from_file[key]
            if dropped:
                out.note(
                    f"note: not taking {', '.join(dropped)} from {answers_file}, another "
                    "project's answers; pass --keep-identity to take them too"
                )
        if answers.is_project_answers(answers_file):
            # Where the other project keeps the template's starting modules is its past
            # (from before they were modules, say), not a choice for a new project.
            for key in spec.new_defaults():
                from_file.pop(key, None)
        provided.update(from_file)
    provided.update(sets)
    _refuse_module_answers(spec, provided)
    layered_defaults = {
        **spec.new_defaults(),
        **answers.git_defaults(),
        **answers.user_config_defaults(),
    }
    context = {"_folder_name": target.name}

    if interactive:
        confirm = None if yes else f"Create {target}?"
        interviewed = out.interview(spec, provided, layered_defaults, context, confirm=confirm)
        if interviewed is None:
            out.note("Cancelled: nothing was created.")
            raise typer.Exit(ExitCode.ERROR)
        final = interviewed
    else:
        final = spec.resolve(provided, defaults=layered_defaults, context=context)

    result = engine.new(
        template=opened,
        dest=target,
        answers=final,
        commit=not no_git,
        trust=trust,
        lock=not no_lock,
        skip_tasks=skip_tasks,
        on_created=_record_new,
    )
    from chassis.lock import uv_command  # noqa: PLC0415 - lazy: keeps --help fast

    steps = _message_after_copy(spec, {**context, **final, "_uv": uv_command()}, result)
    out.created(result, f"cd {shlex.quote(str(dest))}\n{steps}")


def _refuse_module_answers(spec: TemplateSpec, provided: dict[str, Any]) -> None:
    """Refuse a module's own answer given to `new`: with the template's module questions
    answered, Copier would render a module where a project was asked for."""
    from chassis.errors import UsageError  # noqa: PLC0415 - lazy, as the command's imports
    from chassis.projects import MODULE_QUESTIONS  # noqa: PLC0415

    asked = {question.name for question in spec.questions}
    given = [key for key in MODULE_QUESTIONS if key in asked and key in provided]
    if given:
        raise UsageError(
            f"{given[0]} is a module's answer, and `chassis new` creates a project",
            "leave it out; in the new project, add modules with `chassis add module NAME`",
        )


def _message_after_copy(spec: TemplateSpec, answers: dict[str, Any], result: NewResult) -> str:
    """The template's ``_message_after_copy``, with what Copier gives it besides the
    answers (``_copier_conf``; :meth:`TemplateSpec.render` adds ``_copier_python``).
    The project exists by now: a message that cannot be rendered is left out, with a
    note, never a failure."""
    from chassis.projects import ANSWERS_FILE  # noqa: PLC0415 - lazy: keeps --help fast

    conf = {
        "dst_path": str(result.path),
        "src_path": result.source,
        "vcs_ref": result.version,
        "answers_file": ANSWERS_FILE,
        "sep": os.sep,
        "os": "linux" if sys.platform.startswith("linux") else sys.platform,
    }
    try:  # spec.render gives _copier_python itself
        return str(spec.render(spec.next_steps, {**answers, "_copier_conf": conf}))
    except Exception as error:  # noqa: BLE001 - any template error: the project stands
        _output().note(f"the template's message after copy could not be shown: {error}")
        return ""


@app.command()
def update(
    path: Annotated[
        Path, typer.Argument(parser=_given_path(PROJECT), help="The project to update.")
    ] = Path(),
    to: Annotated[
        str | None,
        typer.Option(
            parser=_given(OPTIONAL), help="Template version to update to; default: the latest."
        ),
    ] = None,
    set_: SetOption = None,
    conflict: Annotated[
        ConflictMode,
        typer.Option(help="Leave conflicts as inline markers, or in .rej files."),
    ] = ConflictMode.inline,
    plan: Annotated[
        bool, typer.Option("--plan", help="Change nothing; show what the update would do.")
    ] = False,
    json_: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
    trust: Annotated[
        bool, typer.Option("--trust", help="Let a custom template run its tasks and migrations.")
    ] = False,
    skip_tasks: Annotated[
        bool, typer.Option("--skip-tasks", help="Do not run the template's tasks.")
    ] = False,
    reason: Annotated[
        str | None,
        typer.Option(help="Why a --set changes a decision; recorded in the new ADR."),
    ] = None,
) -> None:
    """Merge later template changes into a project and its added modules, keeping the
    team's edits.

    A --set that changes a decision writes a new ADR superseding the old one.
    Exits 0 when the merge is clean and 4 when conflicts remain to resolve (with
    --plan: when the update would leave conflicts).
    """
    from chassis import answers, engine  # noqa: PLC0415 - lazy: keeps --help fast

    out = _output()
    result = engine.update(
        path=path,
        to=to,
        overrides=answers.parse_sets(set_ or []),
        conflict=conflict.value,
        plan=plan,
        trust=trust,
        reason=reason,
        skip_tasks=skip_tasks,
        on_applied=_record_update,
    )
    if json_:
        out.json(
            {
                "path": str(result.path),
                "from": result.from_version,
                "to": result.to_version,
                "applied": result.applied,
                "changed_answers": dict(result.changed_answers),
                "files": [
                    {"path": c.path, "status": c.status, "detail": c.detail} for c in result.changes
                ],
                "conflicts": result.conflicts,
                "decisions": [
                    {"path": d.path, "title": d.title, "supersedes": d.supersedes}
                    for d in result.decisions
                ],
                "notes": list(result.notes),
                "answer_problems": [
                    {"key": a.key, "value": a.value, "problem": a.problem, "set": a.set_flag}
                    for a in result.stale_answers
                ],
                "modules": [
                    {
                        "name": m.name,
                        "answers_file": m.answers_file,
                        "from": m.from_version,
                        "to": m.to_version,
                    }
                    for m in result.modules
                ],
            }
        )
    else:
        out.updated(result, reason_given=bool(reason and reason.strip()))
    if result.conflicts:  # left in the project, or (--plan) predicted
        raise typer.Exit(ExitCode.CONFLICTS)


def _record_new(result: NewResult) -> None:
    """Record a project that is in place, for the message of an interruption."""
    _state.done = f"{result.path} was created"


def _record_update(result: UpdateResult) -> None:
    """Record an update that is in the project, for the message of an interruption."""
    if not result.changes:
        return
    _state.done = f"{result.path} was updated to template {result.to_version}, uncommitted"
    conflicts, rejects = result.conflicts, result.rejects
    how = (
        f"apply your hunks from {', '.join(rejects)} and delete them" if rejects else "resolve them"
    )
    _state.then = (
        f"{len(conflicts)} file(s) have conflicts ({', '.join(conflicts)}): {how}, "
        "review with `git diff`, then commit"
        if conflicts
        else "review with `git diff`, then commit"
    )


@app.command()
def check(
    path: Annotated[
        Path, typer.Argument(parser=_given_path(PROJECT), help="The project to check.")
    ] = Path(),
    json_: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Tell whether a newer template version exists, for the project and each module it
    added: exit 0 if all are current, 3 if not.

    Exits 5 when an earlier update left conflicts unresolved (markers or .rej files).
    """
    from chassis import engine  # noqa: PLC0415 - lazy: keeps --help fast

    out = _output()
    result = engine.check(path=path)
    if json_:
        out.json(
            {
                "path": str(result.path),
                "template": result.source,
                "current": result.current,
                "latest": result.latest,
                "up_to_date": result.up_to_date,
                "needs_trust": list(result.needs_trust),
                "unresolved": list(result.unresolved),
                "modules": [
                    {
                        "name": name,
                        "current": version,
                        "up_to_date": (name, version) not in result.behind,
                    }
                    for name, version in result.modules
                ],
            }
        )
    else:
        out.checked(result)
    if result.unresolved:
        raise typer.Exit(ExitCode.UNRESOLVED)
    if not result.up_to_date:
        raise typer.Exit(ExitCode.UPDATE_AVAILABLE)


@app.command()
def presets(
    template: Annotated[
        str | None,
        typer.Option(
            parser=_given(OPTIONAL), help="List another template's presets; default: bundled."
        ),
    ] = None,
    json_: Annotated[bool, typer.Option("--json", help="Print the presets as JSON.")] = False,
    trust: Annotated[
        bool,
        typer.Option(
            "--trust", help="Let a --template load its Jinja extensions to check presets."
        ),
    ] = False,
) -> None:
    """List the presets: named sets of answers for common architectures."""
    from chassis import engine  # noqa: PLC0415 - lazy: keeps --help fast

    out = _output()
    found = engine.open_template(template=template, trust=trust).spec.presets
    if json_:
        out.json(
            {
                name: {
                    "description": p.description,
                    "available": not p.unavailable,
                    "unavailable_reason": p.unavailable or None,
                    "answers": dict(p.answers),
                }
                for name, p in found.items()
            }
        )
    else:
        out.presets(found)


add_app = typer.Typer(help="Add a part to a project from its own template.", no_args_is_help=True)
app.add_typer(add_app, name="add")


@add_app.command("module")
def add_module(
    name: Annotated[
        str,
        typer.Argument(
            parser=_given("name the module, such as orders"),
            help="The module's name: a lower snake_case Python identifier, such as orders.",
        ),
    ],
    path: Annotated[
        Path, typer.Argument(parser=_given_path(PROJECT), help="The project to add it to.")
    ] = Path(),
    set_: SetOption = None,
    plan: Annotated[
        bool, typer.Option("--plan", help="Change nothing; list the files it would write.")
    ] = False,
    json_: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
    trust: Annotated[
        bool,
        typer.Option(
            "--trust", help="Let a custom template run its tasks and load its Jinja extensions."
        ),
    ] = False,
    skip_tasks: Annotated[
        bool, typer.Option("--skip-tasks", help="Do not run the template's tasks.")
    ] = False,
) -> None:
    """Add a business module, rendered from the project's template at the project's
    template version; `chassis update` keeps it up to date.

    --set uses=notes makes it call the notes module through its service interface.
    The files are left uncommitted, for review.
    """
    from chassis import answers, engine  # noqa: PLC0415 - lazy: keeps --help fast

    out = _output()
    result = engine.add_module(
        path=path,
        name=name,
        overrides=answers.parse_sets(set_ or []),
        plan=plan,
        trust=trust,
        skip_tasks=skip_tasks,
        on_added=_record_add,
    )
    if json_:
        out.json(
            {
                "path": str(result.path),
                "module": result.name,
                "template_version": result.version,
                "answers_file": result.answers_file,
                "folder": result.folder,
                "applied": result.applied,
                "files": list(result.files),
                "readme_row": result.readme_row,
                "notes": list(result.notes),
            }
        )
    else:
        out.module_added(result)


def _record_add(result: AddResult) -> None:
    """Record a module that is in the project, for the message of an interruption."""
    _state.done = f"module {result.name} was added to {result.path}, uncommitted"
    _state.then = "review it with `git status` and `git diff`, then commit"


template_app = typer.Typer(help="The template bundled with chassis.", no_args_is_help=True)
app.add_typer(template_app, name="template")


@template_app.command("export")
def template_export(
    json_: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Write the bundled template's history to the path projects record, so that plain
    `copier update` works on this machine without chassis."""
    from chassis import sources  # noqa: PLC0415 - lazy: keeps --help fast

    source = sources.bundled()
    out = _output()
    if json_:
        out.json(
            {
                "path": source.url,
                "file": str(Path(source.url).expanduser()),
                "versions": list(source.versions),
            }
        )
    else:
        out.template_exported(source)


adr_app = typer.Typer(
    help="Architecture decision records in docs/adr/ (or docs/decisions/, doc/adr/).",
    no_args_is_help=True,
)
app.add_typer(adr_app, name="adr")


class AdrStatus(StrEnum):
    proposed = "proposed"
    accepted = "accepted"


DirOption = Annotated[
    Path | None,
    typer.Option(
        "--dir",
        parser=_given_path(OPTIONAL),
        help="The ADR folder; default: the nearest docs/adr/ (or docs/decisions/, doc/adr/).",
    ),
]


def _adr_dir(folder: Path | None) -> Path:
    from chassis import adr  # noqa: PLC0415 - lazy: keeps --help fast

    if folder is None:
        return adr.find_dir(Path.cwd())
    if not folder.is_dir():
        problem = "is not a directory" if folder.exists() else "does not exist"
        raise ChassisError(
            f"the ADR folder {folder} {problem}", "create it, or pass an existing --dir"
        )
    return folder


@adr_app.command("new")
def adr_new(
    title: Annotated[
        str, typer.Argument(help='The decision, as a short phrase: "Use PostgreSQL".')
    ],
    supersedes: Annotated[
        int | None,
        typer.Option(metavar="N", help="Mark ADR N as superseded by this one, linking both."),
    ] = None,
    status: Annotated[AdrStatus, typer.Option(help="The new record's status.")] = (
        AdrStatus.proposed
    ),
    date: Annotated[
        datetime | None,
        typer.Option(
            formats=["%Y-%m-%d"],
            metavar="YYYY-MM-DD",
            help="The decision's date; default: today, or $CHASSIS_ADR_DATE.",
        ),
    ] = None,
    folder: DirOption = None,
) -> None:
    """Create the next numbered ADR from the project's template (docs/adr/template.md)."""
    from chassis import adr  # noqa: PLC0415 - lazy: keeps --help fast

    record, superseded = adr.create(
        _adr_dir(folder),
        title,
        status=status.value,
        when=date.date() if date else None,
        supersedes=supersedes,
    )
    _output().adr_created(record, superseded)


@adr_app.command("list")
def adr_list(
    json_: Annotated[bool, typer.Option("--json", help="Print the records as JSON.")] = False,
    folder: DirOption = None,
) -> None:
    """List the ADRs: number, status, date and title."""
    from chassis import adr  # noqa: PLC0415 - lazy: keeps --help fast

    where = _adr_dir(folder)
    records = adr.read_all(where)
    out = _output()
    if json_:
        out.json(
            [
                {
                    "number": r.number,
                    "title": r.title,
                    "status": r.status,
                    "date": r.date,
                    "path": str(r.path),
                }
                for r in records
            ]
        )
    else:
        out.adr_list(str(where), records)


def _interrupted(
    done: str | None, then: str | None, *, report: bool = True, as_json: bool = False
) -> None:
    """Say what an interrupted command leaves: ``done``, what it had already finished,
    and ``then``, what to do about it; with ``report``, only the report was left to do.

    Printed with Typer (already loaded), not rich: a Ctrl-C that cut short the lazy
    import of the console module, or of anything it imports, leaves it half-made."""
    if done is None:
        text = "nothing was changed"
    else:
        text = done + ("; only its report was cut short" if report else "")
        text += f"; {then}" if then else ""
    typer.secho("interrupted:", fg="yellow", err=True, nl=False)
    typer.echo(f" {text}", err=True)
    if as_json:  # plain text built by hand, for the same reason: no import now
        problem = (done + ("; only its report was cut short" if report else "")) if done else text
        typer.echo(
            '{"error": {"problem": %s, "fix": %s, "exit_code": %d}}'  # noqa: UP031
            % (_quoted(f"interrupted: {problem}"), _quoted(then or ""), ExitCode.INTERRUPTED)
        )


def _quoted(text: str) -> str:
    """``text`` as a JSON string."""
    escaped = "".join(f"\\u{ord(c):04x}" if ord(c) < 0x20 or c in '"\\' else c for c in text)
    return f'"{escaped}"'


def _interrupt(signum: int, frame: FrameType | None) -> NoReturn:
    raise KeyboardInterrupt


def _command_path(argv: list[str]) -> str:
    """``chassis`` and the subcommands named in ``argv``: for a usage error that Typer
    raises without its command's context (an option missing its value)."""
    words = ["chassis"]
    command = typer.main.get_command(app)
    for word in argv:
        if word.startswith("-"):
            continue  # a group option such as --verbose
        commands: dict[str, Any] = getattr(command, "commands", {})
        if word not in commands:
            break
        words.append(word)
        command = commands[word]
    return " ".join(words)


def _wants_json(args: list[str]) -> bool:
    """Whether the command line asks for --json (before any ``--``)."""
    return "--json" in (args[: args.index("--")] if "--" in args else args)


def main(argv: list[str] | None = None) -> NoReturn:
    """Run chassis and exit with its documented exit code."""
    # SIGTERM takes the same clean-up path as Ctrl-C: no half-written project is left.
    previous = signal.signal(signal.SIGTERM, _interrupt)
    # main runs more than once in one process under the tests
    _state.done = _state.then = None
    _state.cut_short = True
    args = sys.argv[1:] if argv is None else argv
    as_json = _wants_json(args)
    code: int
    try:
        returned = app(args=argv, prog_name="chassis", standalone_mode=False)
        code = returned if isinstance(returned, int) else ExitCode.OK
    except ChassisError as error:
        if error.exit_code == ExitCode.INTERRUPTED:  # the interruption says what it left
            _state.done, _state.then = error.problem, error.fix
            _state.cut_short = False
        else:
            _output().error(error, as_json=as_json)
        if _state.verbose:
            traceback.print_exc()
        code = error.exit_code
    except typer.TyperException as error:  # a usage error: bad option, missing argument
        ctx = getattr(error, "ctx", None)
        if type(error).__name__ == "NoArgsIsHelpError":  # `chassis` or `chassis adr` alone
            typer.echo(error.format_message(), err=True)
        else:
            command = ctx.command_path if ctx else _command_path(args)
            _output().usage_error(
                error.format_message(), command, as_json=as_json, code=error.exit_code
            )
        code = error.exit_code
    except (typer.Abort, KeyboardInterrupt):
        code = ExitCode.INTERRUPTED
    except Exception as error:  # noqa: BLE001 - a bug still gets one line and exit 1
        unexpected = ChassisError(
            f"chassis failed unexpectedly: {type(error).__name__}: {error}",
            "rerun with --verbose and report the traceback",
        )
        _output().error(unexpected, as_json=as_json)
        if _state.verbose:
            traceback.print_exc()
        code = ExitCode.ERROR
    finally:
        signal.signal(signal.SIGTERM, previous)
    if code == ExitCode.INTERRUPTED:  # Typer turns Ctrl-C into exit code 130 itself
        _interrupted(_state.done, _state.then, report=_state.cut_short, as_json=as_json)
    sys.exit(int(code))
