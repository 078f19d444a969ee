"""`chassis adr new` and `chassis adr list` on ADR folders of every common layout."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import Result, git

Cli = Callable[..., Result]


@pytest.fixture
def repo(monkeypatch: pytest.MonkeyPatch) -> Path:
    """A git repository with an empty docs/adr/, as the current directory."""
    root = Path.cwd()
    git("init", "-q", cwd=root)
    (root / "docs" / "adr").mkdir(parents=True)
    monkeypatch.setenv("CHASSIS_ADR_DATE", "2026-03-04")
    return root


def _files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def _snapshot(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in root.rglob("*")
        if p.is_file() and ".git" not in p.parts
    }


def test_new_numbers_names_and_dates_the_record(cli: Cli, repo: Path) -> None:
    result = cli("adr", "new", "Use PostgreSQL for reporting")

    assert result.exit_code == 0, result.stderr
    path = repo / "docs/adr/0001-use-postgresql-for-reporting.md"
    assert f"Created {path} (proposed)" in result.stdout
    text = path.read_text()
    assert text.startswith("---\nstatus: proposed\ndate: 2026-03-04\n---\n\n")
    assert "\n# Use PostgreSQL for reporting\n" in text
    assert "## Context and Problem Statement" in text


def test_numbers_follow_the_highest_and_gaps_stay(cli: Cli, repo: Path) -> None:
    folder = repo / "docs/adr"
    (folder / "0001-first.md").write_text("# First\n")
    (folder / "0007-seventh.md").write_text("# Seventh\n")

    assert cli("adr", "new", "Next one", "--status", "accepted").exit_code == 0

    created = folder / "0008-next-one.md"
    assert "status: accepted" in created.read_text()
    assert _files(folder) == ["0001-first.md", "0007-seventh.md", "0008-next-one.md"]


def test_the_date_flag_wins_over_the_variable(cli: Cli, repo: Path) -> None:
    assert cli("adr", "new", "Dated", "--date", "2025-12-31").exit_code == 0
    assert "date: 2025-12-31" in (repo / "docs/adr/0001-dated.md").read_text()


def test_titles_with_accents_and_punctuation_make_ascii_names(cli: Cli, repo: Path) -> None:
    assert cli("adr", "new", "  Host in Zürich (eu-central-2)?  ").exit_code == 0
    path = repo / "docs/adr/0001-host-in-zurich-eu-central-2.md"
    assert "# Host in Zürich (eu-central-2)?\n" in path.read_text()


def test_the_projects_own_template_is_used(cli: Cli, repo: Path) -> None:
    (repo / "docs/adr/template.md").write_text(
        "---\nstatus: proposed\ndate: YYYY-MM-DD\ndeciders: the team\n---\n\n"
        "# Title\n\n## Our house section\n"
    )
    assert cli("adr", "new", "House style").exit_code == 0

    text = (repo / "docs/adr/0001-house-style.md").read_text()
    assert text == (
        "---\nstatus: proposed\ndate: 2026-03-04\ndeciders: the team\n---\n\n"
        "# House style\n\n## Our house section\n"
    )
    assert [r["title"] for r in json.loads(cli("adr", "list", "--json").stdout)] == ["House style"]


def test_supersedes_links_both_records(cli: Cli, repo: Path) -> None:
    assert cli("adr", "new", "Store data in SQLite", "--status", "accepted").exit_code == 0

    result = cli("adr", "new", "Store data in PostgreSQL", "--supersedes", "1")

    assert result.exit_code == 0, result.stderr
    assert "Marked ADR-0001 (Store data in SQLite) as superseded." in result.stdout
    old = (repo / "docs/adr/0001-store-data-in-sqlite.md").read_text()
    new = (repo / "docs/adr/0002-store-data-in-postgresql.md").read_text()
    assert "status: superseded by ADR-0002\n" in old
    assert (
        "# Store data in SQLite\n\n> Superseded by "
        "[ADR-0002: Store data in PostgreSQL](0002-store-data-in-postgresql.md).\n\n## Context"
    ) in old
    assert ("> Supersedes [ADR-0001: Store data in SQLite](0001-store-data-in-sqlite.md).") in new
    listed = json.loads(cli("adr", "list", "--json").stdout)
    assert [(r["number"], r["status"]) for r in listed] == [
        (1, "superseded by ADR-0002"),
        (2, "proposed"),
    ]


def test_list_shows_number_status_date_and_title(cli: Cli, repo: Path) -> None:
    cli("adr", "new", "Record architecture decisions", "--status", "accepted")
    cli("adr", "new", "Use Keycloak", "--date", "2026-05-06")

    result = cli("adr", "list")

    assert result.exit_code == 0
    lines = [line.rstrip() for line in result.stdout.splitlines()]
    assert lines[0].split() == ["number", "status", "date", "title"]
    assert lines[1].split() == [
        "0001",
        "accepted",
        "2026-03-04",
        "Record",
        "architecture",
        "decisions",
    ]
    assert lines[2].split() == ["0002", "proposed", "2026-05-06", "Use", "Keycloak"]


def test_list_of_an_empty_folder_says_how_to_start(cli: Cli, repo: Path) -> None:
    result = cli("adr", "list")
    assert result.exit_code == 0
    assert 'create one with `chassis adr new "Title"`' in result.stdout
    assert json.loads(cli("adr", "list", "--json").stdout) == []


def test_nygard_records_from_adr_tools_are_read_and_superseded(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = Path.cwd()
    git("init", "-q", cwd=root)
    folder = root / "doc" / "architecture" / "decisions"
    folder.mkdir(parents=True)
    (root / ".adr-dir").write_text("doc/architecture/decisions\n")
    (folder / "0001-record-architecture-decisions.md").write_text(
        textwrap.dedent(
            """\
            # 1. Record architecture decisions

            Date: 2019-02-03

            ## Status

            Accepted

            ## Context

            We need to record decisions.
            """
        )
    )
    (folder / "templates").mkdir()
    (folder / "templates" / "template.md").write_text(
        "# NUMBER. TITLE\n\nDate: DATE\n\n## Status\n\nSTATUS\n\n## Context\n"
    )
    monkeypatch.chdir(root / "doc")  # found from a sub-folder, through .adr-dir

    result = cli("adr", "new", "Use a queue", "--supersedes", "1", "--date", "2020-01-01")

    assert result.exit_code == 0, result.stderr
    new = (folder / "0002-use-a-queue.md").read_text()
    assert new.startswith("# 2. Use a queue\n\n> Supersedes [ADR-0001: Record architecture")
    assert "Date: 2020-01-01\n\n## Status\n\nProposed\n" in new
    old = (folder / "0001-record-architecture-decisions.md").read_text()
    assert "## Status\n\nSuperseded by [ADR-0002: Use a queue](0002-use-a-queue.md)\n" in old
    listed = json.loads(cli("adr", "list", "--json").stdout)
    assert [(r["title"], r["status"], r["date"]) for r in listed] == [
        (
            "Record architecture decisions",
            "Superseded by [ADR-0002: Use a queue](0002-use-a-queue.md)",
            "2019-02-03",
        ),
        ("Use a queue", "Proposed", "2020-01-01"),
    ]


def test_madr_2_bullets_are_read(cli: Cli) -> None:
    folder = Path.cwd() / "docs" / "decisions"
    folder.mkdir(parents=True)
    (folder / "0001-use-markdown.md").write_text(
        "# Use Markdown Architectural Decision Records\n\n"
        "* Status: accepted\n* Deciders: Ana, Ben\n* Date: 2018-09-02\n\n## Context\n"
    )
    (folder / "README.md").write_text("# Decisions\n")  # not a record: not listed

    listed = json.loads(cli("adr", "list", "--json").stdout)

    assert [(r["number"], r["title"], r["status"], r["date"]) for r in listed] == [
        (1, "Use Markdown Architectural Decision Records", "accepted", "2018-09-02")
    ]


def test_an_explicit_dir_is_used(cli: Cli, tmp_path: Path) -> None:
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    assert cli("adr", "new", "Elsewhere", "--dir", folder).exit_code == 0
    assert _files(folder) == ["0001-elsewhere.md"]


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (
            ["new", "Use X", "--supersedes", "9"],
            2,
            "error: there is no ADR 9 in {adr} (the highest is 0001); pass the number of an "
            "existing ADR to --supersedes (see `chassis adr list`)",
        ),
        (
            ["new", "   "],
            2,
            'error: the ADR title is empty; give a title such as "Use PostgreSQL"',
        ),
        (
            ["new", "?!"],
            2,
            "error: the title '?!' has no letters or digits to name the file with; "
            'give a title such as "Use PostgreSQL for reporting"',
        ),
        (
            ["new", "Use X", "--date", "2026-02-30"],
            2,
            "error: Invalid value for '--date': '2026-02-30' does not match the formats "
            "'%Y-%m-%d'; run `chassis adr new --help` for usage",
        ),
        (
            ["new", "Use X", "--status", "rejected"],
            2,
            "error: Invalid value for '--status': 'rejected' is not one of 'proposed', "
            "'accepted'; run `chassis adr new --help` for usage",
        ),
        (
            ["list", "--dir", "missing"],
            1,
            "error: the ADR folder missing does not exist; create it, or pass an existing --dir",
        ),
    ],
)
def test_bad_input_changes_nothing(
    cli: Cli, repo: Path, args: list[str], code: int, message: str
) -> None:
    (repo / "docs/adr/0001-first.md").write_text("---\nstatus: accepted\n---\n\n# First\n")
    before = _snapshot(repo)

    result = cli("adr", *args)

    assert (result.exit_code, result.stderr.strip()) == (
        code,
        message.format(adr=repo / "docs/adr"),
    )
    assert "Traceback" not in result.stderr
    assert _snapshot(repo) == before


def test_an_already_superseded_record_is_refused(cli: Cli, repo: Path) -> None:
    cli("adr", "new", "First")
    cli("adr", "new", "Second", "--supersedes", "1")
    before = _snapshot(repo)

    result = cli("adr", "new", "Third", "--supersedes", "1")

    assert result.exit_code == 2
    assert result.stderr.strip() == (
        "error: ADR 1 (First) is already superseded by ADR-0002; "
        "supersede the ADR that replaced it instead"
    )
    assert _snapshot(repo) == before


def test_a_bad_pinned_date_is_named(cli: Cli, repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHASSIS_ADR_DATE", "tomorrow")
    result = cli("adr", "new", "Use X")
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        "error: CHASSIS_ADR_DATE='tomorrow' is not a date; set it to YYYY-MM-DD, or unset it"
    )
    assert _files(repo / "docs/adr") == []


def test_no_adr_folder_is_a_one_line_error(cli: Cli) -> None:
    here = Path.cwd()
    git("init", "-q", cwd=here)
    (here.parent / "docs" / "adr").mkdir(parents=True)  # outside the repository: not used

    result = cli("adr", "new", "Use X")

    assert result.exit_code == 1
    assert result.stderr.strip() == (
        f"error: no ADR folder in {here.resolve()} or above it (looked for docs/adr, "
        "docs/decisions, doc/adr, docs/architecture/decisions); run this inside a project "
        "that has one, create docs/adr/, or pass --dir"
    )
    assert list((here.parent / "docs" / "adr").iterdir()) == []
