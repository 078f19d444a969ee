"""ADRs during an update that changes an answer: supersede, never rewrite or delete."""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chassis import _copier, adr, git
from chassis.projects import OpenTemplate, Project

__all__ = [
    "NUMBERS",
    "Decision",
    "DecisionPlan",
    "in_force_numbers",
    "plan_decisions",
    "record_decisions",
]

#: The answer in which a template records the number of each decision's ADR in force
#: (question name to number), so that what it renders links the project's records.
NUMBERS = "adr_numbers"


@dataclass(frozen=True)
class Decision:
    """A new ADR an answer change wrote, and the one it superseded (project-relative)."""

    path: str
    title: str
    supersedes: str


@dataclass(frozen=True)
class DecisionPlan:
    """The records an answer change brings, decided before Copier runs.

    ``came`` are the template's records for the new answers (``0003-store-data-in-
    postgresql.md``); ``in_force`` the project's record each one supersedes (None: the
    project never recorded that decision, and the template's record stands);
    ``numbers`` the number each is written under; ``answers`` what Copier must be
    given besides the changed answers, so that it renders links to those numbers.
    ``renumbered`` are the records whose number the template renders from ``answers``;
    links to any other are redirected after Copier ran, as older templates need.
    """

    came: tuple[Path, ...]
    in_force: Mapping[Path, adr.Record | None]
    numbers: Mapping[Path, int]
    answers: Mapping[str, Any]
    renumbered: frozenset[Path]
    rendered: frozenset[Path]  # the records the template renders for the old answers


def plan_decisions(
    template: OpenTemplate,
    project: Project,
    *,
    answers: Mapping[str, Any],
    after: Path,
    tmp: Path,
    trust: bool,
) -> DecisionPlan:
    """Decide which records an answer change writes, and under which numbers.

    The template names each decision's ADR after the chosen option under a fixed
    number (``0003-store-data-in-sqlite.md``); the new record takes the next free
    number instead. When the template keeps the numbers in force as an answer
    (:data:`NUMBERS`), that answer moves on with the change, so Copier itself renders
    the guide's links and labels as the project has them: its old and new renders
    both match the project, and its three-way merge conflicts only where the team
    edited. ``answers`` are the project's answers as the target template reads them,
    before the change; ``after`` is the template rendered with the new answers.
    """
    before = tmp / "decided-before" / project.path.name
    _copier.run_copy(template, before, answers, trust=trust, skip_tasks=True)
    old = frozenset(_adr_files(before))
    came = tuple(sorted(_adr_files(after) - old))
    # The records as the team has them, before Copier touches anything.
    in_force = {
        rel: adr.current(project.path / rel.parent, int(rel.name[:4]))
        if (project.path / rel.parent).is_dir()
        else None
        for rel in came
    }
    numbers: dict[Path, int] = {}
    free: dict[Path, int] = {}
    for rel in came:
        if in_force[rel] is None:
            continue
        folder = rel.parent
        if folder not in free:
            free[folder] = adr.next_number(project.path / folder)
        numbers[rel] = free[folder]
        free[folder] += 1
    tracked = _template_numbers(template)
    if not tracked or not numbers:
        return DecisionPlan(came, in_force, numbers, {}, frozenset(), old)
    current = {**tracked, **in_force_numbers(template, project, answers)}
    by_template_number = {number: key for key, number in tracked.items()}
    renumbered = set()
    for rel, number in numbers.items():
        key = by_template_number.get(int(rel.name[:4]))
        if key is not None:
            current[key] = number
            renumbered.add(rel)
    return DecisionPlan(came, in_force, numbers, {NUMBERS: current}, frozenset(renumbered), old)


def in_force_numbers(
    template: OpenTemplate, project: Project, answers: Mapping[str, Any]
) -> dict[str, int]:
    """The numbers of the records in force, as :data:`NUMBERS` should hold them.

    A project records them once a chassis that keeps them changed it. Before that,
    Copier would take the template's numbers; a decision changed by an older chassis
    is in force under a later number (its links were rewritten to it), which is read
    from the records, so that the template renders the links the project has.
    """
    recorded = answers.get(NUMBERS)
    if isinstance(recorded, Mapping):
        return dict(recorded)
    tracked = _template_numbers(template)
    folder = next((project.path / d for d in adr.ADR_DIRS if (project.path / d).is_dir()), None)
    if not tracked or folder is None:
        return {}
    found = {key: adr.current(folder, number) for key, number in tracked.items()}
    return {key: record.number if record else tracked[key] for key, record in found.items()}


def _template_numbers(template: OpenTemplate) -> dict[str, int]:
    """The template's own number for each decision (the default of :data:`NUMBERS`)."""
    if NUMBERS not in template.spec.names:
        return {}
    default = template.spec.question(NUMBERS).default
    if not isinstance(default, Mapping):
        return {}
    try:
        return {str(key): int(value) for key, value in default.items()}
    except (TypeError, ValueError):
        return {}


def record_decisions(
    project: Project,
    plan: DecisionPlan,
    *,
    after: Path,
    clone: Path,
    work: Path,
    reason: str | None,
) -> list[Decision]:
    """Keep ADRs as history when an answer changes: supersede, never rewrite or delete.

    Copier would delete the old record, write the new one in its place and re-render
    the others for the new answers. Instead every record the team has stays as it
    is, the one in force for the changed decision is marked superseded, and the new
    one is written under the number ``plan`` gave it.
    """
    touched: list[str] = []
    for rel in sorted(plan.rendered | _adr_files(after)):
        kept, target = project.path / rel, work / rel
        if kept.is_file():  # as the team has it, whatever Copier did
            shutil.copy2(kept, target)
        elif plan.in_force.get(rel) is not None:  # written under its next number below
            target.unlink(missing_ok=True)
        else:
            continue
        touched.append(rel.as_posix())
    if touched:  # drop any conflict Copier recorded for them in the index
        git.run("reset", "-q", "--", *touched, cwd=work)
    decisions: list[Decision] = []
    when = adr.today()
    for rel in plan.came:
        found = plan.in_force[rel]
        if found is None:  # the project never recorded this decision: the template's stands
            continue
        replaced = adr.read(work / rel.parent / found.path.name)
        record = adr.replace(
            work / rel.parent,
            text=(after / rel).read_text(encoding="utf-8"),
            slug=rel.name[5:].removesuffix(".md"),
            replaces=replaced,
            reason=reason,
            when=when,
            number=plan.numbers[rel],
        )
        if rel not in plan.renumbered:
            _redirect_links(clone, work, rel.name, record.path.name)
        folder = rel.parent
        decisions.append(
            Decision(
                (folder / record.path.name).as_posix(),
                record.title,
                (folder / replaced.path.name).as_posix(),
            )
        )
    return decisions


def _redirect_links(clone: Path, work: Path, template_name: str, written_name: str) -> None:
    """Point what the update changed at the record's real name (``0008-…``, not ``0003-…``)."""
    for _, name in git.status(work, renames=False):
        path = clone / name
        if not path.is_file() or path.suffix not in {".md", ".txt", ".rst"}:
            continue
        text = path.read_text(encoding="utf-8", errors="surrogateescape")
        if template_name in text:
            path.write_text(
                text.replace(template_name, written_name),
                encoding="utf-8",
                errors="surrogateescape",
            )


def _adr_files(root: Path) -> set[Path]:
    """Numbered ADRs (``NNNN-title.md``) in a rendered project, relative to it."""
    return {
        p.relative_to(root)
        for p in root.rglob("[0-9][0-9][0-9][0-9]-*.md")
        if p.parent.name in {"adr", "decisions"} and ".git" not in p.parts
    }
