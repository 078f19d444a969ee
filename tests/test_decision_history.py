"""Decisions change any number of times: after every `chassis update --set`, the
generated guide, README and records link the records the project has, under their
own numbers, and an update conflicts only where the team edited (issue 19)."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import Result, commit_all

from chassis import adr

Cli = Callable[..., Result]

_LINK = re.compile(r"\[([^\]]*)\]\(([^)#\s]+)(?:#[^)]*)?\)")
_LABEL = re.compile(r"\bADR[- ](\d{4})\b")
# Three decisions in a row; the last changes one the first two left alone, the second
# one next to the first in the guide, so a stale link would sit in a merge's context.
CHANGES = (
    ("ci=gitlab", "The team moved to GitLab."),
    ("database=postgresql", "Reporting needs concurrent writers."),
    ("sentry=true", "Errors went unnoticed."),
)


def _docs(project: Path) -> list[Path]:
    """The documents that link the records: the guide, the README and the ADR folder's
    index (the records themselves, which link their predecessor and successor)."""
    folder = project / "docs/adr"
    return [
        project / "docs/onboarding.md",
        project / "README.md",
        *sorted(p for p in folder.glob("*.md") if p.name != "template.md"),
    ]


def _check_links(project: Path) -> None:
    for doc in _docs(project):
        for label, target in _LINK.findall(doc.read_text()):
            if "://" in target or target.startswith("mailto:"):
                continue
            path = (doc.parent / target).resolve()
            assert path.exists(), (doc.name, label, target)
            numbered = _LABEL.search(label)
            if numbered:  # "ADR 0003" opens 0003-…, never another decision
                assert path.name.startswith(f"{numbered.group(1)}-"), (doc.name, label, target)


def _no_conflict(result: Result, project: Path) -> None:
    assert result.exit_code == 0, result.stdout + result.stderr
    assert "CONFLICT" not in result.stdout
    for doc in _docs(project):
        assert "<<<<<<< before updating\n" not in doc.read_text(), doc.name


def _check_history(project: Path) -> None:
    records = {r.number: r for r in adr.read_all(project / "docs/adr")}
    for record in records.values():
        if not record.superseded:
            continue
        found = re.search(r"ADR-(\d{4})", record.status)
        assert found, record
        successor = records[int(found.group(1))]
        text = record.path.read_text()
        assert f"> Superseded by [{successor.ref}: " in text, record.path.name
        assert f"]({successor.path.name})." in text, record.path.name
        assert f"]({record.path.name})." in successor.path.read_text(), successor.path.name


def _new(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> Path:
    made = cli("new", "svc", "--defaults", "--no-lock")
    assert made.exit_code == 0, made.stderr
    monkeypatch.setenv("CHASSIS_ADR_DATE", "2027-02-03")
    project = Path.cwd() / "svc"
    _check_links(project)
    return project


@pytest.mark.slow  # three real updates of the bundled template
def test_three_changed_decisions_keep_every_link_right(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = _new(cli, monkeypatch)
    guide = project / "docs/onboarding.md"

    for step, (change, reason) in enumerate(CHANGES):
        result = cli("update", project, "--set", change, "--reason", reason)

        _no_conflict(result, project)
        number = 8 + step
        assert f"Recorded the change in docs/adr/{number:04d}-" in result.stdout
        _check_links(project)
        _check_history(project)
        assert f"[ADR {number:04d}](adr/{number:04d}-" in guide.read_text()
        commit_all(project, f"Change {change}")

    records = adr.read_all(project / "docs/adr")
    assert [(r.number, r.status) for r in records] == [
        (1, "accepted"),
        (2, "accepted"),
        (3, "superseded by ADR-0009"),
        (4, "accepted"),
        (5, "superseded by ADR-0008"),
        (6, "accepted"),
        (7, "superseded by ADR-0010"),
        (8, "accepted"),
        (9, "accepted"),
        (10, "accepted"),
    ]
    text = guide.read_text()
    for stale in ("0003-store-data-in-sqlite", "0005-run-ci-on-github", "0007-log-structured"):
        assert f"adr/{stale}" not in text
    # The trainer's "read ADR 0002 and 0003" opens the architecture and the database.
    assert (
        "[ADR 0002](adr/0002-build-a-modular-monolith.md) and\n"
        "[ADR 0009](adr/0009-store-data-in-postgresql.md)."
    ) in text


@pytest.mark.slow  # real updates of the bundled template
def test_switching_back_and_a_plain_update_keep_the_links(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same decision twice, then an update without --set: still no conflict."""
    project = _new(cli, monkeypatch)
    for change in ("database=postgresql", "database=sqlite"):
        _no_conflict(cli("update", project, "--set", change, "--reason", "r"), project)
        _check_links(project)
        _check_history(project)
        commit_all(project, change)

    assert (
        "[ADR 0009](adr/0009-store-data-in-sqlite.md)"
        in (project / "docs/onboarding.md").read_text()
    )
    plain = cli("update", project)
    assert plain.exit_code == 0, plain.stderr
    _check_links(project)


@pytest.mark.slow  # three real updates of the bundled template
def test_the_teams_edit_to_the_guide_survives_the_changes(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = _new(cli, monkeypatch)
    guide = project / "docs/onboarding.md"
    note = "Ask Dana about the on-call rota before your first deploy.\n"
    text = guide.read_text()
    anchor = "## A map of the repository\n"
    guide.write_text(text.replace(anchor, f"{note}\n{anchor}"))
    commit_all(project, "Tell newcomers about on-call")

    for change, reason in CHANGES:
        result = cli("update", project, "--set", change, "--reason", reason)

        _no_conflict(result, project)
        assert note in guide.read_text()
        _check_links(project)
        commit_all(project, f"Change {change}")

    # An edit on the very lines a change re-renders is the one place it conflicts.
    text = guide.read_text()
    line = "[ADR 0008](adr/0008-run-ci-on-gitlab.md)"
    guide.write_text(text.replace(line, f"{line} (see also our CI wiki page)"))
    commit_all(project, "Point at the wiki")

    result = cli("update", project, "--set", "ci=github", "--reason", "Back to GitHub.")

    assert result.exit_code == 4, result.stdout + result.stderr
    conflicts = [ln for ln in result.stdout.splitlines() if "CONFLICT" in ln]
    assert [ln.split()[-1] for ln in conflicts] == ["docs/onboarding.md"]
    merged = guide.read_text()
    assert "(see also our CI wiki page)" in merged
    assert "[ADR 0011](adr/0011-run-ci-on-github.md)" in merged
    assert note in merged
