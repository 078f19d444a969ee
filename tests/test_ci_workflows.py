"""The GitHub Actions workflow, dependabot.yml and pre-commit hooks of `ci: github`.

Each variant is rendered once, without locking, and its files are checked against
the policies a careful team keeps: actions pinned to commit SHAs, read-only
permissions, one run per ref, a timeout on every job, only the jobs the variant
needs, and pre-commit running the same linters as CI. actionlint (with shellcheck
when it is installed) checks the rest.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from ci_scripts import run_with_recording_uv
from conftest import render_bundled

TOOLS = Path(sys.executable).parent
# The only actions the workflow may use, each pinned to a verified commit.
PINNED_ACTIONS = {
    "actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1 # v7.0.1",
    "astral-sh/setup-uv@20cfd1bf945f4377ade1205e4dbc17946fc9a30d # v10.0.1",
    # v6.2.3's tag in github.com/aws-actions/configure-aws-credentials, checked 2026-12-03.
    "aws-actions/configure-aws-credentials@e6de054238d6b7531b4efff3b6587d9aade6a06c # v6.2.3",
}
DEPLOY_JOBS = {"deploy-dev", "deploy-prod"}
USES = re.compile(r"^\s*(?:-\s+)?uses:\s*(?P<ref>.*?)\s*$", re.MULTILINE)
PINNED = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40} # v\d+(\.\d+)*$")

VARIANTS: dict[str, dict[str, Any]] = {
    "monolith-postgresql-cdk-keycloak": {
        "database": "postgresql",
        "auth": "keycloak",
        "sentry": True,
    },
    "serverless-dynamodb-cdk-cognito": {
        "architecture": "serverless",
        "database": "dynamodb",
        "auth": "cognito",
    },
    "monolith-none-no-iac": {"database": "none", "iac": "none"},
    "serverless-postgresql-no-iac-oidc": {
        "architecture": "serverless",
        "database": "postgresql",
        "iac": "none",
        "auth": "oidc",
    },
}


@pytest.fixture(scope="session")
def render(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Path]:
    """Render a variant of VARIANTS (or `ci-none`) once per session, without locking.

    Rendering happens inside the first test that asks, under its isolated HOME.
    """
    rendered: dict[str, Path] = {}

    def get(label: str) -> Path:
        if label not in rendered:
            answers = {"ci": "none"} if label == "ci-none" else VARIANTS[label]
            rendered[label], _ = render_bundled(tmp_path_factory.mktemp(label), answers, lock=False)
        return rendered[label]

    return get


def _answers(label: str) -> dict[str, Any]:
    return {"architecture": "monolith", "database": "sqlite", "iac": "cdk", **VARIANTS[label]}


def _workflow(project: Path) -> dict[Any, Any]:
    data = yaml.safe_load((project / ".github" / "workflows" / "ci.yml").read_text())
    assert isinstance(data, dict)
    return data


def _steps(job: dict[str, Any]) -> list[dict[str, Any]]:
    steps = job["steps"]
    assert isinstance(steps, list)
    return steps


def _runs(job: dict[str, Any]) -> str:
    return "\n".join(str(step.get("run", "")) for step in _steps(job))


parametrize_variants = pytest.mark.parametrize("label", list(VARIANTS))


def test_ci_none_renders_no_github_directory(render: Callable[[str], Path]) -> None:
    project = render("ci-none")

    assert (project / "pyproject.toml").is_file()
    assert not (project / ".github").exists()


@parametrize_variants
def test_actionlint_finds_nothing(label: str, render: Callable[[str], Path]) -> None:
    project = render(label)
    workflows = sorted(str(p) for p in (project / ".github" / "workflows").glob("*.y*ml"))
    assert workflows

    done = subprocess.run(
        [str(TOOLS / "actionlint"), *workflows],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
    )

    assert done.returncode == 0, done.stdout + done.stderr


@parametrize_variants
def test_every_action_is_pinned_to_a_verified_commit(
    label: str, render: Callable[[str], Path]
) -> None:
    text = (render(label) / ".github" / "workflows" / "ci.yml").read_text()
    refs = [m.group("ref") for m in USES.finditer(text)]

    assert refs
    for ref in refs:
        assert PINNED.match(ref), f"not pinned to a commit with its version: {ref}"
    assert set(refs) <= PINNED_ACTIONS


@parametrize_variants
def test_permissions_triggers_and_concurrency(label: str, render: Callable[[str], Path]) -> None:
    workflow = _workflow(render(label))

    cdk = _answers(label)["iac"] == "cdk"

    assert workflow["permissions"] == {"contents": "read"}
    for name, job in workflow["jobs"].items():
        granted = job.get("permissions", {})
        assert isinstance(granted, dict), name
        if name in DEPLOY_JOBS:  # only to ask GitHub for an OIDC token
            assert granted == {"contents": "read", "id-token": "write"}, name
        else:
            assert "write" not in granted.values(), f"{name} may write: {granted}"
    # PyYAML reads the key `on` as True (YAML 1.1).
    triggers = workflow[True]
    assert triggers["push"] == {"branches": ["main"]}
    assert "pull_request" in triggers
    assert triggers.get("release") == ({"types": ["published"]} if cdk else None)
    concurrency = workflow["concurrency"]
    assert "github.workflow" in concurrency["group"]
    assert "github.ref" in concurrency["group"]
    # Only pull requests cancel a superseded run: never a push to main or a release, whose
    # deployment would stop halfway.
    assert concurrency["cancel-in-progress"] == "${{ github.event_name == 'pull_request' }}"


@parametrize_variants
def test_every_job_has_a_timeout_and_a_cached_uv(label: str, render: Callable[[str], Path]) -> None:
    jobs = _workflow(render(label))["jobs"]

    for name, job in jobs.items():
        # A first deployment creates a database or a cluster: it may take longer.
        assert 0 < job["timeout-minutes"] <= (60 if name in DEPLOY_JOBS else 30), name
        setup = [s for s in _steps(job) if s.get("uses", "").startswith("astral-sh/setup-uv@")]
        assert len(setup) == 1, name
        if name in DEPLOY_JOBS:  # what a deployment ships comes from the locks, not a cache
            assert setup[0]["with"] == {"enable-cache": False}, name
        else:
            assert setup[0]["with"]["enable-cache"] is True
            assert "uv.lock" in setup[0]["with"]["cache-dependency-glob"].split()
        checkout = [s for s in _steps(job) if s.get("uses", "").startswith("actions/checkout@")]
        assert checkout[0]["with"]["persist-credentials"] is False, name
    if "infra" in jobs:
        infra_glob = _steps(jobs["infra"])[1]["with"]["cache-dependency-glob"].split()
        assert infra_glob == ["uv.lock", "infra/uv.lock"]


@parametrize_variants
def test_the_jobs_fit_the_variant(label: str, render: Callable[[str], Path]) -> None:
    answers = _answers(label)
    jobs = _workflow(render(label))["jobs"]
    monolith = answers["architecture"] == "monolith"
    cdk = answers["iac"] == "cdk"

    expected = {"lint", "types", "tests", "security"}
    expected |= {"dockerfile"} if monolith else set()
    expected |= {"infra"} if cdk else set()
    expected |= DEPLOY_JOBS if cdk else set()
    assert set(jobs) == expected
    assert "ruff check" in _runs(jobs["lint"])
    assert "ruff format --check" in _runs(jobs["lint"])
    assert "uv run --locked mypy" in _runs(jobs["types"])
    assert "uv run --locked pytest" in _runs(jobs["tests"])
    security = _runs(jobs["security"])
    assert "uv export --locked --no-dev" in security
    assert "pip-audit" in security
    assert "--strict" in security  # a dependency that could not be audited fails the job
    assert "bandit" in security
    assert ('--directory "$project"' in security) == cdk  # infra's lock is audited too
    all_runs = "\n".join(_runs(job) for job in jobs.values())
    assert ("hadolint" in all_runs) == monolith
    assert ("make lambda-package" in all_runs) == (not monolith)


@parametrize_variants
def test_postgres_service_only_with_postgresql(label: str, render: Callable[[str], Path]) -> None:
    jobs = _workflow(render(label))["jobs"]
    postgresql = _answers(label)["database"] == "postgresql"

    services = [name for job in jobs.values() for name in job.get("services", {})]
    assert services == (["postgres"] if postgresql else [])
    if postgresql:
        tests = jobs["tests"]
        assert tests["services"]["postgres"]["image"].startswith("postgres:")
        assert tests["env"]["DATABASE_URL"] == (
            "postgresql+psycopg://postgres:postgres@localhost:5432/postgres"
        )
    else:
        assert "DATABASE_URL" not in str(jobs)


@parametrize_variants
def test_infra_job_checks_and_synthesizes_both_stacks(
    label: str, render: Callable[[str], Path]
) -> None:
    answers = _answers(label)
    jobs = _workflow(render(label))["jobs"]
    if answers["iac"] != "cdk":
        assert "infra" not in jobs
        return

    infra = jobs["infra"]
    runs = _runs(infra)
    assert infra["defaults"]["run"]["working-directory"] == "infra"
    for command in ("uv sync --locked", "ruff check", "ruff format --check", "mypy", "pytest"):
        assert command in runs
    assert "for environment in dev prod" in runs
    assert 'CDK_OUTDIR="cdk.out/$environment"' in runs
    assert 'context="$(scripts/cdk-context.sh "$environment")"' in runs  # as deploy.sh does
    assert "CDK_OUTDIR=cdk.out/delivery" in runs
    assert "uv run --locked python delivery.py" in runs
    assert "cfn-lint --non-zero-exit-code error" in runs
    assert "cdk.out/delivery/*.template.json" in runs
    assert "for stacks in dev prod delivery" in runs
    assert "checkov@3.3.30" in runs
    variables = {
        "keycloak": ["KEYCLOAK_URL", "KEYCLOAK_REALM", "KEYCLOAK_CLIENT_ID"],
        "cognito": [],
    }[answers["auth"]] + (["SENTRY_DSN_SECRET_ARN"] if answers.get("sentry") else [])
    context = {k: v for k, v in infra.get("env", {}).items() if k.isupper() and "vars." in str(v)}
    assert context == {name: f"${{{{ vars.{name} }}}}" for name in variables}
    # The deployments get the same variables, for the same context.
    for name in DEPLOY_JOBS:
        deploy_env = jobs[name]["env"]
        assert {k: deploy_env[k] for k in variables} == context


def test_ci_synthesizes_prod_with_a_certificate_and_dev_without(
    render: Callable[[str], Path], tmp_path: Path
) -> None:
    """Prod refuses to synthesize without a certificate and its domain name: CI passes them,
    as the deploy must; and the delivery stack, for this repository."""
    project = render("monolith-postgresql-cdk-keycloak")
    jobs = _workflow(project)["jobs"]
    (step,) = [s for s in _steps(jobs["infra"]) if s.get("name", "").startswith("Synthesize")]
    certificate = step["env"]["CERTIFICATE_ARN"]
    assert certificate.startswith("${{ vars.CERTIFICATE_ARN || 'arn:aws:acm:")
    placeholder = certificate.split("'")[1]
    assert step["env"]["DOMAIN_NAME"] == "${{ vars.DOMAIN_NAME || 'api.example.com' }}"

    contexts = run_with_recording_uv(
        step["run"],
        tmp_path,
        {
            "GITHUB_REPOSITORY": "acme/svc",
            "CERTIFICATE_ARN": placeholder,
            "DOMAIN_NAME": "api.example.com",
            "KEYCLOAK_URL": "https://id.example.com",
            "KEYCLOAK_REALM": "svc",
            "KEYCLOAK_CLIENT_ID": "svc",
            "SENTRY_DSN_SECRET_ARN": "arn:aws:secretsmanager:eu-west-1:1:secret:dsn-AbC123",
        },
        cwd=project / "infra",
    )

    assert "certificate_arn" not in contexts["cdk.out/dev"]
    assert "domain_name" not in contexts["cdk.out/dev"]
    assert contexts["cdk.out/prod"]["certificate_arn"] == placeholder
    assert contexts["cdk.out/prod"]["domain_name"] == "api.example.com"
    assert contexts.pop("cdk.out/delivery") == {"repository": "acme/svc"}
    for context in contexts.values():
        assert "sentry_dsn" not in context
        assert context["sentry_dsn_secret_arn"].startswith("arn:aws:secretsmanager:")


@parametrize_variants
def test_dependabot_updates_each_lock_and_the_actions(
    label: str, render: Callable[[str], Path]
) -> None:
    cdk = _answers(label)["iac"] == "cdk"
    config = yaml.safe_load((render(label) / ".github" / "dependabot.yml").read_text())

    assert config["version"] == 2
    updates = [(u["package-ecosystem"], u["directory"]) for u in config["updates"]]
    expected = [("uv", "/"), *([("uv", "/infra")] if cdk else []), ("github-actions", "/")]
    assert updates == expected
    for update in config["updates"]:
        assert update["schedule"]["interval"] == "weekly"
        (group,) = update["groups"].values()
        assert sorted(group["update-types"]) == ["minor", "patch"]
        assert update["cooldown"]["default-days"] >= 7  # no release younger than a week


@parametrize_variants
def test_pre_commit_runs_the_linters_of_ci(label: str, render: Callable[[str], Path]) -> None:
    answers = _answers(label)
    config = yaml.safe_load((render(label) / ".pre-commit-config.yaml").read_text())
    hooks = {hook["id"]: hook for repo in config["repos"] for hook in repo["hooks"]}

    expected = {"ruff-check", "ruff-format", "mypy"}
    expected |= {"hadolint"} if answers["architecture"] == "monolith" else set()
    if answers["iac"] == "cdk":
        expected |= {"infra-ruff-check", "infra-ruff-format", "infra-mypy"}
    assert set(hooks) == expected
    for hook in hooks.values():
        assert hook["entry"].startswith(("uv run ", "uvx ")), hook
    if "hadolint" in hooks:
        assert "--failure-threshold warning" in hooks["hadolint"]["entry"]
    if "infra-mypy" in hooks:
        assert hooks["infra-mypy"]["entry"] == "uv run --directory infra mypy"
        assert hooks["ruff-check"]["exclude"] == "^infra/"


@parametrize_variants
def test_zizmor_finds_nothing_and_ci_runs_it(label: str, render: Callable[[str], Path]) -> None:
    project = render(label)
    # Offline (the rest needs GitHub's API), with the auditor persona's every finding.
    zizmor = [str(TOOLS / "zizmor"), "--offline", "--persona", "auditor", "--no-progress"]
    done = subprocess.run(
        [*zizmor, ".github"], cwd=project, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    security = _runs(_workflow(project)["jobs"]["security"])
    assert "uvx zizmor@" in security
    assert "--offline --persona auditor" in security


@parametrize_variants
def test_lint_checks_that_every_import_is_declared(
    label: str, render: Callable[[str], Path]
) -> None:
    project = render(label)
    assert "uv run --locked deptry src" in _runs(_workflow(project)["jobs"]["lint"])
    assert "\tuv run deptry src\n" in (project / "Makefile").read_text()
    assert '"deptry>=' in (project / "pyproject.toml").read_text()
