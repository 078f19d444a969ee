"""Render docs/questions.md from the template's copier.yml, so the reference cannot drift.

Regenerate with ``python -m chassis._questions_doc > docs/questions.md``; a test
fails when the checked-in file differs.
"""

from __future__ import annotations

from chassis.answers import MISSING, TemplateSpec, choice_pairs, load_spec
from chassis.sources import packaged_template_dir

__all__ = ["render"]


def _default(spec: TemplateSpec, name: str) -> str:
    raw = spec.question(name).default
    if raw is None or raw is MISSING or raw == "":
        return "(empty)"
    return f"`{str(raw).lower() if isinstance(raw, bool) else raw}`"


def render(spec: TemplateSpec) -> str:
    """The questions reference as Markdown."""
    lines = [
        "# Questions and choices",
        "",
        "<!-- Generated from templates/service/copier.yml by "
        "`python -m chassis._questions_doc`; do not edit. -->",
        "",
        "Answer with `--set KEY=VALUE`, an answers file, a preset, or at the prompt.",
        "",
    ]
    for question in spec.questions:
        if question.ask is False:  # kept by chassis, never asked (adr_numbers)
            continue
        if question.when is not True:  # the module questions: `chassis add module` sets them
            continue
        lines += [f"## `{question.name}`", "", question.help or "(no help text)", ""]
        lines += [f"- type: {question.type}", f"- default: {_default(spec, question.name)}"]
        if question.choices:
            lines += ["", "| value | choice | availability |", "|---|---|---|"]
            for label, raw, _ in choice_pairs(question.choices):
                value, reason = (
                    (raw["value"], raw.get("validator", "")) if isinstance(raw, dict) else (raw, "")
                )
                note = "conditional: " + reason.strip() if "{%" in reason else reason.strip()
                lines.append(f"| `{value}` | {label} | {note or 'available'} |")
        lines.append("")
    lines += ["## Presets", "", "| preset | description | answers |", "|---|---|---|"]
    for preset in spec.presets.values():
        answers = ", ".join(f"{k}={str(v).lower()}" for k, v in preset.answers.items())
        lines.append(f"| `{preset.name}` | {preset.description} | {answers} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(render(load_spec(packaged_template_dir())), end="")
