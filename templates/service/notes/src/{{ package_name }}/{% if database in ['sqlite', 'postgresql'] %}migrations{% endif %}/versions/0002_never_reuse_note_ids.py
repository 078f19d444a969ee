"""Never reuse the id of a deleted note.

SQLite gives a new row the largest id in the table plus one, so deleting the newest
note handed its id to the next one, and links to the old note showed the new one.
AUTOINCREMENT makes SQLite remember the largest id ever used; SQLite cannot add it
to a table, so batch mode copies the table into a new one. PostgreSQL's id comes
from a sequence, which never goes back: nothing to change there.

The template brought this migration: its revision id is a name, not a number, so
it cannot clash with a project's own 0002, whose branch `migrate` applies too.

Revision ID: 0002_never_reuse_note_ids
Revises: 0001
Create Date: 2026-12-03
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002_never_reuse_note_ids"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _recreate_notes(*, autoincrement: bool) -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    with op.batch_alter_table(
        "notes", recreate="always", table_kwargs={"sqlite_autoincrement": autoincrement}
    ):
        pass


def upgrade() -> None:
    _recreate_notes(autoincrement=True)


def downgrade() -> None:
    _recreate_notes(autoincrement=False)
