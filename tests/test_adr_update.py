"""`chassis update --set` on a decision the template records as an ADR: a new record
supersedes the old one; no record is rewritten or deleted."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import Result, commit_all, release, snapshot, write_tree

Cli = Callable[..., Result]

DECISION_ADR = {
    "project/docs/adr/0001-record-architecture-decisions.md": """\
        ---
        status: accepted
        date: 2026-01-01
        ---

        # Record architecture decisions
        """,
    "project/docs/adr/0002-{{ 'greet-with-hello' if greeting == 'hello' else 'greet-with-hi' }}"
    ".md.jinja": """\
        ---
        status: accepted
        date: {{ '%Y-%m-%d' | strftime }}
        ---

        # Greet with {{ greeting }}

        ## Context and Problem Statement

        {{ project_name }} has to greet people.
        """,
}


@pytest.fixture
def project(cli: Cli, template_repo: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project made at 1.1.0, the template version that records the greeting as ADR 0002."""
    release(template_repo, "1.1.0", DECISION_ADR)
    result = cli("new", "svc", "--template", template_repo, "--defaults", "--no-lock")
    assert result.exit_code == 0, result.stderr
    monkeypatch.setenv("CHASSIS_ADR_DATE", "2026-06-07")
    return Path.cwd() / "svc"


def _adrs(cli: Cli, project: Path) -> list[tuple[int, str, str, str]]:
    listed = json.loads(cli("adr", "list", "--json", "--dir", project / "docs/adr").stdout)
    return [(r["number"], r["title"], r["status"], r["date"]) for r in listed]


def test_a_changed_decision_gets_a_new_adr_superseding_the_old(cli: Cli, project: Path) -> None:
    adr = project / "docs/adr"
    old_date = (adr / "0002-greet-with-hello.md").read_text().split("date: ")[1][:10]

    result = cli(
        "update", project, "--set", "greeting=hi", "--reason", "Users found hello too formal."
    )

    assert result.exit_code == 0, result.stderr
    assert (
        "Recorded the change in docs/adr/0003-greet-with-hi.md (Greet with hi), "
        "superseding docs/adr/0002-greet-with-hello.md."
    ) in result.stdout
    assert "Say hi." in (project / "README.md").read_text()
    old = (adr / "0002-greet-with-hello.md").read_text()
    assert old.startswith(f"---\nstatus: superseded by ADR-0003\ndate: {old_date}\n---\n")
    assert "> Superseded by [ADR-0003: Greet with hi](0003-greet-with-hi.md).\n" in old
    new = (adr / "0003-greet-with-hi.md").read_text()
    assert new == (
        "---\nstatus: accepted\ndate: 2026-06-07\n---\n\n# Greet with hi\n\n"
        "> Supersedes [ADR-0002: Greet with hello](0002-greet-with-hello.md).\n\n"
        "## Why this changed\n\nUsers found hello too formal.\n\n"
        "## Context and Problem Statement\n\nsvc has to greet people.\n"
    )
    assert not (adr / "0002-greet-with-hi.md").exists()
    assert _adrs(cli, project) == [
        (1, "Record architecture decisions", "accepted", "2026-01-01"),
        (2, "Greet with hello", "superseded by ADR-0003", old_date),
        (3, "Greet with hi", "accepted", "2026-06-07"),
    ]


def test_the_teams_edits_to_the_old_record_are_kept(cli: Cli, project: Path) -> None:
    old = project / "docs/adr/0002-greet-with-hello.md"
    old.write_text(old.read_text() + "\nDecided with the client's CTO on a call.\n")
    commit_all(project, "Note who decided")

    assert cli("update", project, "--set", "greeting=hi", "--reason", "r").exit_code == 0

    text = old.read_text()
    assert "Decided with the client's CTO on a call." in text
    assert "status: superseded by ADR-0003" in text


def test_switching_back_supersedes_the_record_in_force(cli: Cli, project: Path) -> None:
    assert cli("update", project, "--set", "greeting=hi", "--reason", "one").exit_code == 0
    commit_all(project, "Switch to hi")
    superseded = (project / "docs/adr/0002-greet-with-hello.md").read_bytes()

    result = cli("update", project, "--set", "greeting=hello", "--reason", "two")

    assert result.exit_code == 0, result.stderr
    assert (project / "docs/adr/0002-greet-with-hello.md").read_bytes() == superseded
    assert [(n, s) for n, _, s, _ in _adrs(cli, project)] == [
        (1, "accepted"),
        (2, "superseded by ADR-0003"),
        (3, "superseded by ADR-0004"),
        (4, "accepted"),
    ]
    assert (
        "> Supersedes [ADR-0003: Greet with hi](0003-greet-with-hi.md)."
        in (project / "docs/adr/0004-greet-with-hello.md").read_text()
    )


def test_the_new_record_takes_the_next_number_after_the_teams_own(cli: Cli, project: Path) -> None:
    write_tree(project, {"docs/adr/0003-use-a-queue.md": "---\nstatus: accepted\n---\n\n# Q\n"})
    commit_all(project, "Our own decision")

    assert cli("update", project, "--set", "greeting=hi", "--reason", "r").exit_code == 0

    assert (project / "docs/adr/0004-greet-with-hi.md").is_file()
    assert (project / "docs/adr/0003-use-a-queue.md").read_text().startswith("---\nstatus: acc")


def test_without_a_reason_the_record_asks_for_one(cli: Cli, project: Path) -> None:
    result = cli("update", project, "--set", "greeting=hi")

    assert result.exit_code == 0, result.stderr
    assert "the new ADR asks why the decision changed" in result.stderr
    assert (
        "## Why this changed\n\n_Write down why the team changed this decision"
        in (project / "docs/adr/0003-greet-with-hi.md").read_text()
    )


def test_json_lists_the_decision(cli: Cli, project: Path) -> None:
    result = cli("update", project, "--set", "greeting=hi", "--reason", "r", "--json")

    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["decisions"] == [
        {
            "path": "docs/adr/0003-greet-with-hi.md",
            "title": "Greet with hi",
            "supersedes": "docs/adr/0002-greet-with-hello.md",
        }
    ]


def test_plan_shows_the_records_and_changes_nothing(cli: Cli, project: Path) -> None:
    before = snapshot(project)

    result = cli("update", project, "--set", "greeting=hi", "--plan", "--json")

    assert result.exit_code == 0, result.stderr
    files = {f["path"]: f["status"] for f in json.loads(result.stdout)["files"]}
    assert files["docs/adr/0003-greet-with-hi.md"] == "added"
    assert files["docs/adr/0002-greet-with-hello.md"] == "updated"
    assert "docs/adr/0002-greet-with-hi.md" not in files
    assert snapshot(project) == before


def test_a_plain_update_leaves_the_records_alone(
    cli: Cli, project: Path, template_repo: Path
) -> None:
    assert cli("update", project, "--set", "greeting=hi", "--reason", "r").exit_code == 0
    commit_all(project, "Switch to hi")
    records = {p.name: p.read_bytes() for p in (project / "docs/adr").iterdir()}
    release(template_repo, "1.2.0", {"project/config.toml": "[service]\nport = 9000\n"})

    result = cli("update", project)

    assert result.exit_code == 0, result.stderr
    assert {p.name: p.read_bytes() for p in (project / "docs/adr").iterdir()} == records


def test_a_project_older_than_the_records_gets_the_templates_records(
    cli: Cli, template_repo: Path
) -> None:
    """Made at 1.0.0, before ADRs: the update brings them, for the new answer, in place."""
    assert cli("new", "old", "--template", template_repo, "--defaults", "--no-lock").exit_code == 0
    release(template_repo, "1.1.0", DECISION_ADR)

    result = cli("update", "old", "--set", "greeting=hi", "--reason", "r")

    assert result.exit_code == 0, result.stderr
    names = sorted(p.name for p in (Path.cwd() / "old/docs/adr").iterdir())
    assert names == ["0001-record-architecture-decisions.md", "0002-greet-with-hi.md"]
    assert "Recorded the change" not in result.stdout
