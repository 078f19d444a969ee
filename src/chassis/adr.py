"""Architecture decision records: find, list, create and supersede them.

Works on any repository's ADR folder, not only generated ones. Three layouts
are read: MADR 3/4 (YAML front matter with ``status`` and ``date``), Nygard /
adr-tools (``Date:`` line and a ``## Status`` section) and MADR 2 (``* Status:``
and ``* Date:`` bullets). Files are named ``NNNN-kebab-title.md``.

Written by hand: the Python ADR tools on PyPI (pyadr, adr-tools-python) are
unmaintained CLIs that each read only their own layout and offer no library API.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import yaml
from slugify import slugify

from chassis.errors import ChassisError, UsageError

__all__ = [
    "ADR_DIRS",
    "DATE_VARIABLE",
    "STATUSES",
    "Record",
    "create",
    "current",
    "find_dir",
    "mark_supersedes",
    "next_number",
    "read",
    "read_all",
    "replace",
    "supersede",
    "today",
]

#: Where ADR folders are looked for, in order, from the current directory upwards.
ADR_DIRS = ("docs/adr", "docs/decisions", "doc/adr", "docs/architecture/decisions")
#: Names a project's own ADR template may have inside its ADR folder.
TEMPLATE_NAMES = ("template.md", "adr-template.md", "templates/template.md")
#: An environment variable that pins "today" for new records (tests, reproducible docs).
DATE_VARIABLE = "CHASSIS_ADR_DATE"
STATUSES = ("proposed", "accepted")

_NAME = re.compile(r"^(\d{3,4})-(.+)\.md$")
_FRONT_MATTER = re.compile(r"\A---\n(.*?\n)---\n", re.DOTALL)
_TITLE = re.compile(r"^# +(.+?)[ \t]*$", re.MULTILINE)
_STATUS_SECTION = re.compile(r"^##+ +Status[ \t]*\n+(.+?)[ \t]*$", re.MULTILINE | re.IGNORECASE)
_STATUS_LINE = re.compile(r"^[*-]? *Status: *(.+?)[ \t]*$", re.MULTILINE | re.IGNORECASE)
_DATE_LINE = re.compile(r"^[*-]? *Date: *(\S.*?)[ \t]*$", re.MULTILINE | re.IGNORECASE)
_NUMBERED_TITLE = re.compile(r"^(?:ADR[- ]?)?\d+[.:]? +", re.IGNORECASE)

_DEFAULT_TEMPLATE = """\
---
status: proposed
date: YYYY-MM-DD
---

# Title

## Context and Problem Statement

_What is the problem, and why does it need a decision now?_

## Considered Options

* _Option 1_
* _Option 2_

## Decision Outcome

Chosen option: "_Option 1_", because _the reason_.

### Consequences

* Good, because _..._
* Bad, because _..._

### When to revisit

_What would make the team look at this again._
"""


@dataclass(frozen=True)
class Record:
    """One ADR as listed: its number, title, status and date."""

    number: int
    title: str
    status: str
    date: str
    path: Path

    @property
    def ref(self) -> str:
        return f"ADR-{self.number:04d}"

    @property
    def superseded(self) -> bool:
        return self.status.lower().startswith("superseded")


class NoAdrDirError(ChassisError):
    def __init__(self, start: Path) -> None:
        super().__init__(
            f"no ADR folder in {start} or above it (looked for {', '.join(ADR_DIRS)})",
            "run this inside a project that has one, create docs/adr/, or pass --dir",
        )


# --- reading ---------------------------------------------------------------


def find_dir(start: Path) -> Path:
    """The ADR folder of the project that ``start`` is in: the nearest one upwards."""
    start = start.resolve()
    for folder in (start, *start.parents):
        marker = folder / ".adr-dir"  # adr-tools records a custom location here
        if marker.is_file():
            custom = folder / _text(marker).strip()
            if custom.is_dir():
                return custom
        for name in ADR_DIRS:
            if (folder / name).is_dir():
                return folder / name
        if (folder / ".git").exists():
            break  # do not wander out of the repository into a parent project
    raise NoAdrDirError(start)


def read_all(folder: Path) -> list[Record]:
    """Every numbered ADR in ``folder``, in number order."""
    return sorted(
        (read(path) for path in folder.iterdir() if _NAME.match(path.name) and path.is_file()),
        key=lambda r: (r.number, r.path.name),
    )


def read(path: Path) -> Record:
    """Parse one ADR file; missing fields read as empty rather than failing the list."""
    match = _NAME.match(path.name)
    if not match:
        raise UsageError(
            f"{path.name} is not named like an ADR (NNNN-kebab-title.md)",
            "rename it, for example 0012-use-postgresql.md",
        )
    text = path.read_text(encoding="utf-8", errors="replace")
    meta = _front_matter(text)
    title_match = _TITLE.search(text)
    number = int(match.group(1))
    title = (
        _strip_number(title_match.group(1), number)
        if title_match
        else match.group(2).replace("-", " ").replace("_", " ").capitalize()
    )
    status = str(meta.get("status") or "") or _first(text, _STATUS_SECTION, _STATUS_LINE)
    when = str(meta.get("date") or "") or _first(text, _DATE_LINE)
    return Record(number, title, status, when, path)


def _strip_number(heading: str, number: int) -> str:
    """``1. Record decisions`` (adr-tools) or ``ADR-0001: ...`` read as the bare title."""
    prefix = _NUMBERED_TITLE.match(heading)
    if prefix and int(re.sub(r"\D", "", prefix.group(0))) == number:
        return heading[prefix.end() :]
    return heading


def _front_matter(text: str) -> dict[str, object]:
    match = _FRONT_MATTER.match(text)
    if not match:
        return {}
    try:
        data = yaml.safe_load(match.group(1))
    except yaml.YAMLError:
        return {}
    return data if isinstance(data, dict) else {}


def _first(text: str, *patterns: re.Pattern[str]) -> str:
    for pattern in patterns:
        found = pattern.search(text)
        if found:
            return found.group(1)
    return ""


def next_number(folder: Path) -> int:
    numbers = [int(m.group(1)) for p in folder.iterdir() if (m := _NAME.match(p.name))]
    return max(numbers, default=0) + 1


# --- writing ---------------------------------------------------------------


def today() -> date:
    """Today, unless ``CHASSIS_ADR_DATE`` pins it."""
    pinned = os.environ.get(DATE_VARIABLE)
    if not pinned:
        return date.today()
    try:
        return date.fromisoformat(pinned)
    except ValueError:
        raise UsageError(
            f"{DATE_VARIABLE}={pinned!r} is not a date", "set it to YYYY-MM-DD, or unset it"
        ) from None


def file_name(number: int, title: str) -> str:
    slug = slugify(title, max_length=60, word_boundary=True)
    if not slug:
        raise UsageError(
            f"the title {title!r} has no letters or digits to name the file with",
            'give a title such as "Use PostgreSQL for reporting"',
        )
    return f"{number:04d}-{slug}.md"


def create(
    folder: Path,
    title: str,
    *,
    status: str = "proposed",
    when: date | None = None,
    supersedes: int | None = None,
) -> tuple[Record, Record | None]:
    """Write the next ADR from the folder's template; mark ``supersedes`` as replaced.

    Returns the new record and the superseded one. Either both files are
    written or neither is.
    """
    title = " ".join(title.split())
    if not title:
        raise UsageError("the ADR title is empty", 'give a title such as "Use PostgreSQL"')
    if status not in STATUSES:
        raise UsageError(f"unknown status {status!r}", f"use one of {', '.join(STATUSES)}")
    old = _superseded_record(folder, supersedes) if supersedes is not None else None
    when = when or today()
    template = _template(folder)
    # A title without a usable slug is refused here, before any file exists.
    with _exclusive(folder, next_number(folder), title) as path:
        number = int(path.name[:4])
        text = _fill_template(template, number=number, title=title, status=status, when=when)
        path.write_text(text, encoding="utf-8")
        record = read(path)
        if old is not None:
            mark_supersedes(path, old)
            supersede(old.path, record)
    return record, (read(old.path) if old else None)


def _superseded_record(folder: Path, number: int) -> Record:
    records = {r.number: r for r in read_all(folder)}
    if number not in records:
        highest = f"the highest is {max(records):04d}" if records else "there are none yet"
        raise UsageError(
            f"there is no ADR {number} in {folder} ({highest})",
            "pass the number of an existing ADR to --supersedes (see `chassis adr list`)",
        )
    old = records[number]
    _text(old.path)  # it is rewritten: fail now, before the new record exists
    if old.superseded:
        raise UsageError(
            f"ADR {number} ({old.title}) is already {old.status}",
            "supersede the ADR that replaced it instead",
        )
    return old


@contextlib.contextmanager
def _exclusive(folder: Path, number: int, title: str) -> Iterator[Path]:
    """Claim the file for ``number`` (or the next free one); remove it if writing fails."""
    while True:
        path = folder / file_name(number, title)
        try:
            os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644))
        except FileExistsError:  # another writer took this number first
            number += 1
            continue
        break
    try:
        yield path
    except BaseException:
        path.unlink(missing_ok=True)
        raise


def _text(path: Path) -> str:
    """A file chassis reads and may rewrite: it must be UTF-8 text."""
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ChassisError(
            f"{path} is not UTF-8 text", "save it as UTF-8, then run the command again"
        ) from None


def _template(folder: Path) -> str:
    for name in TEMPLATE_NAMES:
        candidate = folder / name
        if candidate.is_file():
            return _text(candidate)
    return _DEFAULT_TEMPLATE


def _fill_template(text: str, *, number: int, title: str, status: str, when: date) -> str:
    # adr-tools templates use these placeholders; MADR ones use front matter and "# Title".
    placeholders = {"NUMBER": str(number), "DATE": when.isoformat(), "STATUS": status.capitalize()}
    for token, value in placeholders.items():
        text = re.sub(rf"\b{token}\b", value, text)
    text = _set_front_matter(text, status=status, date=when.isoformat())
    if _TITLE.search(text):
        text = _TITLE.sub(lambda m: _retitle(m.group(1), title), text, count=1)
    else:
        text = f"# {title}\n\n{text}"
    return text


def _retitle(heading: str, title: str) -> str:
    if "TITLE" in heading:  # adr-tools: "# 2. TITLE" once NUMBER is filled in
        return "# " + heading.replace("TITLE", title)
    return f"# {title}"


def _set_front_matter(text: str, **values: str) -> str:
    match = _FRONT_MATTER.match(text)
    if not match:
        return text
    body = match.group(1)
    for key, value in values.items():
        line = f"{key}: {value}\n"
        pattern = re.compile(rf"^{key}:.*\n", re.MULTILINE)
        if pattern.search(body):
            body = pattern.sub(lambda _m, line=line: line, body, count=1)
        else:
            body += line
    return f"---\n{body}---\n" + text[match.end() :]


def supersede(path: Path, by: Record) -> None:
    """Mark the ADR at ``path`` as superseded by ``by``, with a link to it."""
    link = f"[{by.ref}: {by.title}]({by.path.name})"
    text = _text(path)
    if "status" in _front_matter(text):
        text = _set_front_matter(text, status=f"superseded by {by.ref}")
        text = _after_title(text, f"> Superseded by {link}.")
    elif _STATUS_SECTION.search(text):
        text = _STATUS_SECTION.sub(
            lambda m: m.group(0).replace(m.group(1), f"Superseded by {link}"), text, count=1
        )
    elif _STATUS_LINE.search(text):
        text = _STATUS_LINE.sub(
            lambda m: m.group(0).replace(m.group(1), f"superseded by {link}"), text, count=1
        )
    else:
        text = _after_title(text, f"> Superseded by {link}.")
    _write_atomically(path, text)


def current(folder: Path, number: int) -> Record | None:
    """The record now in force for the decision first recorded as ADR ``number``.

    Follows "superseded by ADR-N" from record to record; None if there is no ADR ``number``.
    """
    records = {r.number: r for r in read_all(folder)}
    record = records.get(number)
    seen = set()
    while record is not None and record.superseded and record.number not in seen:
        seen.add(record.number)
        found = re.search(r"ADR-?0*(\d+)", record.status, re.IGNORECASE)
        successor = records.get(int(found.group(1))) if found else None
        if successor is None:
            break
        record = successor
    return record


def replace(
    folder: Path,
    *,
    text: str,
    slug: str,
    replaces: Record,
    reason: str | None,
    when: date,
    number: int | None = None,
) -> Record:
    """Write ``text`` (an accepted ADR) as record ``number`` (by default the next one),
    superseding ``replaces``.

    ``reason`` says why the decision changed; without one, a marked gap asks for it.
    """
    number = number or next_number(folder)
    text = _set_front_matter(text, status="accepted", date=when.isoformat())
    why = reason.strip() if reason and reason.strip() else _NO_REASON
    with _exclusive(folder, number, slug.replace("-", " ")) as path:
        path.write_text(text, encoding="utf-8")
        mark_supersedes(path, replaces, why=why)
        record = read(path)
        supersede(replaces.path, record)
    return record


_NO_REASON = (
    "_Write down why the team changed this decision (what was learnt, what it costs) "
    "before this is merged._"
)


def mark_supersedes(path: Path, old: Record, *, why: str | None = None) -> None:
    """Add a link from the new ADR at ``path`` to the one it replaces."""
    text = _text(path)
    line = f"> Supersedes [{old.ref}: {old.title}]({old.path.name})."
    if why:
        line += f"\n\n## Why this changed\n\n{why}"
    _write_atomically(path, _after_title(text, line))


def _after_title(text: str, line: str) -> str:
    title = _TITLE.search(text)
    if not title:
        return f"{line}\n\n{text}"
    end = title.end()
    return f"{text[:end]}\n\n{line}{text[end:]}"


def _write_atomically(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
