"""What the notes API accepts and returns."""

import base64
import re
from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

# The largest id storage takes, so that a larger one is a 422 rather than a database
# error: ids fit a 32-bit INTEGER column.
MAX_ID = 2**31 - 1


def _storable(value: str) -> str:
    """Refuse NUL, which PostgreSQL text cannot hold, so it is a 422 in every database.

    A lone surrogate (such as ``"\\ud800"`` in JSON), which has no UTF-8 encoding, never
    gets here: Pydantic refuses it as ``string_unicode``.
    """
    if "\x00" in value:
        raise ValueError("must not contain NUL (U+0000) characters")
    return value


# The pattern puts the rule in the OpenAPI document, where clients and fuzzers read it.
# Lone surrogates need none: they are not Unicode text, so no JSON Schema string holds
# one (and Schemathesis drops a pattern that names them).
_NO_NUL = r"^[^\x00]*$"
_Title = Annotated[
    str,
    Field(min_length=1, max_length=200, json_schema_extra={"pattern": _NO_NUL}),
    AfterValidator(_storable),
]
_Body = Annotated[
    str,
    Field(max_length=10_000, json_schema_extra={"pattern": _NO_NUL}),
    AfterValidator(_storable),
]


class NoteCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: _Title
    body: _Body = ""


class NoteUpdate(BaseModel):
    """A partial update: only the fields given change."""

    model_config = ConfigDict(extra="forbid")

    title: _Title | None = None
    body: _Body | None = None


class Note(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    title: str
    body: str
    created_at: datetime
    updated_at: datetime

    @field_validator("created_at", "updated_at")
    @classmethod
    def _in_utc(cls, value: datetime) -> datetime:
        """Always UTC: SQLite returns timestamps without their zone."""
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class NotePage(BaseModel):
    """One page of notes in id order; ``next`` fetches the following page, if any."""

    items: list[Note]
    limit: int
    next: str | None = Field(
        description="Pass as `cursor` for the next page; null on the last page."
    )


# A cursor is opaque to clients: the id of the last note on a page, as four big-endian
# bytes in URL-safe base64. The pattern admits exactly the encodings of 0 to MAX_ID, so
# every cursor the OpenAPI document allows is a place in the list (the contract test's
# positive-data check holds the API to that), and anything else is a 422.
CURSOR_PATTERN = r"^[A-Za-f][A-Za-z0-9_-]{4}[AQgw]$"


def encode_cursor(after_id: int) -> str:
    """The cursor of the page that follows the note with id ``after_id``."""
    return base64.urlsafe_b64encode(after_id.to_bytes(4, "big")).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    """The note id ``cursor`` continues after; ValueError unless it is a cursor."""
    if re.fullmatch(CURSOR_PATTERN, cursor) is None:
        raise ValueError("not a cursor this API returned")
    return int.from_bytes(base64.urlsafe_b64decode(cursor + "=="), "big")
