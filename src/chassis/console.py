"""Everything chassis shows or asks: the only module that imports rich and questionary.

questionary is imported inside the prompting functions, so commands that do
not prompt (and ``--help``) never pay for it.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from chassis.adr import Record
from chassis.answers import MISSING, Preset, Question, TemplateSpec
from chassis.engine import CheckResult, NewResult, UpdateResult
from chassis.errors import ChassisError
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


@dataclass
class Output:
    """Where chassis writes: results to stdout, errors and progress to stderr."""

    out: Console = field(default_factory=lambda: Console(soft_wrap=True, highlight=False))
    err: Console = field(
        default_factory=lambda: Console(stderr=True, soft_wrap=True, highlight=False)
    )

    # --- errors ------------------------------------------------------------

    def error(self, error: ChassisError) -> None:
        self.err.print(f"[bold red]error:[/] {escape(str(error))}")
        for detail in error.details:
            self.err.print(f"  - {escape(detail)}")

    def usage_error(self, message: str, command: str) -> None:
        # Typer words a bad choice as "Value error, 'x' is not one of ...": keep the useful part.
        message = message.replace("Value error, ", "")
        self.err.print(
            f"[bold red]error:[/] {escape(message.rstrip('.'))}; "
            f"run `{escape(command)} --help` for usage"
        )

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
        verb = "Would update" if not result.applied else "Updated"
        self.out.print(
            f"{verb} {escape(str(result.path))} from template {result.from_version} "
            f"to {result.to_version}"
            + (
                " with " + ", ".join(f"{k}={v}" for k, v in result.changed_answers.items())
                if result.changed_answers
                else ""
            )
            + ":"
        )
        for change in result.changes:
            style = _STATUS_STYLE[change.status]
            detail = f" ({escape(change.detail)})" if change.detail else ""
            self.out.print(
                f"  [{style}]{_STATUS_TEXT[change.status]:<30}[/] {escape(change.path)}{detail}"
            )
        for decision in result.decisions:
            self.out.print(
                f"\nRecorded the change in {escape(decision.path)} ({escape(decision.title)}), "
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
        elif result.applied:
            self.out.print("\nReview with `git diff`, then commit.")

    def checked(self, result: CheckResult) -> None:
        if result.up_to_date:
            self.out.print(f"Up to date: template {result.current} is the latest.")
        else:
            self.out.print(
                f"[yellow]Update available:[/] template {result.current} -> {result.latest}. "
                "Run `chassis update`."
            )
            if result.needs_trust:
                self.out.print(
                    f"The template runs code on your machine ({', '.join(result.needs_trust)}):"
                    " read its copier.yml, then run `chassis update --trust`, or trust "
                    f"{escape(result.source)} for good (`trust:` in the chassis config, "
                    "$CHASSIS_TRUST in CI)."
                )

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

        choices = [questionary.Choice("none: answer every question", value="")]
        choices += [
            questionary.Choice(
                f"{p.name}: {p.description}", value=p.name, disabled=p.unavailable or None
            )
            for p in presets.values()
        ]
        picked: str = questionary.select("Start from a preset?", choices=choices).unsafe_ask()
        return picked or None

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
        given: dict[str, Any] = dict(provided)
        scope: dict[str, Any] = dict(context)
        for question in spec.questions:
            asked = spec.asked(question, scope)
            if asked and question.name not in given and spec.prompted(question, scope):
                given[question.name] = self._ask_one(spec, question, defaults, scope)
            if not asked and question.name not in given:
                raw = spec.pick(question, {}, {}, scope)
            else:
                raw = spec.pick(question, given, defaults, scope)
            if raw is not MISSING:
                scope[question.name], _ = spec.check(question, raw, scope, validate=False)
        return spec.resolve(given, defaults=defaults, context=context)

    def _ask_one(
        self,
        spec: TemplateSpec,
        question: Question,
        defaults: Mapping[str, Any],
        scope: Mapping[str, Any],
    ) -> Any:
        import questionary  # noqa: PLC0415 - lazy: only prompting pays for it

        shown_help = str(spec.render(question.help, scope)).strip()
        if shown_help:
            self.err.print(f"\n[dim]{escape(shown_help)}[/]")
        default = spec.pick(question, {}, defaults, scope)

        def validate(text: Any) -> bool | str:
            _, problem = spec.check(question, text, scope)
            return problem or True

        if question.choices:
            offered = spec.choices(question, scope)
            if question.multiselect:
                chosen, _ = spec.check(question, default, scope, validate=False)
                picked = chosen if isinstance(chosen, list) else []
                boxes = [
                    questionary.Choice(
                        c.label,
                        value=c.value,
                        disabled=c.disabled or None,
                        checked=question.cast(c.value) in picked,
                    )
                    for c in offered
                ]
                return questionary.checkbox(
                    question.name, choices=boxes, validate=validate
                ).unsafe_ask()
            enabled = [c.value for c in offered if not c.disabled]
            current, _ = spec.check(question, default, scope, validate=False)
            selected = next(
                (c.value for c in offered if question.cast(c.value) == current and not c.disabled),
                enabled[0] if enabled else None,
            )
            choices = [
                questionary.Choice(c.label, value=c.value, disabled=c.disabled or None)
                for c in offered
            ]
            return questionary.select(question.name, choices=choices, default=selected).unsafe_ask()
        if question.type == "bool":
            proposed, problem = spec.check(question, default, scope, validate=False)
            return questionary.confirm(
                question.name, default=bool(proposed) if not problem else False
            ).unsafe_ask()
        if question.secret:
            # Hidden as typed, and the default is never shown: Enter on an empty prompt
            # keeps it.
            hint = " (Enter keeps the default)" if default not in (MISSING, "") else ""
            typed = questionary.password(
                question.name + hint,
                validate=lambda text: True if not text else validate(text),
            ).unsafe_ask()
            return typed or default
        proposed, problem = spec.check(question, default, scope, validate=False)
        if default is MISSING:
            text = ""
        else:  # an invalid default is still proposed, as written, to be corrected
            text = str(default) if problem else question.prompt_default(proposed)
        return questionary.text(
            question.name, default=text, validate=validate, multiline=question.multiline
        ).unsafe_ask()

    def summary(self, answers: Mapping[str, Any], spec: TemplateSpec) -> None:
        table = Table(title="The new project", box=None, show_header=False, pad_edge=False)
        table.add_column(style="bold")
        table.add_column()
        secret = {q.name for q in spec.questions if q.secret}
        for key, value in answers.items():
            table.add_row(key, "(hidden)" if key in secret else escape(str(value)))
        self.err.print(table)

    def confirm(self, message: str) -> bool:
        import questionary  # noqa: PLC0415 - lazy: only prompting pays for it

        return bool(questionary.confirm(message, default=True).unsafe_ask())
