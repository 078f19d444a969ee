"""Everything chassis shows or asks: the only module that imports rich and questionary.

questionary is imported inside the prompting functions, so commands that do
not prompt (and ``--help``) never pay for it.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from packaging.version import Version
from rich.console import Console
from rich.markup import escape
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from chassis.adr import Record
from chassis.answers import MISSING, Choice, Preset, Question, TemplateSpec
from chassis.engine import AddResult, CheckResult, NewResult, UpdateResult
from chassis.errors import ChassisError, ExitCode
from chassis.sources import TemplateSource

__all__ = ["Output"]

_STATUS_STYLE = {
    "added": "green",
    "updated": "cyan",
    "conflict": "bold red",
    "rejected": "bold red",
    "deleted": "yellow",
    "kept-deleted": "dim",
}
_STATUS_TEXT = {
    "added": "added",
    "updated": "merged cleanly",
    "conflict": "CONFLICT",
    "rejected": "your rejected hunks",
    "deleted": "deleted by the template",
    "kept-deleted": "kept deleted (you deleted it)",
}


def _resolve(result: UpdateResult) -> str:
    """How to resolve the update's conflicts: markers inline, or hunks in .rej files."""
    if result.rejects:
        return (
            f"Apply your hunks from {', '.join(result.rejects)} by hand, delete the .rej "
            "files, then commit."
        )
    return "Resolve the markers (<<<<<<< / >>>>>>>), then commit."


def _update_heading(result: UpdateResult) -> str:
    """What an update (or its plan) changes: the project's version and answers, and the
    modules it brings along."""
    verb = "Would update" if not result.applied else "Updated"
    where = escape(str(result.path))
    if result.from_version == result.to_version and not result.changed_answers:
        head = f"{verb} the modules of {where} to template {result.to_version}:"
    else:
        head = f"{verb} {where} from template {result.from_version} to {result.to_version}"
        if result.changed_answers:
            head += " with " + ", ".join(f"{k}={v}" for k, v in result.changed_answers.items())
        if result.modules:
            head += ", and its modules"
    if result.modules:
        head += " " + ", ".join(f"{escape(m.name)} (from {m.from_version})" for m in result.modules)
    return head


@dataclass
class Output:
    """Where chassis writes: results to stdout, errors and progress to stderr."""

    out: Console = field(default_factory=lambda: Console(soft_wrap=True, highlight=False))
    err: Console = field(
        default_factory=lambda: Console(stderr=True, soft_wrap=True, highlight=False)
    )

    # --- errors ------------------------------------------------------------

    def error(self, error: ChassisError, *, as_json: bool = False) -> None:
        """The error on stderr; with ``as_json`` (the command had --json) also as JSON on
        stdout, so a script reads the same problem, fix and exit code."""
        self.err.print(f"[bold red]error:[/] {escape(str(error))}")
        for detail in error.details:
            self.err.print(f"  - {escape(detail)}")
        if as_json:
            self.json_error(error.problem, error.fix, error.exit_code, error.details)

    def usage_error(
        self, message: str, command: str, *, as_json: bool = False, code: int = ExitCode.USAGE
    ) -> None:
        # Typer words a bad choice as "Value error, 'x' is not one of ...": keep the useful part.
        message = message.replace("Value error, ", "").rstrip(".")
        fix = f"run `{command} --help` for usage"
        self.err.print(f"[bold red]error:[/] {escape(message)}; {escape(fix)}")
        if as_json:
            self.json_error(message, fix, code)

    def json_error(
        self, problem: str, fix: str, exit_code: int, details: tuple[str, ...] = ()
    ) -> None:
        error: dict[str, Any] = {"problem": problem, "fix": fix, "exit_code": int(exit_code)}
        if details:
            error["details"] = list(details)
        self.json({"error": error})

    def note(self, message: str) -> None:
        self.err.print(message)

    # --- results -----------------------------------------------------------

    def json(self, data: Mapping[str, Any] | list[Any]) -> None:
        sys.stdout.write(json.dumps(data, indent=2) + "\n")

    def presets(self, presets: Mapping[str, Preset]) -> None:
        table = Table(box=None, pad_edge=False, show_header=True, header_style="bold")
        table.add_column("preset")
        table.add_column("description")
        table.add_column("status")
        for preset in presets.values():
            status = f"unavailable: {preset.unavailable}" if preset.unavailable else "available"
            table.add_row(
                preset.name,
                escape(preset.description),
                f"[dim]{escape(status)}[/]" if preset.unavailable else f"[green]{status}[/]",
            )
        self.out.print(table)

    def created(self, result: NewResult, next_steps: str) -> None:
        self.out.print(
            f"[green]Created[/] {escape(str(result.path))} "
            f"from template {escape(result.version)} ({escape(result.source)})"
        )
        if result.locked:
            self.out.print("Locked the dependencies in uv.lock.")
        if result.committed:
            self.out.print("Initialised a git repository with one commit of the generated files.")
        for note in result.notes:
            self.err.print(f"[yellow]note:[/] {escape(note)}")
        if next_steps.strip():
            self.out.print("\n[bold]Next:[/]")
            for line in next_steps.strip().splitlines():
                if line.strip():
                    self.out.print(f"  {escape(line)}", soft_wrap=True)

    def updated(self, result: UpdateResult, *, reason_given: bool = False) -> None:
        if result.stale_answers:  # only a plan returns them: an update raises
            some = "an answer" if len(result.stale_answers) == 1 else "answers"
            self.out.print(
                f"Would stop: template {result.to_version} no longer accepts {some} "
                f"{escape(str(result.path))} recorded:"
            )
            for stale in result.stale_answers:
                self.out.print(f"  {escape(str(stale))}")
            return
        if not result.changes:
            self.out.print(
                f"{escape(str(result.path))} is up to date with template {result.to_version}."
            )
            return

        self.out.print(_update_heading(result) + ":")
        for change in result.changes:
            style = _STATUS_STYLE[change.status]
            detail = f" ({escape(change.detail)})" if change.detail else ""
            self.out.print(
                f"  [{style}]{_STATUS_TEXT[change.status]:<30}[/] {escape(change.path)}{detail}"
            )
        record = "Recorded" if result.applied else "Would record"
        for decision in result.decisions:
            self.out.print(
                f"\n{record} the change in {escape(decision.path)} ({escape(decision.title)}), "
                f"superseding {escape(decision.supersedes)}."
            )
        for note in result.notes:
            self.err.print(f"[yellow]note:[/] {escape(note)}")
        if result.decisions and not reason_given:
            self.err.print(
                "[yellow]note:[/] the new ADR asks why the decision changed; write it in "
                "(or pass --reason next time) before you merge."
            )
        if result.conflicts and result.applied:
            self.out.print(
                f"\n[bold red]{len(result.conflicts)} file(s) have conflicts.[/] "
                + _resolve(result)
                + " `git diff` shows every change."
            )
        elif result.conflicts:
            self.out.print(
                f"\n[bold red]{len(result.conflicts)} file(s) would have conflicts[/] "
                "to resolve after the update."
            )
        elif result.applied:
            self.out.print("\nReview with `git diff`, then commit.")

    def checked(self, result: CheckResult) -> None:
        if result.unresolved:
            shown = ", ".join(result.unresolved[:8]) + (
                f" and {len(result.unresolved) - 8} more" if len(result.unresolved) > 8 else ""
            )
            self.out.print(
                f"[bold red]Unresolved conflicts[/] from an earlier update in {escape(shown)}: "
                "resolve the markers (<<<<<<< / >>>>>>>), apply and delete any .rej files, "
                "then commit."
            )
        if result.up_to_date:
            modules = f" for the project and its {len(result.modules)} module(s)"
            self.out.print(
                f"Up to date: template {result.current} is the latest"
                + (modules if result.modules else "")
                + "."
            )
        elif not Version(result.current) < Version(result.latest):
            for name, version in result.behind:
                self.out.print(
                    f"[yellow]Update available:[/] module {escape(name)} is at template "
                    f"{version} -> {result.latest}. Run `chassis update`."
                )
        else:
            self.out.print(
                f"[yellow]Update available:[/] template {result.current} -> {result.latest}. "
                "Run `chassis update`."
            )
            for name, version in result.behind:
                self.out.print(
                    f"  module {escape(name)} is at template {version}: the update brings it along."
                )
            if result.needs_trust:
                self.out.print(
                    f"The template runs code on your machine ({', '.join(result.needs_trust)}):"
                    " read its copier.yml, then run `chassis update --trust`, or trust "
                    f"{escape(result.source)} for good (`trust:` in the chassis config, "
                    "$CHASSIS_TRUST in CI)."
                )

    def module_added(self, result: AddResult) -> None:
        where = escape(str(result.path))
        if result.applied:
            self.out.print(
                f"[green]Added[/] module {escape(result.name)} to {where} from template "
                f"{result.version}:"
            )
        else:
            self.out.print(
                f"Would add module {escape(result.name)} to {where} from template {result.version}:"
            )
        for file in result.files:
            self.out.print(f"  [green]{'added':<10}[/] {escape(file)}")
        if result.readme_row is not None:
            self.out.print(f"  [cyan]{'updated':<10}[/] README.md: {escape(result.readme_row)}")
        if not result.applied:
            return
        for note in result.notes:
            self.err.print(f"[yellow]note:[/] {escape(note)}")
        self.out.print(
            f"\nIts answers are in {escape(result.answers_file)}: `chassis update` keeps it "
            "up to date.\nReview with `git status` and `git diff`, then commit: "
            "git add --all && git commit"
        )
        steps = [line for line in result.next_steps.strip().splitlines() if line.strip()]
        if steps:
            self.out.print("\n[bold]Next:[/]")
            for line in steps:
                self.out.print(f"  {escape(line)}", soft_wrap=True)

    def template_exported(self, source: TemplateSource) -> None:
        self.out.print(
            f"Wrote the chassis template ({', '.join(source.versions)}) to "
            f"{escape(source.url)}, the path its projects record."
        )
        self.out.print("Plain `copier update` can now update chassis projects on this machine.")

    def adr_created(self, record: Record, superseded: Record | None) -> None:
        self.out.print(f"[green]Created[/] {escape(str(record.path))} ({record.status})")
        if superseded is not None:
            self.out.print(f"Marked {superseded.ref} ({escape(superseded.title)}) as superseded.")
        self.out.print("Fill in the sections, then open a pull request to review it like code.")

    def adr_list(self, folder: str, records: list[Record]) -> None:
        if not records:
            self.out.print(
                f'No ADRs in {escape(folder)} yet; create one with `chassis adr new "Title"`.'
            )
            return
        table = Table(box=None, pad_edge=False, show_header=True, header_style="bold")
        for column in ("number", "status", "date", "title"):
            table.add_column(column)
        for record in records:
            style = "dim" if record.superseded else ""
            table.add_row(
                f"{record.number:04d}",
                escape(record.status or "-"),
                escape(record.date or "-"),
                escape(record.title),
                style=style,
            )
        self.out.print(table)

    # --- prompts -----------------------------------------------------------

    def choose_preset(self, presets: Mapping[str, Preset]) -> str | None:
        import questionary  # noqa: PLC0415 - lazy: only prompting pays for it

        # The descriptions and reasons are printed, word-wrapped, above the menu: a menu
        # line longer than the terminal is cut, never wrapped.
        listing = Table.grid(padding=(0, 2))
        listing.add_column(style="bold", no_wrap=True)
        listing.add_column()
        listing.add_row("none", "answer every question")
        for p in presets.values():
            text = escape(p.description)
            if p.unavailable:
                text += f" [dim](unavailable: {escape(p.unavailable)})[/]"
            listing.add_row(escape(p.name), text)
        self.err.print()
        self.err.print(Padding(listing, (0, 0, 0, 2)))
        choices = [questionary.Choice("none", value="")]
        choices += [
            questionary.Choice(
                p.name, value=p.name, disabled="unavailable" if p.unavailable else None
            )
            for p in presets.values()
        ]
        picked: str = questionary.select(
            "Start from a preset?", choices=choices, style=_style()
        ).unsafe_ask()
        return picked or None

    def interview(
        self,
        spec: TemplateSpec,
        provided: Mapping[str, Any],
        defaults: Mapping[str, Any],
        context: Mapping[str, Any],
        *,
        confirm: str | None,
    ) -> dict[str, Any] | None:
        """Ask, summarise and confirm; the answers, or None when the user cancels.

        "No" at the confirmation keeps every answer and asks which one to change; the
        questions from that one on are asked again, the earlier answers proposed. Without
        ``confirm`` (``--yes``) the summary is shown and nothing is asked."""
        typed: dict[str, Any] = {}
        start: str | None = None
        while True:
            final, walked = self._walk(spec, provided, defaults, context, typed, start=start)
            self.summary(final, spec)
            if confirm is None or self.confirm(confirm):
                return final
            start = self._which_to_change(spec, walked, typed, context)
            if start is None:
                return None

    def ask(
        self,
        spec: TemplateSpec,
        provided: Mapping[str, Any],
        defaults: Mapping[str, Any],
        context: Mapping[str, Any],
    ) -> dict[str, Any]:
        """Prompt for every question not in ``provided``, then validate them all together.

        A question whose ``when`` is false, or whose ``ask`` is false, is not prompted;
        the values later questions see are cast as the template declares them."""
        return self._walk(spec, provided, defaults, context, {}, start=None)[0]

    def _walk(
        self,
        spec: TemplateSpec,
        provided: Mapping[str, Any],
        defaults: Mapping[str, Any],
        context: Mapping[str, Any],
        typed: dict[str, Any],
        *,
        start: str | None,
    ) -> tuple[dict[str, Any], list[str]]:
        """One pass over the questions: the validated answers, and the names prompted.

        ``typed`` holds every answer typed so far (updated in place) and is proposed as
        the default when a question is asked again; questions before ``start`` that have
        a typed answer keep it without being asked. ``<`` (or "← back") returns to the
        previous prompted question, its answer proposed."""
        questions = spec.questions
        first = next((i for i, q in enumerate(questions) if q.name == start), 0)
        scopes: dict[int, dict[str, Any]] = {}
        walked: list[int] = []  # the prompted questions of this pass, in order
        scope: dict[str, Any] = dict(context)
        i = 0
        while i < len(questions):
            question = questions[i]
            scopes[i] = dict(scope)
            asked = spec.asked(question, scope)
            prompt = asked and question.name not in provided and spec.prompted(question, scope)
            if prompt:
                if i >= first or question.name not in typed:
                    value = self._ask_one(spec, question, {**defaults, **typed}, scope)
                    if value is BACK:
                        if walked:
                            i = walked.pop()
                            first = min(first, i)
                            scope = scopes[i]
                        else:
                            self.err.print("[dim]This is the first question.[/]")
                        continue
                    typed[question.name] = value
                walked.append(i)
            given = {**{questions[k].name: typed[questions[k].name] for k in walked}, **provided}
            if not asked and question.name not in given:
                raw = spec.pick(question, {}, {}, scope)
            else:
                raw = spec.pick(question, given, defaults, scope)
            if raw is not MISSING:
                scope[question.name], _ = spec.check(question, raw, scope, validate=False)
            i += 1
        given = {**{questions[k].name: typed[questions[k].name] for k in walked}, **provided}
        final = spec.resolve(given, defaults=defaults, context=context)
        return final, [questions[k].name for k in walked]

    def _which_to_change(
        self,
        spec: TemplateSpec,
        walked: list[str],
        typed: Mapping[str, Any],
        context: Mapping[str, Any],
    ) -> str | None:
        """The question to ask again from, or None to cancel."""
        import questionary  # noqa: PLC0415 - lazy: only prompting pays for it

        scope = {**context, **typed}

        shown = {
            name: self._shown(spec, spec.question(name), typed[name], scope) for name in walked
        }
        choices = [
            questionary.Choice(_fit(f"{readable(name)}: {shown[name]}"), value=name)
            for name in walked
        ]
        choices.append(questionary.Choice("Cancel: create nothing", value=_CANCEL))
        self.err.print()
        self._wrapped(
            Text(
                "Every answer is kept. The questions from the one you pick on are asked "
                "again, your answers proposed: Enter keeps one.",
                style="dim",
            )
        )
        picked: str = questionary.select(
            "Which answer do you want to change?", choices=choices, style=_style()
        ).unsafe_ask()
        return None if picked == _CANCEL else picked

    def _ask_one(
        self,
        spec: TemplateSpec,
        question: Question,
        defaults: Mapping[str, Any],
        scope: Mapping[str, Any],
    ) -> Any:
        import questionary  # noqa: PLC0415 - lazy: only prompting pays for it

        shown_help = str(spec.render(question.help, scope)).strip()
        label = prompt_label(question.name, shown_help)
        hint = f"({question.name})"
        self.err.print()
        default = spec.pick(question, {}, defaults, scope)
        offered = spec.choices(question, scope) if question.choices else []
        if shown_help:
            # Word-wrapped by rich to the terminal's width: never cut inside a word.
            self._wrapped(Text(_paragraphs(shown_help, offered), style="dim"))

        def validate(text: Any) -> bool | str:
            _, problem = spec.check(question, text, scope)
            return problem or True

        if question.choices:
            reasons = [c for c in offered if c.disabled]
            for c in reasons:
                self._wrapped(
                    Text.assemble(("not available: ", "dim"), c.label, (f": {c.disabled}", "dim"))
                )
            if question.multiselect:
                chosen, _ = spec.check(question, default, scope, validate=False)
                picked = chosen if isinstance(chosen, list) else []
                boxes = [
                    questionary.Choice(
                        c.label,
                        value=c.value,
                        disabled="not available" if c.disabled else None,
                        checked=question.cast(c.value) in picked,
                    )
                    for c in offered
                ]
                return _with_back(
                    questionary.checkbox(
                        label,
                        choices=boxes,
                        validate=validate,
                        style=_style(),
                        instruction=f"{hint} (space toggles, < goes back)",
                    )
                ).unsafe_ask()
            enabled = [c.value for c in offered if not c.disabled]
            current, _ = spec.check(question, default, scope, validate=False)
            selected = next(
                (c.value for c in offered if question.cast(c.value) == current and not c.disabled),
                enabled[0] if enabled else None,
            )
            choices = [
                questionary.Choice(
                    c.label, value=c.value, disabled="not available" if c.disabled else None
                )
                for c in offered
            ]
            choices.append(questionary.Choice(BACK_LABEL, value=BACK))
            return _with_back(
                questionary.select(
                    label,
                    choices=choices,
                    default=selected,
                    style=_style(),
                    instruction=f"{hint} ",
                )
            ).unsafe_ask()
        if question.type == "bool":
            proposed, problem = spec.check(question, default, scope, validate=False)
            yes = bool(proposed) if not problem else False
            return _with_back(
                questionary.confirm(
                    label,
                    default=yes,
                    style=_style(),
                    instruction=f"{hint} {'(Y/n)' if yes else '(y/N)'} ",
                )
            ).unsafe_ask()
        if question.secret:
            # Hidden as typed, and the default is never shown: Enter on an empty prompt
            # keeps it.
            keeps = " (Enter keeps the default)" if default not in (MISSING, "") else ""
            typed = questionary.password(
                label,
                validate=lambda text: True if not text or text == BACK_TEXT else validate(text),
                style=_style(),
                instruction=f"{hint}{keeps}",
            ).unsafe_ask()
            if typed == BACK_TEXT:
                return BACK
            return typed or default
        proposed, problem = spec.check(question, default, scope, validate=False)
        if default is MISSING:
            text = ""
        else:  # an invalid default is still proposed, as written, to be corrected
            text = str(default) if problem else question.prompt_default(proposed)
        answer = questionary.text(
            label,
            default=text,
            validate=lambda typed: True if typed == BACK_TEXT else validate(typed),
            multiline=question.multiline,
            style=_style(),
            instruction=hint if not question.multiline else None,
        ).unsafe_ask()
        return BACK if answer == BACK_TEXT else answer

    def _wrapped(self, text: Text) -> None:
        """Print ``text`` indented and wrapped at word boundaries to the terminal width."""
        self.err.print(Padding(text, (0, 0, 0, 2)), soft_wrap=False)

    def _shown(
        self, spec: TemplateSpec, question: Question, value: Any, scope: Mapping[str, Any]
    ) -> str:
        """An answer as a person reads it: yes/no, a choice's label, secrets hidden."""
        if question.secret:
            return "(hidden)"
        if question.type == "bool" or isinstance(value, bool):
            return "yes" if value else "no"
        if question.choices:
            try:
                offered = spec.choices(question, scope)
            except Exception:  # noqa: BLE001 - a choice list that cannot render: show values
                offered = []
            labels = {repr(question._cast_one(c.value)): c.label for c in offered}
            items = value if isinstance(value, list) else [value]
            shown = [labels.get(repr(item), str(item)) for item in items]
            return ", ".join(shown) if shown else "(none)"
        if value in ("", None):
            return "(empty)"
        return str(value)

    def summary(self, answers: Mapping[str, Any], spec: TemplateSpec) -> None:
        table = Table(
            title="The new project",
            box=None,
            show_header=False,
            pad_edge=False,
            title_justify="left",
        )
        table.add_column(style="bold", no_wrap=True)
        table.add_column(overflow="fold")
        table.add_column(style="dim", no_wrap=True)
        for key, value in answers.items():
            try:
                question = spec.question(key)
            except KeyError:
                table.add_row(escape(key), escape(str(value)), "")
                continue
            table.add_row(
                escape(readable(key)), escape(self._shown(spec, question, value, answers)), key
            )
        self.err.print()
        self.err.print(table)

    def confirm(self, message: str) -> bool:
        import questionary  # noqa: PLC0415 - lazy: only prompting pays for it

        return bool(questionary.confirm(message, default=True, style=_style()).unsafe_ask())


class _Back:
    """The answer of a prompt the user left with "back"."""

    def __repr__(self) -> str:
        return "BACK"


BACK: Any = _Back()
BACK_TEXT = "<"
BACK_LABEL = "\u2190 back"
_CANCEL = "\x00cancel"
# The question's key after its label, dimmed: questionary's "instruction" part.
_STYLE_RULES = [("instruction", "fg:ansibrightblack")]


def _style() -> Any:
    import questionary  # noqa: PLC0415 - lazy: only prompting pays for it

    return questionary.Style(_STYLE_RULES)


_ACRONYMS = {
    "ci": "CI",
    "cd": "CD",
    "iac": "IaC",
    "api": "API",
    "url": "URL",
    "id": "ID",
    "aws": "AWS",
    "cdk": "CDK",
    "db": "DB",
    "sql": "SQL",
    "http": "HTTP",
    "ui": "UI",
}


def readable(key: str) -> str:
    """A question key as words: ``project_name`` -> "Project name", ``iac`` -> "IaC"."""
    words = [w for w in key.replace("-", "_").split("_") if w]
    if not words:
        return key
    shown = [_ACRONYMS.get(w.lower(), w.lower()) for w in words]
    first = shown[0]
    shown[0] = first if first in _ACRONYMS.values() else first[:1].upper() + first[1:]
    return " ".join(shown)


_PARENTHESES = re.compile(r"\s*\([^()]*\)")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s")
_LABEL_LENGTH = 50


def prompt_label(key: str, help_text: str) -> str:
    """What a prompt says: the lead clause of the help's first sentence, else the key
    as words. Short enough to share an 80-column line with the key and the answer."""
    first = help_text.strip().splitlines()[0] if help_text.strip() else ""
    first = _SENTENCE_END.split(first, maxsplit=1)[0]
    first = _PARENTHESES.sub("", first).strip().rstrip(".:;,").strip()
    if len(first) > _LABEL_LENGTH:
        first = re.split(r"[;:,]", first, maxsplit=1)[0].strip()
    if not first or len(first) > _LABEL_LENGTH:
        return readable(key)
    return first


def _fit(line: str, width: int = 72) -> str:
    """A menu line that fits 80 columns after the menu's pointer: a long answer (the
    summary above shows it whole) ends in an ellipsis rather than being cut by the
    terminal."""
    return line if len(line) <= width else line[: width - 1] + "\u2026"


def _paragraphs(help_text: str, choices: list[Choice]) -> str:
    """``help_text`` with each choice it explains ("monolith: ...") on a line of its own:
    a folded YAML help reads as one paragraph otherwise."""
    values = sorted({re.escape(str(c.value)) for c in choices}, key=len, reverse=True)
    if not values:
        return help_text
    starts = re.compile(rf"(?<=[.;]) +(?=(?:{'|'.join(values)}): )")
    return starts.sub("\n", help_text)


def _with_back(prompt: Any) -> Any:
    """``prompt`` with the key ``<`` answering BACK (for prompts that take no text)."""
    from prompt_toolkit.key_binding import KeyBindings, merge_key_bindings  # noqa: PLC0415

    bindings = KeyBindings()

    @bindings.add("<", eager=True)
    def _back(event: Any) -> None:
        event.app.exit(result=BACK)

    app = prompt.application
    app.key_bindings = merge_key_bindings([app.key_bindings, bindings])
    return prompt
