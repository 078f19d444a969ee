"""ADRs during an update that changes an answer: supersede, never rewrite or delete."""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chassis import _copier, adr, git
from chassis.projects import OpenTemplate, Project

__all__ = ["Decision", "record_decisions"]


@dataclass(frozen=True)
class Decision:
    """A new ADR an answer change wrote, and the one it superseded (project-relative)."""

    path: str
    title: str
    supersedes: str


def record_decisions(
    template: OpenTemplate,
    project: Project,
    *,
    answers: Mapping[str, Any],
    after: Path,
    tmp: Path,
    clone: Path,
    work: Path,
    trust: bool,
    reason: str | None,
) -> list[Decision]:
    """Keep ADRs as history when an answer changes: supersede, never rewrite or delete.

    The template names each decision's ADR after the chosen option under a fixed
    number (``0003-store-data-in-sqlite.md``). Copier would delete the old record,
    write the new one in its place and re-render the others for the new answers.
    Instead every record the team has stays as it is, the one in force for the
    changed decision is marked superseded, and the new one takes the next free
    number; links the update wrote to the template's name for it are redirected.
    ``answers`` are the project's answers as the target template reads them, before the
    change; ``after`` is the template rendered with the new answers.
    """
    before = tmp / "decided-before" / project.path.name
    _copier.run_copy(template, before, answers, trust=trust, skip_tasks=True)
    old, new = _adr_files(before), _adr_files(after)
    came = sorted(new - old)
    # The records as the team has them, before Copier touched the clone.
    in_force = {
        rel: adr.current(project.path / rel.parent, int(rel.name[:4]))
        if (project.path / rel.parent).is_dir()
        else None
        for rel in came
    }
    touched: list[str] = []
    for rel in sorted(old | new):
        kept, target = project.path / rel, work / rel
        if kept.is_file():  # as the team has it, whatever Copier did
            shutil.copy2(kept, target)
        elif in_force.get(rel) is not None:  # written under its next number below
            target.unlink(missing_ok=True)
        else:
            continue
        touched.append(rel.as_posix())
    if touched:  # drop any conflict Copier recorded for them in the index
        git.run("reset", "-q", "--", *touched, cwd=work)
    decisions: list[Decision] = []
    when = adr.today()
    for rel in came:
        found = in_force[rel]
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
        )
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
