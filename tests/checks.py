"""The checks a generated project must pass, shared by the variant and update-path tests.

No template marker left; no secret in any file the project commits (detect-secrets, less
the template's known non-secrets in NOT_SECRETS); no instruction to install the index's
`chassis` (chassis is chassis-cli); hadolint, the compose schema, and
actionlint, zizmor (offline, auditor persona) and the schemas of the GitHub workflows and
dependabot.yml, or the GitLab CI schema; shellcheck on infra/'s delivery scripts; then
the project's own `uv sync --locked`, ruff, ruff format check, deptry (every import
declared), mypy --strict, Pyright (standard mode, as an auditor runs it) and pytest
(whose PostgreSQL tests run a real server, and whose API contract test runs
Schemathesis); for serverless, the built Lambda package answers an HTTP API event under
the target Python. `check_infra` checks that CDK runs on a Node.js LTS release jsii supports
(no end-of-life warning, none silenced), runs the CDK app's own lint, types and tests, then
cfn-lint and checkov on the CloudFormation it synthesizes for dev and prod, and for the
delivery stack (CI's deploy roles) when the project has a pipeline.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from fnmatch import fnmatch
from pathlib import Path

from conftest import UV_CACHE, WORKER
from detect_secrets.core.secrets_collection import SecretsCollection
from detect_secrets.settings import default_settings
from uv import find_uv_bin

# A Jinja expression or tag left unrendered (`${{ ... }}` is a GitHub Actions expression).
MARKER = re.compile(r"(?<!\$)\{\{\s*[A-Za-z_]|\{%|%\}|\{#")
TOOLS = Path(sys.executable).parent
CHECKOV = "checkov==3.3.30"
# Every CDK variant type-checks aws_cdk's large stubs: share one mypy cache between them.
INFRA_MYPY_CACHE = UV_CACHE.parent / f"chassis-infra-mypy-{WORKER}"
# The Node.js long-term-support lines jsii (CDK's runtime bridge) supports, end of life
# 2027-04-30 and 2028-04-30; and what jsii prints when it runs on any other.
SUPPORTED_NODE = {"v22", "v24"}
NODE_WARNING = re.compile(r"currently running on node", re.IGNORECASE)
# Context the CDK apps need for a synth: identity-provider settings, the Sentry DSN's secret
# (each app reads its own) and, for prod, the load balancer's certificate, as CI passes them.
INFRA_CONTEXT = {
    "keycloak_url": "https://id.example.com",
    "keycloak_realm": "svc",
    "keycloak_client_id": "svc",
    "auth0_domain": "example.eu.auth0.com",
    "auth0_audience": "https://api.example.com",
    "oidc_issuer": "https://id.example.com",
    "oidc_jwks_url": "https://id.example.com/jwks",
    "oidc_audience": "svc",
    "sentry_dsn_secret_arn": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:svc/dsn-AbC123",
}
INFRA_PROD_CONTEXT = {
    "certificate_arn": (
        "arn:aws:acm:eu-west-1:123456789012:certificate/00000000-0000-0000-0000-000000000000"
    ),
    "domain_name": "api.example.com",
}
# The delivery stack's one required setting, as its one-time deploy passes it.
INFRA_DELIVERY_CONTEXT = {"repository": "acme/svc"}


# What detect-secrets flags in generated projects that is no secret, each by file, the
# detector and the exact value, so anything else in the same file is still reported.
NOT_SECRETS: dict[tuple[str, str, str], str] = {
    (".env.example", "Basic Auth Credentials", "app"): "the local compose database's app:app",
    ("src/*/settings.py", "Basic Auth Credentials", "app"): "the same, DATABASE_URL's default",
    ("docker-compose.yml", "Basic Auth Credentials", "app"): "the same, for the app container",
    ("docker-compose.yml", "Secret Keyword", "app"): "the same, POSTGRES_PASSWORD of its db",
    ("docker-compose.yml", "Secret Keyword", "local"): "DynamoDB Local takes any credentials",
    (".github/workflows/ci.yml", "Secret Keyword", "postgres"): "CI's throwaway service database",
    (".github/workflows/ci.yml", "Basic Auth Credentials", "postgres"): "the same, its URL",
    (".gitlab-ci.yml", "Secret Keyword", "postgres"): "CI's throwaway service database",
    (".gitlab-ci.yml", "Basic Auth Credentials", "postgres"): "the same, its URL",
    ("docs/onboarding.md", "Secret Keyword", "CHASSIS_BOT_TOKEN"): "prose naming a CI secret",
    ("tests/test_logging.py", "Secret Keyword", "hunter2"): "input the redaction test masks",
    ("tests/test_database_secret.py", "Secret Keyword", "p@ss:w/rd%?"): "URL-escaping test data",
    ("tests/test_database_secret.py", "Basic Auth Credentials", "wrong"): "a URL to no server",
    ("tests/test_cognito_user_pool.py", "Secret Keyword", "Correct-Horse-7-Battery"): (
        "a user of moto's in-memory user pool"
    ),
    ("tests/test_cognito_user_pool.py", "Secret Keyword", "test"): "moto's fake AWS credentials",
}


# An instruction that would install the package index's `chassis`, an unrelated project
# (chassis is distributed as chassis-cli): an install command naming it, up to the end of
# that command, or a requirement on it.
FOREIGN_CHASSIS = re.compile(
    r"\b(?:pip3?|pipx|uv pip|uv tool|poetry|pdm)\s+(?:install|add)\b[^\n;&|#`]*?"
    r"(?<![\w/.~-])chassis(?![\w./-])"
    r"|\b(?:uvx|pipx run)\s+chassis(?![\w-])"
    r"|(?<![\w/.~-])chassis\s*(?:===?|>=|<=|~=|!=|@\s)"
)


def foreign_install_instructions(root: Path, names: list[str]) -> list[str]:
    """``path:line: text`` for each line of the files ``names`` under ``root`` that tells
    a user to install the index's `chassis` instead of chassis-cli."""
    found = []
    for name in names:
        try:
            lines = (root / name).read_text().splitlines()
        except UnicodeDecodeError:
            continue  # a binary file instructs nobody
        found += [
            f"{name}:{number}: {line.strip()}"
            for number, line in enumerate(lines, start=1)
            if FOREIGN_CHASSIS.search(line)
        ]
    return found


def run(argv: list[str], cwd: Path, env: dict[str, str]) -> None:
    done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0, f"`{' '.join(argv)}` failed in {cwd}:\n{done.stdout}{done.stderr}"


def output(argv: list[str], cwd: Path, env: dict[str, str]) -> str:
    """What a successful ``argv`` printed, stdout then stderr."""
    done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0, f"`{' '.join(argv)}` failed in {cwd}:\n{done.stdout}{done.stderr}"
    return done.stdout + done.stderr


def check_no_markers(project: Path) -> None:
    """No `.jinja` file and no Jinja expression or tag is left anywhere in ``project``
    (outside git's folder and the virtual environment a sync creates)."""
    generated = (p for p in project.rglob("*") if not {".git", ".venv"} & set(p.parts))
    for path in sorted(p for p in generated if p.is_file()):
        assert not path.name.endswith(".jinja"), path
        assert not MARKER.search(path.read_text(errors="replace")), f"template marker in {path}"


def project_files(project: Path) -> list[str]:
    """What ``project`` commits: in a git repository the tracked files and those `git add`
    would take, else every file outside git's folder and the virtual environment."""
    if (project / ".git").exists():
        argv = ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"]
        listed = subprocess.run(argv, cwd=project, capture_output=True, text=True, check=True)
        names = sorted(set(filter(None, listed.stdout.split("\0"))))
        return [name for name in names if (project / name).is_file()]
    files = (p.relative_to(project) for p in project.rglob("*") if p.is_file())
    return sorted(str(p) for p in files if not {".git", ".venv"} & set(p.parts))


def secret_findings(project: Path) -> list[str]:
    """``path:line: kind`` for each likely secret detect-secrets finds in the files
    ``project`` commits, less NOT_SECRETS; never the value itself."""
    files = project_files(project)
    assert ".copier-answers.yml" in files, "the answers file must be scanned"
    found = SecretsCollection(root=str(project))
    with default_settings():  # every plugin, the default filters, no network verification
        for name in files:
            found.scan_file(name)
    return [
        f"{name}:{secret.line_number}: {secret.type}"
        for name, secret in sorted(found, key=lambda item: (item[0], item[1].line_number))
        if not any(
            fnmatch(name, path) and (kind, value) == (secret.type, secret.secret_value)
            for path, kind, value in NOT_SECRETS
        )
    ]


def check_no_secrets(project: Path) -> None:
    findings = secret_findings(project)
    assert not findings, (
        "likely secrets in the generated project (a real secret belongs in .env or the "
        "environment; a value that is none goes in NOT_SECRETS with its reason):\n"
        + "\n".join(findings)
    )


def check_project(project: Path) -> None:
    """The validators for what ``project`` contains, then its own checks."""
    env = dict(os.environ)
    uv = find_uv_bin()
    check_no_secrets(project)  # before the checks add caches, builds and virtual environments
    foreign = foreign_install_instructions(project, project_files(project))
    assert not foreign, "tells users to install the index's chassis:\n" + "\n".join(foreign)
    if (project / "Dockerfile").exists():
        run([str(TOOLS / "hadolint"), "--failure-threshold", "info", "Dockerfile"], project, env)
    if (project / "docker-compose.yml").exists():
        schema = ["--builtin-schema", "vendor.compose-spec", "docker-compose.yml"]
        run([str(TOOLS / "check-jsonschema"), *schema], project, env)
    if (project / ".github" / "workflows").is_dir():
        _check_github(project, env)
    if (project / ".gitlab-ci.yml").exists():
        schema = ["--builtin-schema", "vendor.gitlab-ci", ".gitlab-ci.yml"]
        run([str(TOOLS / "check-jsonschema"), *schema], project, env)
    scripts = sorted(str(p) for p in (project / "infra" / "scripts").glob("*.sh"))
    if scripts:
        shellcheck = shutil.which("shellcheck")
        assert shellcheck is not None, "install shellcheck (Debian: apt-get install shellcheck)"
        run([shellcheck, *scripts], project, env)
    run([uv, "sync", "--locked", "--quiet"], project, env)
    run([uv, "run", "--locked", "ruff", "check", "."], project, env)
    run([uv, "run", "--locked", "ruff", "format", "--check", "."], project, env)
    run([uv, "run", "--locked", "deptry", "src"], project, env)  # every import declared
    run([uv, "run", "--locked", "mypy"], project, env)
    # Pyright as an auditor or an editor runs it, with no configuration of the project's
    # (standard mode), on the project's own environment.
    python = project / ".venv" / "bin" / "python"
    run([str(TOOLS / "pyright"), "--pythonpath", str(python), "src", "tests"], project, env)
    run([uv, "run", "--locked", "pytest", "-p", "no:cacheprovider", "-q"], project, env)
    if (project / "src" / "svc" / "lambda_handler.py").exists():
        _check_lambda_package(project, env)


def _check_github(project: Path, env: dict[str, str]) -> None:
    """The workflows pass actionlint (and shellcheck, when it is installed) and their
    schema; dependabot.yml passes its schema; zizmor finds nothing in either."""
    workflows = sorted(str(p) for p in (project / ".github" / "workflows").glob("*.y*ml"))
    assert workflows
    run([str(TOOLS / "actionlint"), *workflows], project, env)
    schema = [str(TOOLS / "check-jsonschema"), "--builtin-schema"]
    run([*schema, "vendor.github-workflows", *workflows], project, env)
    run([*schema, "vendor.dependabot", ".github/dependabot.yml"], project, env)
    # The strictest persona, as an outside auditor runs it; offline: no GitHub API here.
    zizmor = [str(TOOLS / "zizmor"), "--offline", "--persona", "auditor", "--no-progress"]
    run([*zizmor, ".github"], project, env)


def _check_lambda_package(project: Path, env: dict[str, str]) -> None:
    """`make lambda-package` builds code that Lambda's Python can import and invoke."""
    run(["make", "--no-print-directory", "lambda-package"], project, env)
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


def check_infra(infra: Path) -> None:
    """The CDK app's own checks, then cfn-lint and checkov on what it synthesizes."""
    uv = find_uv_bin()
    # No JSII_SILENCE_* variable: a Node.js that CDK calls unsupported must show.
    infra_env = {**os.environ, "MYPY_CACHE_DIR": str(INFRA_MYPY_CACHE)}
    run([uv, "sync", "--locked", "--quiet"], infra, infra_env)
    node = output([uv, "run", "--locked", "node", "--version"], infra, infra_env).strip()
    assert node.split(".")[0] in SUPPORTED_NODE, f"CDK runs on Node.js {node}: unsupported"
    run([uv, "run", "--locked", "ruff", "check", "."], infra, infra_env)
    run([uv, "run", "--locked", "ruff", "format", "--check", "."], infra, infra_env)
    run([uv, "run", "--locked", "mypy"], infra, infra_env)
    run([uv, "run", "--locked", "pytest", "-p", "no:cacheprovider", "-q"], infra, infra_env)
    apps = [
        ("dev", "app.py", {"env": "dev", **INFRA_CONTEXT}),
        ("prod", "app.py", {"env": "prod", **INFRA_CONTEXT, **INFRA_PROD_CONTEXT}),
    ]
    if (infra / "delivery.py").is_file():
        apps.append(("delivery", "delivery.py", INFRA_DELIVERY_CONTEXT))
    for environment, app, context in apps:
        out = infra / "cdk.out" / environment
        synth_env = {**infra_env, "CDK_OUTDIR": str(out), "CDK_CONTEXT_JSON": json.dumps(context)}
        synth = output([uv, "run", "--locked", "python", app], infra, synth_env)
        assert not NODE_WARNING.search(synth), f"jsii warns about Node.js {node}:\n{synth}"
        templates = sorted(str(p) for p in out.glob("*.template.json"))
        assert templates, f"nothing synthesized for {environment}"
        # Errors fail; warnings such as W3005 (a DependsOn CDK itself writes) do not.
        cfn_lint = [uv, "run", "--locked", "cfn-lint", "--non-zero-exit-code", "error"]
        run([*cfn_lint, *templates], infra, infra_env)
        checkov = [uv, "tool", "run", "--from", CHECKOV, "checkov", "--quiet", "--compact"]
        checkov.append("--skip-download")  # no policy downloads: only the registries are reachable
        run([*checkov, "-d", str(out), "--framework", "cloudformation"], infra, infra_env)
