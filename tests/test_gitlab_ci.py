"""The `.gitlab-ci.yml` of `ci: gitlab`: valid, fitted to the variant, and careful.

Each variant is rendered once, without locking. The file must pass GitLab's schema,
run only the jobs the variant needs, keep the checks out of scheduled pipelines and
the update bot out of everything else, never trust template tasks, and contain shell
that shellcheck accepts.
"""

from __future__ import annotations

import shutil
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
VARIANTS: dict[str, dict[str, Any]] = {
    "monolith-postgresql-cdk-keycloak": {"database": "postgresql", "auth": "keycloak"},
    "serverless-dynamodb-cdk-cognito": {
        "architecture": "serverless",
        "database": "dynamodb",
        "auth": "cognito",
        "sentry": True,
    },
    "monolith-none-no-iac": {"database": "none", "iac": "none"},
}
CHECK_JOBS = {"lint", "types", "tests", "security"}
DEPLOY_JOBS = {"push-image", "deploy-dev", "deploy-prod"}


@pytest.fixture(scope="session")
def render(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Path]:
    rendered: dict[str, Path] = {}

    def get(label: str) -> Path:
        if label not in rendered:
            answers = {"ci": "gitlab", **VARIANTS[label]}
            rendered[label], _ = render_bundled(tmp_path_factory.mktemp(label), answers, lock=False)
        return rendered[label]

    return get


def _pipeline(project: Path) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((project / ".gitlab-ci.yml").read_text())
    return data


def _jobs(pipeline: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        name: body
        for name, body in pipeline.items()
        # A job names its stage or its script (or both through `extends`).
        if isinstance(body, dict) and {"stage", "script"} & set(body) and not name.startswith(".")
    }


def _script(job: dict[str, Any], pipeline: dict[str, Any]) -> str:
    """Every command a job runs, its templates' included."""
    blocks: list[str] = []
    for parent in job.get("extends", []):
        blocks += pipeline[parent].get("before_script", [])
    for key in ("before_script", "script"):
        blocks += job.get(key, [])
    return "\n".join(blocks)


@pytest.mark.parametrize("label", VARIANTS)
def test_the_pipeline_passes_gitlabs_schema(label: str, render: Callable[[str], Path]) -> None:
    done = subprocess.run(
        [str(TOOLS / "check-jsonschema"), "--builtin-schema", "vendor.gitlab-ci", ".gitlab-ci.yml"],
        cwd=render(label),
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize("label", VARIANTS)
def test_the_jobs_fit_the_variant(label: str, render: Callable[[str], Path]) -> None:
    answers = {"architecture": "monolith", "iac": "cdk", **VARIANTS[label]}
    pipeline = _pipeline(render(label))
    jobs = _jobs(pipeline)

    expected = CHECK_JOBS | {"template-update"}
    if answers["architecture"] == "monolith":
        expected |= {"dockerfile", "docker-build"}  # the image builds, as deploy.sh builds it
    if answers["iac"] == "cdk":
        expected |= {"infra", "deploy-dev", "deploy-prod"}
        if answers["architecture"] == "monolith":
            expected.add("push-image")  # Docker runs in its own job, beside a docker:dind
    assert set(jobs) == expected
    if "docker-build" in jobs:
        build = jobs["docker-build"]
        assert "docker build --platform linux/amd64" in _script(build, pipeline)
        assert pipeline[".docker"]["services"][0]["name"].endswith("-dind")
    services = [s["name"] for s in jobs["tests"].get("services", [])]
    assert services == (["postgres:17-alpine"] if answers["database"] == "postgresql" else [])
    if "infra" in jobs:
        infra = _script(jobs["infra"], pipeline)
        assert ("lambda-package" in infra) == (answers["architecture"] == "serverless")
        for step in ("pytest", "mypy", "python app.py", "cfn-lint", "checkov"):
            assert step in infra
        # The delivery stack is synthesized, linted and scanned like dev's and prod's.
        assert "python delivery.py" in infra
        assert "cdk.out/delivery/*.template.json" in infra
        assert "for stacks in dev prod delivery" in infra
    assert "uv run --locked deptry src" in _script(jobs["lint"], pipeline)  # imports declared


def test_the_infra_job_requires_the_providers_variables(render: Callable[[str], Path]) -> None:
    pipeline = _pipeline(render("monolith-postgresql-cdk-keycloak"))
    infra = _script(_jobs(pipeline)["infra"], pipeline)

    assert "for name in KEYCLOAK_URL KEYCLOAK_REALM KEYCLOAK_CLIENT_ID; do" in infra
    assert 'context="$(scripts/cdk-context.sh "$environment")"' in infra


def test_prod_is_synthesized_with_a_certificate_and_dev_without(
    render: Callable[[str], Path], tmp_path: Path
) -> None:
    """Prod refuses to synthesize without a certificate: CI passes one, as the deploy must."""
    project = render("monolith-postgresql-cdk-keycloak")
    pipeline = _pipeline(project)
    (synth,) = [block for block in _jobs(pipeline)["infra"]["script"] if "app.py" in block]
    provider = {"KEYCLOAK_URL": "https://id", "KEYCLOAK_REALM": "r", "KEYCLOAK_CLIENT_ID": "c"}
    gitlab = {"CI_PROJECT_PATH": "acme/svc", "CI_SERVER_URL": "https://gitlab.example.com"}
    contexts = run_with_recording_uv(synth, tmp_path, provider | gitlab, cwd=project / "infra")

    assert "certificate_arn" not in contexts["cdk.out/dev"]
    assert "domain_name" not in contexts["cdk.out/dev"]
    assert contexts["cdk.out/prod"]["certificate_arn"].startswith("arn:aws:acm:")
    assert contexts["cdk.out/prod"]["domain_name"] == "api.example.com"
    assert contexts["cdk.out/prod"]["keycloak_url"] == "https://id"
    assert contexts["cdk.out/delivery"] == {
        "repository": "acme/svc",
        "gitlab_url": "https://gitlab.example.com",
    }


def test_the_infra_job_passes_the_sentry_dsn_secret_not_the_dsn(
    render: Callable[[str], Path],
) -> None:
    project = render("serverless-dynamodb-cdk-cognito")
    pipeline = _pipeline(project)
    infra = _script(_jobs(pipeline)["infra"], pipeline)
    context = (project / "infra" / "scripts" / "cdk-context.sh").read_text()

    assert "scripts/cdk-context.sh" in infra
    assert '--arg sentry_dsn_secret_arn "${SENTRY_DSN_SECRET_ARN:-}"' in context
    assert "--arg sentry_dsn " not in context
    for text in (infra, context):
        assert "certificate_arn" not in text  # API Gateway serves HTTPS by itself


@pytest.mark.parametrize("label", VARIANTS)
def test_checks_run_for_merge_requests_and_the_bot_only_on_schedule(
    label: str, render: Callable[[str], Path]
) -> None:
    pipeline = _pipeline(render(label))
    jobs = _jobs(pipeline)

    sources = [rule["if"] for rule in pipeline["workflow"]["rules"]]
    assert '$CI_PIPELINE_SOURCE == "merge_request_event"' in sources
    assert "$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH" in sources
    assert pipeline["workflow"]["auto_cancel"] == {"on_new_commit": "interruptible"}
    assert pipeline[".checks"]["rules"] == [{"if": '$CI_PIPELINE_SOURCE != "schedule"'}]
    for name, job in jobs.items():
        if name == "template-update":
            assert job["rules"] == [{"if": '$CI_PIPELINE_SOURCE == "schedule"'}]
            assert job["interruptible"] is False
        elif name in DEPLOY_JOBS:
            continue  # their own rules: tests/test_delivery.py
        else:
            assert ".checks" in job["extends"], name


def test_the_bot_never_trusts_template_tasks_and_needs_its_variables(
    render: Callable[[str], Path],
) -> None:
    pipeline = _pipeline(render("monolith-none-no-iac"))
    bot = _script(_jobs(pipeline)["template-update"], pipeline)

    assert "chassis update --json --conflict inline" in bot
    assert "--trust" not in bot
    assert "Set the CI/CD variable CHASSIS_BOT_TOKEN" in bot
    assert 'git ls-remote --exit-code --heads "$remote" "$branch"' in bot  # no duplicates
    assert "merge_requests" in bot
    # chassis refuses a dirty tree: nothing the bot writes lands in the work tree.
    assert pipeline["template-update"]["variables"]["UV_CACHE_DIR"] == "/tmp/uv-cache"
    assert "> /tmp/check.json" in bot
    assert "> /tmp/update.json" in bot


@pytest.mark.parametrize("label", VARIANTS)
def test_every_script_passes_shellcheck(label: str, render: Callable[[str], Path]) -> None:
    shellcheck = shutil.which("shellcheck")
    assert shellcheck is not None, "install shellcheck (Debian: apt-get install shellcheck)"
    pipeline = _pipeline(render(label))
    for name, job in _jobs(pipeline).items():
        # GitLab's variables are set by the runner, not in the script (SC2154).
        script = "#!/bin/bash\nset -eo pipefail\n" + _script(job, pipeline) + "\n"
        done = subprocess.run(
            [shellcheck, "--shell=bash", "--exclude=SC2154", "-"],
            input=script,
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, f"{name}:\n{done.stdout}"
