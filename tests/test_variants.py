"""Every supported variant renders and passes the generated project's own checks.

The variants are data: the combinations of DIMENSIONS that copier.yml enables, then
the other answers one at a time. For each: no template marker left; hadolint, the
compose schema, and actionlint and the schemas of the GitHub workflows and
dependabot.yml clean; then the project's own `uv sync --locked`, ruff, ruff format
check, mypy --strict and pytest (whose PostgreSQL tests run a real server); for
serverless, the built Lambda package answers an HTTP API event under the target
Python. For each kind of infrastructure (architecture, database, Cognito or not):
the CDK app's own lint, types and tests, then cfn-lint and checkov on the
CloudFormation it synthesizes for dev and prod.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO, render_bundled
from uv import find_uv_bin

from chassis.answers import load_spec

# The questions whose answers change what is rendered most: every enabled combination of
# them is a variant; the other answers vary one at a time.
DIMENSIONS = ("architecture", "database")
# Read before the tests isolate HOME, so every variant shares one warm uv cache.
UV_CACHE = Path(os.environ.get("UV_CACHE_DIR") or Path.home() / ".cache" / "uv")
REAL_HOME = Path.home()
# A Jinja expression or tag left unrendered (`${{ ... }}` is a GitHub Actions expression).
MARKER = re.compile(r"(?<!\$)\{\{\s*[A-Za-z_]|\{%|%\}|\{#")
TOOLS = Path(sys.executable).parent
CHECKOV = "checkov==3.3.30"
# Every CDK variant type-checks aws_cdk's large stubs: share one mypy cache between them.
INFRA_MYPY_CACHE = UV_CACHE.parent / "chassis-infra-mypy"
# Context the CDK apps need for a synth: identity-provider settings (each app reads its own).
INFRA_CONTEXT = {
    "keycloak_url": "https://id.example.com",
    "keycloak_realm": "svc",
    "keycloak_client_id": "svc",
    "auth0_domain": "example.eu.auth0.com",
    "auth0_audience": "https://api.example.com",
    "oidc_issuer": "https://id.example.com",
    "oidc_jwks_url": "https://id.example.com/jwks",
    "oidc_audience": "svc",
    "sentry_dsn": "https://key@o1.ingest.sentry.io/1",
}


SPEC = load_spec(REPO / "templates" / "service")


def _enabled(name: str, answers: dict[str, Any]) -> list[Any]:
    """The values of ``name`` that copier.yml allows after ``answers`` (others at defaults)."""
    context: dict[str, Any] = {}
    for question in SPEC.questions:
        if question.choices:
            context[question.name] = answers.get(question.name, SPEC.default(question, context))
    return [c.value for c in SPEC.choices(SPEC.question(name), context) if not c.disabled]


def _variants() -> list[tuple[str, dict[str, Any]]]:
    combinations: list[dict[str, Any]] = [{}]
    for name in DIMENSIONS:
        combinations = [
            {**answers, name: value}
            for answers in combinations
            for value in _enabled(name, answers)
        ]
    return [("-".join(str(v) for v in answers.values()), answers) for answers in combinations]


def _one_at_a_time(name: str) -> list[tuple[str, dict[str, Any]]]:
    """A variant for each enabled non-default value of ``name``, the rest at defaults."""
    default = SPEC.default(SPEC.question(name), {})
    return [(f"{name}-{value}", {name: value}) for value in _enabled(name, {}) if value != default]


VARIANTS = [
    *_variants(),
    *_one_at_a_time("auth"),
    *_one_at_a_time("iac"),
    ("sentry", {"sentry": True}),
    *_one_at_a_time("ci"),
    ("preset-serverless-mvp", dict(SPEC.presets["serverless-mvp"].answers)),
    ("preset-modular-monolith", dict(SPEC.presets["modular-monolith"].answers)),
    # The longest names the template allows, on the oldest and newest Python.
    (
        "longest-names-py3.11",
        {
            "project_slug": "a" * 12 + "-" + "b" * 11,
            "python_version": "3.11",
            "database": "postgresql",
            "sentry": True,
            "auth": "keycloak",
        },
    ),
    ("py3.13-oidc", {"python_version": "3.13", "auth": "oidc", "database": "none"}),
]


def _infra_kind(answers: dict[str, Any]) -> tuple[str, ...] | None:
    """What shapes the infrastructure code; None without it. Each kind is checked once."""
    full = {q.name: answers.get(q.name, SPEC.default(q, {})) for q in SPEC.questions if q.choices}
    if full["iac"] != "cdk":
        return None
    return (full["architecture"], full["database"], "cognito" if full["auth"] == "cognito" else "")


def _first_of_each_kind() -> set[str]:
    seen: dict[tuple[str, ...], str] = {}
    for label, answers in VARIANTS:
        kind = _infra_kind(answers)
        if kind is not None:
            seen.setdefault(kind, label)
    return set(seen.values())


# Plus the longest names: resource names built from them must stay within AWS's limits.
INFRA_CHECKED = _first_of_each_kind() | {"longest-names-py3.11"}


def _without_pyenv_shims(path: str) -> str:
    """PATH minus pyenv's shims: they fail for versions pyenv does not activate, and uv
    stops at the first interpreter that fails."""
    kept = [d for d in path.split(os.pathsep) if not ("/.pyenv/" in d and d.endswith("shims"))]
    return os.pathsep.join(kept)


@pytest.fixture(scope="session")
def interpreters(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory of pythonX.Y links for uv, which may not download interpreters here."""
    links = tmp_path_factory.mktemp("pythons")
    search = _without_pyenv_shims(os.environ["PATH"])
    for version in ("3.11", "3.12", "3.13"):
        installed = sorted(REAL_HOME.glob(f".pyenv/versions/{version}.*/bin/python{version}"))
        found = str(installed[-1]) if installed else shutil.which(f"python{version}", path=search)
        if found is None:
            message = f"Python {version} is not installed; generated projects need it"
            if os.environ.get("CI"):
                pytest.fail(message)
            pytest.skip(message)
        (links / f"python{version}").symlink_to(found)
    return links


@pytest.fixture
def uv_environment(interpreters: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """What uv needs to lock, sync and run a generated project here, without downloads."""
    monkeypatch.setenv(
        "PATH", f"{interpreters}{os.pathsep}{_without_pyenv_shims(os.environ['PATH'])}"
    )
    monkeypatch.setenv("UV_CACHE_DIR", str(UV_CACHE))
    monkeypatch.setenv("UV_PYTHON_DOWNLOADS", "never")
    monkeypatch.delenv("VIRTUAL_ENV", raising=False)


def _run(argv: list[str], cwd: Path, env: dict[str, str]) -> None:
    done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0, f"`{' '.join(argv)}` failed in {cwd}:\n{done.stdout}{done.stderr}"


@pytest.mark.slow
@pytest.mark.usefixtures("uv_environment")
@pytest.mark.parametrize(("label", "answers"), VARIANTS, ids=[label for label, _ in VARIANTS])
def test_variant_passes_its_own_checks(label: str, answers: dict[str, Any], tmp_path: Path) -> None:
    project, result = render_bundled(tmp_path, answers)
    assert result.notes == (), result.notes
    assert (project / "uv.lock").is_file()

    for path in sorted(p for p in project.rglob("*") if p.is_file()):
        assert not path.name.endswith(".jinja"), path
        assert not MARKER.search(path.read_text(errors="replace")), f"template marker in {path}"

    env = dict(os.environ)
    uv = find_uv_bin()
    if (project / "Dockerfile").exists():
        _run([str(TOOLS / "hadolint"), "--failure-threshold", "info", "Dockerfile"], project, env)
    if (project / "docker-compose.yml").exists():
        schema = ["--builtin-schema", "vendor.compose-spec", "docker-compose.yml"]
        _run([str(TOOLS / "check-jsonschema"), *schema], project, env)
    if (project / ".github" / "workflows").is_dir():
        _check_github(project, env)
    if (project / ".gitlab-ci.yml").exists():
        schema = ["--builtin-schema", "vendor.gitlab-ci", ".gitlab-ci.yml"]
        _run([str(TOOLS / "check-jsonschema"), *schema], project, env)
    _run([uv, "sync", "--locked", "--quiet"], project, env)
    _run([uv, "run", "--locked", "ruff", "check", "."], project, env)
    _run([uv, "run", "--locked", "ruff", "format", "--check", "."], project, env)
    _run([uv, "run", "--locked", "mypy"], project, env)
    _run([uv, "run", "--locked", "pytest", "-p", "no:cacheprovider", "-q"], project, env)
    if (project / "src" / "svc" / "lambda_handler.py").exists():
        _check_lambda_package(project, env)
    if label in INFRA_CHECKED:
        _check_infra(project / "infra", env)


def _check_github(project: Path, env: dict[str, str]) -> None:
    """The workflows pass actionlint (and shellcheck, when it is installed) and their
    schema; dependabot.yml passes its schema."""
    workflows = sorted(str(p) for p in (project / ".github" / "workflows").glob("*.y*ml"))
    assert workflows
    _run([str(TOOLS / "actionlint"), *workflows], project, env)
    schema = [str(TOOLS / "check-jsonschema"), "--builtin-schema"]
    _run([*schema, "vendor.github-workflows", *workflows], project, env)
    _run([*schema, "vendor.dependabot", ".github/dependabot.yml"], project, env)


def _check_lambda_package(project: Path, env: dict[str, str]) -> None:
    """`make lambda-package` builds code that Lambda's Python can import and invoke."""
    _run(["make", "--no-print-directory", "lambda-package"], project, env)
    version = (project / ".python-version").read_text().strip()
    python = shutil.which(f"python{version}", path=env["PATH"])
    assert python is not None
    # As the Lambda runtime: nothing but the package directory on the path, a clean
    # environment with only what the infrastructure sets.
    runtime_env = {"PATH": "/usr/bin:/bin", "ENVIRONMENT": "dev", "AWS_DEFAULT_REGION": "eu-west-1"}
    runtime_env.update(PROVIDER_ENVIRONMENT)
    done = subprocess.run(
        [python, "-I", "-c", LAMBDA_SMOKE, str(project / "build" / "lambda")],
        env=runtime_env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    response = json.loads(done.stdout.splitlines()[-1])
    assert response["statusCode"] == 200, response
    assert json.loads(response["body"])["version"] == "0.1.0"


# Identity-provider settings the services refuse to start without; never contacted by /health.
PROVIDER_ENVIRONMENT = {
    "COGNITO_USER_POOL_ID": "eu-west-1_example",
    "COGNITO_APP_CLIENT_ID": "example",
    "AUTH0_DOMAIN": "example.eu.auth0.com",
    "AUTH0_AUDIENCE": "https://api.example.com",
    "OIDC_ISSUER": "https://id.example.com",
    "OIDC_JWKS_URL": "https://id.example.com/jwks",
    "OIDC_AUDIENCE": "svc",
}

LAMBDA_SMOKE = """
import json, sys
sys.path.insert(0, sys.argv[1])
from svc.lambda_handler import handler
event = {
    "version": "2.0", "routeKey": "$default", "rawPath": "/health", "rawQueryString": "",
    "headers": {"host": "api.example.com", "x-forwarded-proto": "https"},
    "requestContext": {
        "http": {"method": "GET", "path": "/health", "protocol": "HTTP/1.1",
                 "sourceIp": "203.0.113.7", "userAgent": "smoke"},
        "requestId": "smoke", "routeKey": "$default", "stage": "$default",
    },
    "isBase64Encoded": False,
}
print(json.dumps(handler(event, None)))
"""


def _check_infra(infra: Path, env: dict[str, str]) -> None:
    """The CDK app's own checks, then cfn-lint and checkov on what it synthesizes."""
    uv = find_uv_bin()
    infra_env = {
        **env,
        "JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION": "1",
        "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
        "MYPY_CACHE_DIR": str(INFRA_MYPY_CACHE),
    }
    _run([uv, "sync", "--locked", "--quiet"], infra, infra_env)
    _run([uv, "run", "--locked", "ruff", "check", "."], infra, infra_env)
    _run([uv, "run", "--locked", "ruff", "format", "--check", "."], infra, infra_env)
    _run([uv, "run", "--locked", "mypy"], infra, infra_env)
    _run([uv, "run", "--locked", "pytest", "-p", "no:cacheprovider", "-q"], infra, infra_env)
    for environment in ("dev", "prod"):
        out = infra / "cdk.out" / environment
        synth_env = {
            **infra_env,
            "CDK_OUTDIR": str(out),
            "CDK_CONTEXT_JSON": json.dumps({"env": environment, **INFRA_CONTEXT}),
        }
        _run([uv, "run", "--locked", "python", "app.py"], infra, synth_env)
        templates = sorted(str(p) for p in out.glob("*.template.json"))
        assert templates, f"nothing synthesized for {environment}"
        # Errors fail; warnings such as W3005 (a DependsOn CDK itself writes) do not.
        cfn_lint = [uv, "run", "--locked", "cfn-lint", "--non-zero-exit-code", "error"]
        _run([*cfn_lint, *templates], infra, infra_env)
        checkov = [uv, "tool", "run", "--from", CHECKOV, "checkov", "--quiet", "--compact"]
        checkov.append("--skip-download")  # no policy downloads: only the registries are reachable
        _run([*checkov, "-d", str(out), "--framework", "cloudformation"], infra, infra_env)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.mark.slow
@pytest.mark.usefixtures("uv_environment")
def test_the_readme_serve_command_answers_health_with_json_logs(tmp_path: Path) -> None:
    project, _ = render_bundled(tmp_path, {})
    readme_serve = (project / "README.md").read_text().split("```sh\n")[1].splitlines()[0]
    assert readme_serve == "uv run svc serve --migrate"
    port = _free_port()
    log = tmp_path / "serve.log"

    with log.open("w") as out:
        server = subprocess.Popen(
            [find_uv_bin(), *readme_serve.split()[1:], "--port", str(port)],
            cwd=project,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        body = None
        deadline = time.monotonic() + 60
        while body is None and time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as r:
                    body = json.loads(r.read())
            except OSError:
                time.sleep(0.3)
    finally:
        server.terminate()
        server.wait(timeout=20)

    assert body == {"status": "ok", "service": "svc", "version": "0.1.0"}, log.read_text()
    lines = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    access = [line for line in lines if line.get("event") == "request"]
    assert access
    assert access[0]["path"] == "/health"
    assert access[0]["status"] == 200
    assert {"timestamp", "level", "logger", "service", "request_id"} <= set(access[0])


@pytest.mark.slow
@pytest.mark.usefixtures("uv_environment")
@pytest.mark.parametrize(
    ("mutation", "path", "old", "new"),
    [
        (
            "notes made public",
            "src/svc/auth.py",
            'PUBLIC_PATHS = frozenset({"/health", "/ready"})',
            'PUBLIC_PATHS = frozenset({"/health", "/ready", "/notes"})',
        ),
        (
            "a route outside FastAPI's dependencies",
            "src/svc/app.py",
            "    app.add_middleware(RequestContextMiddleware)",
            "    from starlette.responses import PlainTextResponse\n"
            "    from starlette.routing import Route\n\n"
            "    app.router.routes.append(Route('/leak', lambda r: PlainTextResponse('x')))\n"
            "    app.add_middleware(RequestContextMiddleware)",
        ),
    ],
    ids=["public-notes", "raw-route"],
)
def test_the_generated_protection_test_catches_an_unprotected_route(
    tmp_path: Path, mutation: str, path: str, old: str, new: str
) -> None:
    project, _ = render_bundled(tmp_path, {"auth": "keycloak"})
    target = project / path
    source = target.read_text()
    assert old in source
    target.write_text(source.replace(old, new))

    done = subprocess.run(
        [
            find_uv_bin(),
            "run",
            "--locked",
            "pytest",
            "-p",
            "no:cacheprovider",
            "-q",
            "--no-cov",
            "tests/test_every_route_is_protected.py",
        ],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
    )

    assert done.returncode == 1, f"{mutation} went unnoticed:\n{done.stdout}"
    assert "failed" in done.stdout
