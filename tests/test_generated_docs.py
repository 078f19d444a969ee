"""The generated project's ADRs and onboarding guide are there and right for its answers."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest
from conftest import Result, render_bundled

from chassis import adr, engine

Cli = Callable[..., Result]

# The record each answer must produce: (question, value) -> (file name, title).
EXPECTED = {
    ("architecture", "monolith"): ("0002-build-a-modular-monolith.md", "Build a modular monolith"),
    ("architecture", "serverless"): (
        "0002-run-serverless-on-aws-lambda.md",
        "Run serverless on AWS Lambda",
    ),
    ("database", "sqlite"): ("0003-store-data-in-sqlite.md", "Store data in SQLite"),
    ("database", "postgresql"): ("0003-store-data-in-postgresql.md", "Store data in PostgreSQL"),
    ("database", "dynamodb"): ("0003-store-data-in-dynamodb.md", "Store data in DynamoDB"),
    ("database", "none"): ("0003-keep-no-persistent-data.md", "Keep no persistent data"),
    ("auth", "none"): ("0004-leave-routes-unauthenticated.md", "Leave routes unauthenticated"),
    ("auth", "keycloak"): (
        "0004-authenticate-users-with-keycloak.md",
        "Authenticate users with Keycloak",
    ),
    ("auth", "cognito"): (
        "0004-authenticate-users-with-cognito.md",
        "Authenticate users with Amazon Cognito",
    ),
    ("auth", "auth0"): ("0004-authenticate-users-with-auth0.md", "Authenticate users with Auth0"),
    ("auth", "oidc"): (
        "0004-authenticate-users-with-oidc.md",
        "Authenticate users with OpenID Connect",
    ),
    ("ci", "github"): ("0005-run-ci-on-github.md", "Run CI on GitHub Actions"),
    ("ci", "gitlab"): ("0005-run-ci-on-gitlab.md", "Run CI on GitLab CI"),
    ("ci", "none"): ("0005-run-no-ci-pipeline.md", "Run no CI pipeline"),
    ("iac", "cdk"): (
        "0006-describe-infrastructure-with-aws-cdk.md",
        "Describe infrastructure with AWS CDK",
    ),
    ("iac", "none"): (
        "0006-deploy-without-infrastructure-as-code.md",
        "Deploy without infrastructure as code",
    ),
    ("sentry", False): ("0007-log-structured-json.md", "Log structured JSON"),
    ("sentry", True): (
        "0007-log-structured-json-and-report-errors-to-sentry.md",
        "Log structured JSON and report errors to Sentry",
    ),
}
DECISIONS = ("architecture", "database", "auth", "ci", "iac", "sentry")

SPEC = engine.open_template().spec
VARIANTS: dict[str, dict[str, Any]] = {
    **{f"preset-{name}": dict(p.answers) for name, p in SPEC.presets.items()},
    "serverless-postgresql-auth0-gitlab-sentry": {
        "architecture": "serverless",
        "database": "postgresql",
        "auth": "auth0",
        "ci": "gitlab",
        "iac": "none",
        "sentry": True,
    },
    "monolith-none-oidc-noci": {"database": "none", "auth": "oidc", "ci": "none"},
    "monolith-keycloak-cognito": {"auth": "keycloak", "database": "postgresql"},
    "serverless-cognito": {"architecture": "serverless", "database": "dynamodb", "auth": "cognito"},
}
_LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")


def _answers(project: Path) -> Mapping[str, Any]:
    return engine.read_project(project).stored_answers


@pytest.fixture(scope="module", params=sorted(VARIANTS), ids=sorted(VARIANTS))
def generated(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    project, _ = render_bundled(
        tmp_path_factory.mktemp("docs"), VARIANTS[request.param], lock=False
    )
    return project


def test_every_decision_has_its_record_for_the_chosen_option(generated: Path) -> None:
    answers = _answers(generated)
    records = adr.read_all(generated / "docs/adr")

    expected = [("0001-record-architecture-decisions.md", "Record architecture decisions")]
    expected += [EXPECTED[(name, answers[name])] for name in DECISIONS]
    assert [(r.path.name, r.title) for r in records] == expected
    assert {r.status for r in records} == {"accepted"}
    assert {r.date for r in records} == {adr.today().isoformat()}
    assert (generated / "docs/adr/template.md").is_file()


@pytest.mark.parametrize("question", DECISIONS[:-1])
def test_each_record_weighs_every_choice_and_picks_the_answer(
    generated: Path, question: str
) -> None:
    answers = _answers(generated)
    name, _ = EXPECTED[(question, answers[question])]
    text = (generated / "docs/adr" / name).read_text()

    sections = re.split(r"^## ", text, flags=re.MULTILINE)
    headings = [s.split("\n", 1)[0].strip() for s in sections[1:]]
    for required in ("Context and Problem Statement", "Considered Options", "Decision Outcome"):
        assert required in headings, name
    considered = next(s for s in sections if s.startswith("Considered Options"))
    options = re.findall(r"^\* (.+)$", considered, flags=re.MULTILINE)
    assert len(options) == len(SPEC.question(question).choices), name
    chosen = re.search(r'^Chosen option: "([^"]+)"', text, flags=re.MULTILINE)
    assert chosen, name
    assert any(chosen.group(1) in option for option in options), (chosen.group(1), options)
    outcome = next(s for s in sections if s.startswith("Decision Outcome"))
    for part in ("### Consequences", "### Reversing it", "### When to revisit"):
        assert part in outcome, (name, part)
    assert f"--set {question}=" in outcome, name


def test_records_name_files_that_exist(generated: Path) -> None:
    """Every path a record or the onboarding guide points at is in this project."""
    pkg = str(_answers(generated)["package_name"])
    for doc in [*sorted((generated / "docs/adr").glob("0*.md")), generated / "docs/onboarding.md"]:
        text = doc.read_text()
        for target in _LINK.findall(text):
            if "://" in target or target.startswith("mailto:"):
                continue
            assert (doc.parent / target).exists(), (doc.name, target)
        for path in re.findall(r"`((?:src|tests|infra)/[\w./{}-]+)`", text):
            assert (generated / path.replace("{{ package_name }}", pkg)).exists(), (
                doc.name,
                path,
            )


def test_the_onboarding_guide_links_every_record(generated: Path) -> None:
    guide = (generated / "docs/onboarding.md").read_text()
    for record in adr.read_all(generated / "docs/adr"):
        assert f"adr/{record.path.name}" in guide, record.path.name
    assert "docs/onboarding.md" in (generated / "README.md").read_text()


def test_no_template_markers_are_left_in_the_docs(generated: Path) -> None:
    for doc in (generated / "docs").rglob("*.md"):
        text = doc.read_text()
        assert not re.search(r"\{\{|\{%|\{#|\n\n\n", text), doc
        assert text.endswith("\n"), doc
        assert not text.endswith("\n\n"), doc
        assert not re.search(r"[ \t]+$", text, flags=re.MULTILINE), doc


def test_a_generated_project_records_a_change_of_decision(cli: Cli, tmp_path: Path) -> None:
    """`chassis update --set database=postgresql` on a fresh project: a new record
    supersedes the SQLite one and the project's ADR list shows both."""
    made = cli("new", "svc", "--defaults", "--no-lock")
    assert made.exit_code == 0, made.stderr
    project = Path.cwd() / "svc"
    records = {p.name: p.read_bytes() for p in (project / "docs/adr").iterdir()}

    result = cli(
        "update", project, "--set", "database=postgresql", "--reason", "Concurrent writers."
    )

    assert result.exit_code == 0, result.stderr
    listed = subprocess.run(
        [sys.executable, "-m", "chassis", "adr", "list", "--json"],
        cwd=project / "src",
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    assert '"superseded by ADR-0008"' in listed
    new = (project / "docs/adr/0008-store-data-in-postgresql.md").read_text()
    assert "> Supersedes [ADR-0003: Store data in SQLite](0003-store-data-in-sqlite.md)." in new
    assert "## Why this changed\n\nConcurrent writers.\n" in new
    assert 'Chosen option: "PostgreSQL' in new
    assert (
        "status: superseded by ADR-0008"
        in (project / "docs/adr/0003-store-data-in-sqlite.md").read_text()
    )
    assert not (project / "docs/adr/0003-store-data-in-postgresql.md").exists()
    # Accepted records are history: the others are not re-rendered for the new answer.
    for name, content in records.items():
        if name != "0003-store-data-in-sqlite.md":
            assert (project / "docs/adr" / name).read_bytes() == content, name
    guide = (project / "docs/onboarding.md").read_text()
    assert "adr/0008-store-data-in-postgresql.md" in guide
    for target in _LINK.findall(guide):
        if "://" not in target:
            assert (project / "docs" / target).exists(), target


def test_code_in_the_docs_passes_the_projects_formatter(generated: Path) -> None:
    """ruff formats the Python blocks of Markdown files too: the project's own
    `ruff format --check .` must not trip over its documentation."""
    done = subprocess.run(
        [sys.executable, "-m", "ruff", "format", "--check", "--diff", "docs", "README.md"],
        cwd=generated,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
