"""Continuous delivery of `iac: cdk` projects: the deploy jobs and the scripts they run.

The deploy jobs exist exactly for `iac: cdk` with GitHub or GitLab CI; only they may ask
for an OIDC token, and each assumes the role the delivery stack creates for its
environment: dev from the default branch, prod from a release (GitHub) or a `v*` tag
(GitLab) behind the protected environment. infra/scripts/deploy.sh runs here with stand-in
`aws`, `docker`, `uv` and `make` that record their arguments: it refuses bad input in one
line before calling AWS, deploys to prod only what dev built, and calls the steps in
order. smoke.sh passes against a real generated service and fails fast against servers
that answer 503 or forget the request id. No file of chassis or of a generated project
mentions long-lived AWS keys.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from fnmatch import fnmatch
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import REPO, commit_all, git, render_bundled
from uv import find_uv_bin

ACCOUNT = "123456789012"
REGION = "eu-west-1"
ALARM_EMAIL = "oncall@example.com"
COMMIT_ID = re.compile(r"^[0-9a-f]{40}$")
CDK = ["run", "--locked", "npx", "--yes", "aws-cdk@2.1148.1", "deploy"]
NEVER_DEPLOYED = re.compile(r"^deploy\.sh: error: commit [0-9a-f]{40} was never deployed to dev ")

VARIANTS: dict[str, dict[str, Any]] = {
    "github-monolith": {
        "ci": "github",
        "database": "postgresql",
        "auth": "keycloak",
        "sentry": True,
    },
    "github-serverless": {"ci": "github", "architecture": "serverless", "database": "dynamodb"},
    "gitlab-monolith": {"ci": "gitlab"},
    "gitlab-serverless": {
        "ci": "gitlab",
        "architecture": "serverless",
        "database": "dynamodb",
        "auth": "oidc",
        "sentry": True,
    },
    "github-no-iac": {"ci": "github", "iac": "none"},
    "gitlab-no-iac": {
        "ci": "gitlab",
        "iac": "none",
        "architecture": "serverless",
        "database": "dynamodb",
    },
    "no-ci": {"ci": "none"},
}
CDK_VARIANTS = [label for label, answers in VARIANTS.items() if answers.get("iac") != "none"]
IDENTITY_PROVIDER = {
    "KEYCLOAK_URL": "https://id.example.com",
    "KEYCLOAK_REALM": "svc",
    "KEYCLOAK_CLIENT_ID": "svc",
    "OIDC_ISSUER": "https://id.example.com",
    "OIDC_JWKS_URL": "https://id.example.com/jwks",
    "OIDC_AUDIENCE": "svc",
}


@pytest.fixture(scope="session")
def render(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Path]:
    """A variant of VARIANTS, rendered once without locking, committed to a git repository
    (deploy.sh deploys commits)."""
    rendered: dict[str, Path] = {}

    def get(label: str) -> Path:
        if label not in rendered:
            project, _ = render_bundled(tmp_path_factory.mktemp(label), VARIANTS[label], lock=False)
            git("init", "--quiet", cwd=project)
            commit_all(project, "Generate the project")
            rendered[label] = project
        return rendered[label]

    return get


def _answers(label: str) -> dict[str, Any]:
    return {"architecture": "monolith", "iac": "cdk", **VARIANTS[label]}


# -- the jobs ------------------------------------------------------------------------------


def _workflow(project: Path) -> dict[Any, Any]:
    data: dict[Any, Any] = yaml.safe_load((project / ".github/workflows/ci.yml").read_text())
    return data


def _pipeline(project: Path) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((project / ".gitlab-ci.yml").read_text())
    return data


def _gitlab_job(pipeline: dict[str, Any], name: str) -> dict[str, Any]:
    """A GitLab job as GitLab runs it: its `extends` merged in, hashes deeply."""

    def merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
        merged = dict(base)
        for key, value in over.items():
            if isinstance(value, dict) and isinstance(merged.get(key), dict):
                merged[key] = merge(merged[key], value)
            else:
                merged[key] = value
        return merged

    body = pipeline[name]
    resolved: dict[str, Any] = {}
    for parent in body.get("extends", []):
        resolved = merge(resolved, _gitlab_job(pipeline, parent))
    return merge(resolved, {k: v for k, v in body.items() if k != "extends"})


def _gitlab_jobs(pipeline: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        name: _gitlab_job(pipeline, name)
        for name, body in pipeline.items()
        if isinstance(body, dict) and not name.startswith(".") and {"stage", "script"} & set(body)
    }


@pytest.mark.parametrize("label", VARIANTS)
def test_deploy_jobs_and_scripts_exist_exactly_for_cdk_with_a_ci(
    label: str, render: Callable[[str], Path]
) -> None:
    project = render(label)
    answers = _answers(label)
    cdk = answers["iac"] == "cdk"

    scripts = project / "infra" / "scripts"
    names = sorted(p.name for p in scripts.iterdir()) if scripts.is_dir() else []
    assert names == (["cdk-context.sh", "deploy.sh", "smoke.sh"] if cdk else [])
    for name in names:  # Copier keeps the template's executable bit
        assert os.access(scripts / name, os.X_OK), name
    if answers["ci"] == "github":
        jobs = set(_workflow(project)["jobs"])
        deploy = {"deploy-dev", "deploy-prod"}
        assert {j for j in jobs if j.startswith("deploy")} == (deploy if cdk else set())
        assert ("release" in _workflow(project)[True]) == cdk  # PyYAML reads `on` as True
    elif answers["ci"] == "gitlab":
        jobs = set(_gitlab_jobs(_pipeline(project)))
        deploy = {"deploy-dev", "deploy-prod"}
        if cdk and answers["architecture"] == "monolith":
            deploy.add("push-image")
        assert {j for j in jobs if j.startswith(("deploy", "push"))} == (deploy if cdk else set())
        assert ("deploy" in _pipeline(project)["stages"]) == cdk
    else:
        assert not (project / ".github").exists()
        assert not (project / ".gitlab-ci.yml").exists()


@pytest.mark.parametrize("label", ["github-monolith", "github-serverless"])
def test_github_deploys_main_to_dev_and_releases_to_prod_as_the_contracts_roles(
    label: str, render: Callable[[str], Path]
) -> None:
    workflow = _workflow(render(label))
    jobs = workflow["jobs"]
    checks = set(jobs) - {"deploy-dev", "deploy-prod"}

    assert workflow[True]["release"] == {"types": ["published"]}  # PyYAML reads `on` as True
    for name, job in jobs.items():
        granted = job.get("permissions", {})
        if name in ("deploy-dev", "deploy-prod"):
            assert granted == {"contents": "read", "id-token": "write"}
        else:
            assert "id-token" not in granted, name
    dev, prod = jobs["deploy-dev"], jobs["deploy-prod"]
    # dev: no environment, so that the token's subject is the branch the role trusts.
    assert dev["if"] == "github.event_name == 'push' && github.ref == 'refs/heads/main'"
    assert "environment" not in dev
    # prod: a published release of a tag v*, behind the protected environment.
    assert prod["if"] == "github.event_name == 'release' && startsWith(github.ref, 'refs/tags/v')"
    assert prod["environment"] == "prod"
    for environment, job in (("dev", dev), ("prod", prod)):
        assert set(job["needs"]) == checks  # after every check
        assert job["concurrency"] == {"group": f"deploy-{environment}", "cancel-in-progress": False}
        assert job["env"]["COMMIT"] == "${{ github.sha }}"  # the release's tag's commit
        assert job["env"]["AWS_ACCOUNT_ID"] == "${{ vars.AWS_ACCOUNT_ID }}"
        (credentials,) = [
            s for s in job["steps"] if "configure-aws-credentials" in s.get("uses", "")
        ]
        assert credentials["with"] == {
            "role-to-assume": (
                f"arn:aws:iam::${{{{ vars.AWS_ACCOUNT_ID }}}}:role/svc-deploy-{environment}"
            ),
            "aws-region": "${{ vars.AWS_REGION }}",
        }
        runs = [s["run"] for s in job["steps"] if "run" in s]
        assert runs == [f"infra/scripts/deploy.sh {environment}"]
    monolith = _answers(label)["architecture"] == "monolith"
    assert ("DOMAIN_NAME" in prod["env"]) == monolith
    assert "DOMAIN_NAME" not in dev["env"]


@pytest.mark.parametrize("label", ["gitlab-monolith", "gitlab-serverless"])
def test_gitlab_deploys_the_default_branch_to_dev_and_v_tags_to_prod_as_the_contracts_roles(
    label: str, render: Callable[[str], Path]
) -> None:
    pipeline = _pipeline(render(label))
    jobs = _gitlab_jobs(pipeline)
    aws_jobs = {name for name, job in jobs.items() if "id_tokens" in job}

    monolith = _answers(label)["architecture"] == "monolith"
    assert aws_jobs == {"deploy-dev", "deploy-prod"} | ({"push-image"} if monolith else set())
    # Tag pipelines run: the checks of .checks, then deploy-prod.
    assert {"if": "$CI_COMMIT_TAG =~ /^v/"} in pipeline["workflow"]["rules"]
    assert pipeline[".checks"]["rules"] == [{"if": '$CI_PIPELINE_SOURCE != "schedule"'}]
    on_default_branch = [
        {"if": '$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH && $CI_PIPELINE_SOURCE != "schedule"'}
    ]
    for name in aws_jobs:
        job = jobs[name]
        environment = "prod" if name == "deploy-prod" else "dev"
        assert job["stage"] == "deploy"
        assert job["id_tokens"] == {"AWS_ID_TOKEN": {"aud": "sts.amazonaws.com"}}
        assert job["interruptible"] is False  # a newer pipeline never cancels a deployment
        assert job["variables"]["COMMIT"] == "$CI_COMMIT_SHA"
        script = "\n".join(job["script"])
        assert re.fullmatch(r"1\.\d+\.\d+", job["variables"]["AWSCLI_VERSION"])
        assert '"awscli==$AWSCLI_VERSION"' in "\n".join(job["before_script"]) + script  # pinned
        assert "> /tmp/aws-web-identity-token" in script
        assert "AWS_WEB_IDENTITY_TOKEN_FILE=/tmp/aws-web-identity-token" in script
        role = f'AWS_ROLE_ARN="arn:aws:iam::${{AWS_ACCOUNT_ID}}:role/svc-deploy-{environment}"'
        assert role in script
        assert job["rules"] == (
            [{"if": "$CI_COMMIT_TAG =~ /^v/"}] if environment == "prod" else on_default_branch
        )
    for environment in ("dev", "prod"):
        job = jobs[f"deploy-{environment}"]
        assert job["environment"]["name"] == environment
        assert job["resource_group"] == environment
        assert job["script"][-1] == f"infra/scripts/deploy.sh {environment}"
        assert "needs" not in job or job["needs"] == ["push-image"]  # after every check
    if monolith:
        assert jobs["push-image"]["script"][-1] == "infra/scripts/deploy.sh dev --artifact-only"
        assert jobs["push-image"]["services"][0]["name"].endswith("-dind")
        assert jobs["deploy-dev"]["needs"] == ["push-image"]


@pytest.mark.parametrize("label", CDK_VARIANTS)
def test_every_script_passes_shellcheck(label: str, render: Callable[[str], Path]) -> None:
    shellcheck = shutil.which("shellcheck")
    assert shellcheck is not None, "install shellcheck (Debian: apt-get install shellcheck)"
    scripts = sorted((render(label) / "infra" / "scripts").glob("*.sh"))
    assert scripts
    for script in scripts:
        assert script.read_text().startswith("#!/usr/bin/env bash\n"), script
        assert "set -euo pipefail" in script.read_text(), script
    done = subprocess.run(
        [shellcheck, *map(str, scripts)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout


# -- deploy.sh, with stand-ins ------------------------------------------------------------

# Records its name and arguments, then acts as the AWS CLI, Docker, uv or make would for
# deploy.sh. STUB_IMAGE / STUB_PACKAGE: "present" or "missing" (or "raced": the package
# appears between the look-up and the upload); STUB_API_URL: the ApiUrl
# that `cdk deploy` writes to its outputs file.
STUB = """\
import json, os, pathlib, sys

name, args = sys.argv[1], sys.argv[2:]
with open(os.environ["STUB_LOG"], "a") as log:
    log.write(json.dumps([name, *args]) + "\\n")


def fail(message, code=254):
    sys.stderr.write("\\n" + message + "\\n")
    sys.exit(code)


if name == "aws":
    if args[:2] == ["ecr", "describe-images"]:
        if os.environ.get("STUB_IMAGE") != "present":
            fail("An error occurred (ImageNotFoundException) when calling the DescribeImages "
                 "operation: The image with imageId {imageTag:'x'} does not exist")
        print("sha256:" + "0" * 64)
    elif args[:2] == ["ecr", "get-login-password"]:
        print("a-token")
    elif args[:2] == ["s3api", "head-object"]:
        if os.environ.get("STUB_PACKAGE") != "present":
            fail("An error occurred (403) when calling the HeadObject operation: Forbidden")
        print('"etag"')
    elif args[:2] == ["s3api", "put-object"]:
        body = pathlib.Path(args[args.index("--body") + 1])
        assert body.stat().st_size > 0, body
        if os.environ.get("STUB_PACKAGE") == "raced":
            fail("An error occurred (PreconditionFailed) when calling the PutObject operation: "
                 "At least one of the pre-conditions you specified did not hold")
        print('"etag"')
    else:
        fail(f"unexpected aws call {args}", 2)
elif name == "docker" and args and args[0] == "login":
    assert sys.stdin.read().strip() == "a-token"
elif name == "make":
    root = pathlib.Path(args[args.index("-C") + 1])
    (root / "build" / "lambda" / "svc").mkdir(parents=True, exist_ok=True)
    (root / "build" / "lambda" / "svc" / "__init__.py").write_text("")
elif name == "uv" and "deploy" in args:
    stack = args[args.index("deploy") + 1]
    outputs = pathlib.Path(args[args.index("--outputs-file") + 1])
    outputs.write_text(json.dumps({stack: {"ApiUrl": os.environ["STUB_API_URL"]}}))
"""


@pytest.fixture
def stubs(tmp_path: Path) -> Callable[..., subprocess.CompletedProcess[str]]:
    """Run a project's deploy.sh with the stand-ins first on PATH; `.calls` of the result
    holds what they were called with."""
    bin_dir = tmp_path / "stubs"
    bin_dir.mkdir()
    (bin_dir / "stub.py").write_text(STUB)
    for name in ("aws", "docker", "uv", "make"):
        (bin_dir / name).write_text(
            f'#!/bin/sh\nexec "{sys.executable}" "{bin_dir}/stub.py" {name} "$@"\n'
        )
        (bin_dir / name).chmod(0o755)
    log = tmp_path / "calls.jsonl"

    def run(project: Path, *args: str, **variables: str) -> subprocess.CompletedProcess[str]:
        log.write_text("")
        env = {
            "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
            "HOME": os.environ["HOME"],
            "STUB_LOG": str(log),
            "SMOKE_TIMEOUT": "5",
            "SMOKE_INTERVAL": "1",
            "AWS_ACCOUNT_ID": ACCOUNT,
            "AWS_REGION": REGION,
            "ALARM_EMAIL": ALARM_EMAIL,
            **IDENTITY_PROVIDER,
        }
        env.update(variables)
        env = {k: v for k, v in env.items() if v != "<unset>"}
        done = subprocess.run(
            [str(project / "infra" / "scripts" / "deploy.sh"), *args],
            cwd=project,
            env=env,
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
        )
        done.calls = [json.loads(line) for line in log.read_text().splitlines()]  # type: ignore[attr-defined]
        return done

    return run


@pytest.mark.parametrize(
    ("args", "variables", "message"),
    [
        ((), {}, "unknown environment '': run it as infra/scripts/deploy.sh dev|prod"),
        (("staging",), {}, "unknown environment 'staging': run it as"),
        (("dev", "now"), {}, "unexpected arguments 'now': run it as"),
        (("dev",), {"AWS_ACCOUNT_ID": "<unset>"}, "AWS_ACCOUNT_ID is not set: set it to"),
        (("dev",), {"AWS_ACCOUNT_ID": "1234"}, "AWS_ACCOUNT_ID='1234' is not a 12-digit"),
        (("dev",), {"AWS_REGION": ""}, "AWS_REGION is not set: set it to the region"),
        (("prod",), {"AWS_REGION": "Ireland"}, "AWS_REGION='Ireland' is not an AWS region"),
        (("dev",), {"COMMIT": "main"}, "COMMIT='main' is not a full 40-character commit SHA"),
        (("dev",), {"ALARM_EMAIL": "<unset>"}, "ALARM_EMAIL is not set: set it to who receives"),
        (("prod",), {}, "CERTIFICATE_ARN is not set: prod serves HTTPS only: set it to"),
        (("prod",), {"CERTIFICATE_ARN": "arn:aws:acm:x"}, "DOMAIN_NAME is not set: set it to"),
        (("dev",), {"KEYCLOAK_REALM": ""}, "set the variables KEYCLOAK_REALM: the identity"),
    ],
)
def test_deploy_refuses_bad_input_in_one_line_before_calling_aws(
    args: tuple[str, ...],
    variables: dict[str, str],
    message: str,
    render: Callable[[str], Path],
    stubs: Callable[..., Any],
) -> None:
    done = stubs(render("github-monolith"), *args, **variables)

    assert done.returncode != 0
    assert len(done.stderr.splitlines()) == 1, done.stderr
    assert message in done.stderr
    assert re.match(r"^(deploy|cdk-context)\.sh: error: ", done.stderr)
    assert done.calls == []


@pytest.mark.parametrize("label", ["github-monolith", "gitlab-serverless"])
def test_prod_deploys_only_what_dev_built(
    label: str, render: Callable[[str], Path], stubs: Callable[..., Any]
) -> None:
    prod = {"CERTIFICATE_ARN": "arn:aws:acm:eu-west-1:1:certificate/x", "DOMAIN_NAME": "api.x"}
    done = stubs(render(label), "prod", STUB_IMAGE="missing", STUB_PACKAGE="missing", **prod)

    assert done.returncode == 1
    assert len(done.stderr.splitlines()) == 1, done.stderr
    assert NEVER_DEPLOYED.match(done.stderr)
    assert done.stderr.rstrip().endswith("merge it to main first")
    assert [call[0] for call in done.calls] == ["aws"]  # one look-up; no build, no cdk deploy


@contextmanager
def serving(mode: str) -> Iterator[str]:
    """A local HTTP server: `echo` answers 200 echoing X-Request-ID, `forget` 200 without
    it, `unavailable` 503; yields its URL."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(503 if mode == "unavailable" else 200)
            if mode in ("echo", "unavailable"):
                # Another case than the request's: header names are case-insensitive.
                self.send_header("x-request-id", self.headers.get("X-Request-ID", ""))
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _cdk_deploy(calls: list[list[str]]) -> list[str]:
    (deploy,) = [call for call in calls if call[0] == "uv"]
    assert deploy[1 : 1 + len(CDK)] == CDK
    return deploy


def _context_flags(deploy: list[str]) -> dict[str, str]:
    flags = [deploy[i + 1] for i, arg in enumerate(deploy) if arg == "-c"]
    return dict(flag.split("=", 1) for flag in flags)


def test_dev_monolith_builds_and_pushes_the_image_then_deploys_and_smoke_tests(
    render: Callable[[str], Path], stubs: Callable[..., Any]
) -> None:
    project = render("github-monolith")
    head = git("rev-parse", "HEAD", cwd=project).strip()
    registry = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com"
    secret = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:dsn-AbC123"  # noqa: S105

    with serving("echo") as url:
        done = stubs(
            project, "dev", STUB_IMAGE="missing", STUB_API_URL=url, SENTRY_DSN_SECRET_ARN=secret
        )

    assert done.returncode == 0, done.stderr
    steps = [" ".join(call[:3]) for call in done.calls]
    # The login's two sides run as one pipeline: either may start first.
    steps[2:4] = sorted(steps[2:4])
    assert steps == [
        "aws ecr describe-images",
        "docker build --platform",
        "aws ecr get-login-password",
        "docker login --username",
        "docker push " + f"{registry}/svc:{head}",
        "uv run --locked",
    ]
    assert done.calls[0][done.calls[0].index("--image-ids") + 1] == f"imageTag={head}"
    assert done.calls[1][-3:] == ["--tag", f"{registry}/svc:{head}", str(project)]
    (login,) = [call for call in done.calls if call[:2] == ["docker", "login"]]
    assert login[-1] == registry
    deploy = _cdk_deploy(done.calls)
    assert deploy[len(CDK) + 1] == "svc-dev"
    assert _context_flags(deploy) == {
        "env": "dev",
        "keycloak_url": "https://id.example.com",
        "keycloak_realm": "svc",
        "keycloak_client_id": "svc",
        "sentry_dsn_secret_arn": secret,
        "commit": head,
    }
    # A new stack needs AlarmEmail: every deployment passes it, so the first one from CI works.
    assert deploy[-6:-4] == ["--parameters", f"AlarmEmail={ALARM_EMAIL}"]
    assert deploy[-4:-1] == ["--require-approval", "never", "--outputs-file"]
    assert f"smoke.sh: {url}/health answered 200" in done.stdout


def test_dev_monolith_reuses_an_image_and_prod_deploys_it_with_its_domain(
    render: Callable[[str], Path], stubs: Callable[..., Any]
) -> None:
    project = render("github-monolith")
    commit = "a" * 40  # prod deploys any commit dev built, checked out or not
    prod = {"CERTIFICATE_ARN": "arn:aws:acm:eu-west-1:1:certificate/x", "DOMAIN_NAME": "api.x"}

    with serving("echo") as url:
        dev = stubs(project, "dev", STUB_IMAGE="present", STUB_API_URL=url)
        released = stubs(
            project, "prod", COMMIT=commit, STUB_IMAGE="present", STUB_API_URL=url, **prod
        )

    assert dev.returncode == 0, dev.stderr
    assert [call[0] for call in dev.calls] == ["aws", "uv"]  # no second build
    assert released.returncode == 0, released.stderr
    assert [call[0] for call in released.calls] == ["aws", "uv"]
    deploy = _cdk_deploy(released.calls)
    assert deploy[len(CDK) + 1] == "svc-prod"
    flags = _context_flags(deploy)
    assert flags["commit"] == commit
    assert flags["env"] == "prod"
    assert flags["certificate_arn"] == prod["CERTIFICATE_ARN"]
    assert flags["domain_name"] == "api.x"


def test_dev_refuses_to_build_a_commit_other_than_the_checked_out_one(
    render: Callable[[str], Path], stubs: Callable[..., Any]
) -> None:
    done = stubs(render("github-monolith"), "dev", COMMIT="b" * 40, STUB_IMAGE="missing")

    assert done.returncode == 1
    assert len(done.stderr.splitlines()) == 1, done.stderr
    assert "is not the checked-out commit" in done.stderr
    assert [call[0] for call in done.calls] == ["aws"]


def test_dev_serverless_packages_and_uploads_once_then_deploys_and_smoke_tests(
    render: Callable[[str], Path], stubs: Callable[..., Any]
) -> None:
    project = render("gitlab-serverless")
    head = git("rev-parse", "HEAD", cwd=project).strip()

    with serving("echo") as url:
        done = stubs(project, "dev", STUB_PACKAGE="missing", STUB_API_URL=url)

    assert done.returncode == 0, done.stderr
    assert [call[:2] for call in done.calls] == [
        ["aws", "s3api"],
        ["make", "-C"],
        ["aws", "s3api"],
        ["uv", "run"],
    ]
    bucket = f"svc-artifacts-{ACCOUNT}-{REGION}"
    head_object, make, put_object = done.calls[:3]
    assert head_object[2] == "head-object"
    assert make[-1] == "lambda-package"
    assert put_object[2] == "put-object"
    assert put_object[put_object.index("--bucket") + 1] == bucket
    assert put_object[put_object.index("--key") + 1] == f"lambda/{head}.zip"
    assert put_object[put_object.index("--if-none-match") + 1] == "*"  # never overwritten
    flags = _context_flags(_cdk_deploy(done.calls))
    assert flags["commit"] == head
    assert flags["env"] == "dev"
    assert flags["oidc_issuer"] == "https://id.example.com"
    assert "certificate_arn" not in flags
    assert "smoke.sh:" in done.stdout


def test_dev_serverless_keeps_a_package_another_run_uploaded_meanwhile(
    render: Callable[[str], Path], stubs: Callable[..., Any]
) -> None:
    with serving("echo") as url:
        done = stubs(render("gitlab-serverless"), "dev", STUB_PACKAGE="raced", STUB_API_URL=url)

    assert done.returncode == 0, done.stderr
    assert "was uploaded meanwhile: keeping that one" in done.stdout
    assert [call[0] for call in done.calls] == ["aws", "make", "aws", "uv"]


# -- smoke.sh -----------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _smoke(project: Path, url: str, **variables: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(project / "infra" / "scripts" / "smoke.sh"), url],
        env={**os.environ, **variables},
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


@pytest.mark.slow
@pytest.mark.usefixtures("uv_environment")
def test_smoke_passes_against_a_generated_service(
    tmp_path: Path, render: Callable[[str], Path]
) -> None:
    service, _ = render_bundled(tmp_path, {"database": "none", "iac": "none", "ci": "none"})
    port = _free_port()
    log = tmp_path / "serve.log"
    with log.open("w") as out:
        server = subprocess.Popen(
            [find_uv_bin(), "run", "svc", "serve", "--port", str(port)],
            cwd=service,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2).close()
                break
            except OSError:
                time.sleep(0.3)
        done = _smoke(render("github-monolith"), f"http://127.0.0.1:{port}/", SMOKE_TIMEOUT="20")
    finally:
        server.terminate()
        server.wait(timeout=20)

    assert done.returncode == 0, done.stderr + log.read_text()
    (request_id,) = re.findall(r"echoed X-Request-ID (smoke-[0-9a-f]{32})$", done.stdout.strip())
    assert request_id in log.read_text()  # the service logged the id it was sent


@pytest.mark.parametrize(
    ("mode", "problem"),
    [
        ("forget", "answered 200 without echoing X-Request-ID"),
        ("unavailable", "answered HTTP 503"),
        (None, "could not be reached"),
    ],
)
def test_smoke_fails_fast_unless_200_with_the_request_id(
    mode: str | None, problem: str, render: Callable[[str], Path]
) -> None:
    project = render("github-monolith")
    started = time.monotonic()
    if mode is None:
        done = _smoke(project, f"http://127.0.0.1:{_free_port()}", SMOKE_TIMEOUT="2")
    else:
        with serving(mode) as url:
            done = _smoke(project, url, SMOKE_TIMEOUT="2", SMOKE_INTERVAL="1")

    assert done.returncode == 1
    assert time.monotonic() - started < 15
    *retries, final = done.stderr.splitlines()
    assert retries  # it tried again before giving up
    assert final.startswith("smoke.sh: error: ")
    assert problem in final


@pytest.mark.parametrize("url", ["", "api.example.com", "ftp://x"])
def test_smoke_refuses_a_url_that_is_none(url: str, render: Callable[[str], Path]) -> None:
    done = _smoke(render("github-monolith"), url)

    assert done.returncode == 1
    assert done.stderr.startswith("smoke.sh: error: ")
    assert len(done.stderr.splitlines()) == 1


# -- no long-lived AWS keys ---------------------------------------------------------------

# The names of an access key's two halves, as variables, action inputs or config keys,
# and the shape of a key id (long-lived AKIA..., temporary ASIA...). Written in pieces:
# this file is one that must not mention them.
LONG_LIVED_KEYS = re.compile(
    r"aws[_-](?:access[_-]key[_-]id|secret[_-]access[_-]key)"
    r"|\b(?:AKIA|ASIA)[0-9A-Z]{16}\b",
    re.IGNORECASE,
)


@pytest.mark.parametrize(
    "line",
    [
        "  " + "AWS_ACCESS" + "_KEY_ID: ${{ secrets.KEY }}",
        "export AWS_SECRET" + "_ACCESS_KEY=abc",
        "aws-access" + "-key-id: ${{ secrets.id }}",
        "          aws-secret" + "-access-key: x",
        "aws_secret" + "_access_key = abc",
        "key = " + "AKIA" + "IOSFODNN7EXAMPLE",
    ],
)
def test_the_key_pattern_finds_long_lived_keys(line: str) -> None:
    assert LONG_LIVED_KEYS.search(line)


@pytest.mark.parametrize(
    "line",
    [
        "role-to-assume: arn:aws:iam::${{ vars.AWS_ACCOUNT_ID }}:role/svc-deploy-dev",
        "export AWS_WEB_IDENTITY_TOKEN_FILE=/tmp/aws-web-identity-token AWS_ROLE_ARN=x",
        "AWS_SESSION_NAME: x  # AWS_REGION, aws-region",
        "AKIA is how an access key id starts",
        "https://example.com/ASIAN-FOOD-RECIPES-2026",
    ],
)
def test_the_key_pattern_leaves_other_lines_alone(line: str) -> None:
    assert not LONG_LIVED_KEYS.search(line)


# Where the names appear for another reason than deploying, each with that reason: local
# development's DynamoDB Local takes any credentials ("local"), and tests clear or fake
# them for moto. Any other file (CI files, infra/ and its scripts, READMEs, docs) fails.
LOCAL_CREDENTIALS = {
    ".env.example": "DynamoDB Local's stand-in credentials for local development",
    "docker-compose.yml": "the same, for the app container",
    "src/*settings.py": "the settings that pass them to boto3, for DynamoDB Local",
    "src/*dynamo.py": "the same, where boto3 gets them",
    "src/*__main__.py": "the hint to copy .env.example, which sets them",
    "tests/*.py": "the project's tests, which clear or fake them for moto",
}
TEMPLATE = "templates/service/project/"
CHASSIS_LOCAL_CREDENTIALS = {
    **{f"{TEMPLATE}*{pattern}*": reason for pattern, reason in LOCAL_CREDENTIALS.items()},
    "CHANGELOG.md": "the release that gave DynamoDB Local its stand-in credentials",
    "docs/generated-project.md": "how the app hands DynamoDB Local's credentials to boto3",
    "tests/test_first_run.py": "DynamoDB Local's stand-in credentials, as the project's",
    "tests/test_secrets.py": "a made-up key that detect-secrets must find",
}


def _mentions(root: Path, names: list[str], exceptions: dict[str, str]) -> list[str]:
    found = []
    for name in names:
        if any(fnmatch(name, pattern) for pattern in exceptions):
            continue
        try:
            text = (root / name).read_text()
        except (UnicodeDecodeError, IsADirectoryError, FileNotFoundError):
            continue
        for number, line in enumerate(text.splitlines(), start=1):
            if LONG_LIVED_KEYS.search(line):
                found.append(f"{name}:{number}: {line.strip()}")
    return found


@pytest.mark.parametrize("label", VARIANTS)
def test_no_generated_file_mentions_long_lived_aws_keys(
    label: str, render: Callable[[str], Path]
) -> None:
    project = render(label)
    names = [name for name in git("ls-files", "-z", cwd=project).split("\0") if name]
    checked = [n for n in names if not any(fnmatch(n, p) for p in LOCAL_CREDENTIALS)]

    assert ".copier-answers.yml" in checked
    assert "README.md" in checked
    if _answers(label)["iac"] == "cdk":
        assert "infra/scripts/deploy.sh" in checked
    found = _mentions(project, names, LOCAL_CREDENTIALS)
    assert not found, "CI authenticates through OIDC, never with keys:\n" + "\n".join(found)


def test_no_file_of_chassis_mentions_long_lived_aws_keys() -> None:
    names = [name for name in git("ls-files", "-z", cwd=REPO).split("\0") if name]

    assert "tests/test_delivery.py" in names
    found = _mentions(REPO, names, CHASSIS_LOCAL_CREDENTIALS)
    assert not found, "CI authenticates through OIDC, never with keys:\n" + "\n".join(found)


def test_the_exceptions_are_files_that_exist() -> None:
    """Each exception still matches a file of chassis, so none outlives its reason."""
    names = [name for name in git("ls-files", "-z", cwd=REPO).split("\0") if name]
    for pattern in CHASSIS_LOCAL_CREDENTIALS:
        assert any(fnmatch(name, pattern) for name in names), pattern
