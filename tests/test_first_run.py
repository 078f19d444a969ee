"""A newcomer's first run: the "Next:" lines `chassis new` prints work as printed.

For each preset the test generates the project with the real CLI, then follows its Next:
lines one by one: it copies .env.example, fills in what the comments say to fill in, and
starts the local services the `docker compose up -d` line names with stand-ins that run
here (a throwaway PostgreSQL cluster for `db`, moto's server for DynamoDB Local and for a
Cognito user pool; Keycloak is not needed until a token is validated). Before each
stand-in starts, `serve` must stop with one line naming the fix, not a traceback; after,
it must answer /health. AWS credentials come from .env only, as on a fresh machine.

The last test installs chassis into a fresh virtual environment and runs the default
project's Next: lines under PATH=/usr/bin:/bin, where there is no `uv` to find.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shlex
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, ExitStack, contextmanager
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import REPO, UV_CACHE, Result
from uv import find_uv_bin

PRESETS = sorted(p.stem for p in (REPO / "templates/service/presets").glob("*.yml"))


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def next_lines(stdout: str) -> list[str]:
    """The lines `chassis new` printed under "Next:"."""
    return [line.strip() for line in stdout.split("\nNext:\n", 1)[1].splitlines() if line.strip()]


def fresh_machine_env(extra: Mapping[str, str] = {}) -> dict[str, str]:
    """This environment without AWS credentials anywhere boto3 would look."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "DATABASE_URL"))}
    none = str(Path(env["HOME"]) / "no-aws-config")
    env |= {
        "AWS_SHARED_CREDENTIALS_FILE": none,
        "AWS_CONFIG_FILE": none,
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    return env | dict(extra)


def set_env_values(env_file: Path, **values: str) -> None:
    """Set NAME=value lines in a .env file, as a developer filling it in would."""
    lines = env_file.read_text().splitlines() if env_file.exists() else []
    for name, value in values.items():
        lines = [line for line in lines if not line.startswith(f"{name}=")] + [f"{name}={value}"]
    env_file.write_text("\n".join(lines) + "\n")


def serve_fails(argv: list[str], project: Path, env: dict[str, str]) -> str:
    """Run a serve line that must stop: one or two lines, non-zero, no traceback."""
    done = subprocess.run(
        [*argv, "--port", str(_free_port())],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode != 0, done.stdout
    assert "Traceback" not in done.stderr, done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert 1 <= len(lines) <= 2, done.stderr
    return lines[-1]


def health(argv: list[str], project: Path, env: dict[str, str], log: Path) -> Any:
    """Start a serve line, return /health's JSON body (None if it never answered)."""
    port = _free_port()
    with log.open("w") as out:
        server = subprocess.Popen(
            [*argv, "--port", str(port)], cwd=project, env=env, stdout=out, stderr=out
        )
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and server.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as r:
                    return json.loads(r.read())
            except OSError:
                time.sleep(0.3)
        return None
    finally:
        server.terminate()
        server.wait(timeout=20)


def load_generated_module(path: Path) -> Any:
    spec = importlib.util.spec_from_file_location(f"generated_{path.stem}", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@contextmanager
def moto_server(project: Path, env: dict[str, str]) -> Iterator[str]:
    """moto's server, from the project's own test dependencies, standing in for AWS."""
    port = _free_port()
    server = subprocess.Popen(
        [find_uv_bin(), "run", "--locked", "moto_server", "-H", "127.0.0.1", "-p", str(port)],
        cwd=project,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.2)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=20)


COGNITO_POOL = """
import boto3, json, sys
idp = boto3.client("cognito-idp", endpoint_url=sys.argv[1], region_name="eu-west-1",
                   aws_access_key_id="local", aws_secret_access_key="local")
pool = idp.create_user_pool(PoolName="first-run")["UserPool"]["Id"]
client = idp.create_user_pool_client(UserPoolId=pool, ClientName="app")["UserPoolClient"]
print(json.dumps([pool, client["ClientId"]]))
"""


@pytest.mark.slow
@pytest.mark.usefixtures("uv_environment")
@pytest.mark.parametrize("preset", PRESETS)
def test_each_preset_serves_health_by_following_its_next_lines(
    preset: str, tmp_path: Path, cli: Callable[..., Result]
) -> None:
    project = tmp_path / "svc"
    created = cli("new", project, "--preset", preset, "--defaults")
    assert created.exit_code == 0, created.stderr
    lines = next_lines(created.stdout)
    assert lines[0] == f"cd {project}"
    answers = yaml.safe_load((REPO / f"templates/service/presets/{preset}.yml").read_text())[
        "answers"
    ]
    env = fresh_machine_env()
    env_file = project / ".env"
    uv = find_uv_bin()
    serve: list[str] | None = None
    starts: list[tuple[str, Callable[[], AbstractContextManager[str]]]] = []
    with ExitStack() as running:
        for line in lines[1:]:
            words = shlex.split(line, comments=True)
            if not words:  # a comment: what to fill in, done where the line names it
                continue
            if words == ["cp", ".env.example", ".env"]:
                subprocess.run(words, cwd=project, check=True)
            elif words[:4] == ["docker", "compose", "up", "-d"]:
                assert set(words[4:]) <= {"db", "dynamodb", "keycloak"}, line
                starts = [(name, _stand_in(name, project, env)) for name in words[4:]]
            elif Path(words[0]).name == "uv" and words[1:3] == ["run", "pytest"]:
                # The variant tests run each project's own tests: here only the sync
                # `uv run` does first, so that serve's output is serve's alone.
                subprocess.run(
                    [uv, "sync", "--locked", "--quiet"], cwd=project, env=env, check=True
                )
            elif Path(words[0]).name == "uv" and "serve" in words:
                serve = [uv, *words[1:]]
            else:
                pytest.fail(f"a Next: line this test cannot follow: {line}")
        assert serve is not None, lines

        if answers["auth"] == "keycloak":
            chosen = ("KEYCLOAK_ADMIN_PASSWORD", "KEYCLOAK_DEV_PASSWORD", "KEYCLOAK_WORKER_SECRET")
            set_env_values(env_file, **dict.fromkeys(chosen, "chosen-locally"))
        if answers["auth"] == "cognito":
            message = serve_fails(serve, project, env)
            assert "COGNITO_USER_POOL_ID and COGNITO_APP_CLIENT_ID are not set" in message
            # Any ids let it start; the moto stand-in replaces them with a real pool's.
            set_env_values(env_file, COGNITO_USER_POOL_ID="eu-west-1_x", COGNITO_APP_CLIENT_ID="x")
        for name, start in starts:
            if name == "db":
                message = serve_fails(serve, project, env)
                assert "does not answer: start it with `docker compose up -d db`" in message
            if name == "dynamodb":
                message = serve_fails(serve, project, env)
                assert "does not answer: start DynamoDB Local with" in message
                assert "`docker compose up -d dynamodb`" in message
            running.enter_context(start())

        body = health(serve, project, env, tmp_path / "serve.log")

    assert body == {"status": "ok", "service": "svc", "version": "0.1.0"}, (
        tmp_path / "serve.log"
    ).read_text()


def _stand_in(name: str, project: Path, env: dict[str, str]) -> Callable[[], Any]:
    """What `docker compose up -d NAME` starts, by something that runs here, pointed to by
    .env as the compose service is by .env.example."""
    env_file = project / ".env"

    @contextmanager
    def postgresql() -> Iterator[str]:
        postgres = load_generated_module(project / "tests/postgres.py")
        with postgres.database_server() as url:
            set_env_values(env_file, DATABASE_URL=url)
            yield url

    @contextmanager
    def dynamodb_and_cognito() -> Iterator[str]:
        with moto_server(project, env) as url:
            set_env_values(env_file, DYNAMODB_ENDPOINT_URL=url)
            if "COGNITO_USER_POOL_ID=" in env_file.read_text():
                done = subprocess.run(
                    [find_uv_bin(), "run", "--locked", "python", "-c", COGNITO_POOL, url],
                    cwd=project,
                    env=env,
                    capture_output=True,
                    text=True,
                    check=True,
                )
                pool, client = json.loads(done.stdout)
                set_env_values(
                    env_file,
                    COGNITO_USER_POOL_ID=pool,
                    COGNITO_APP_CLIENT_ID=client,
                )
            yield url

    @contextmanager
    def nothing() -> Iterator[str]:
        yield ""  # Keycloak: the service fetches its keys only to validate a token

    return {"db": postgresql, "dynamodb": dynamodb_and_cognito, "keycloak": nothing}[name]


def test_next_names_chassis_own_uv_when_path_has_none(
    cli: Callable[..., Result], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    created = cli("new", tmp_path / "svc", "--defaults", "--no-lock", "--no-git")

    assert created.exit_code == 0, created.stderr
    uv_lines = [line for line in next_lines(created.stdout) if " run " in line]
    assert uv_lines
    for line in uv_lines:
        uv = Path(shlex.split(line)[0])
        assert uv.is_absolute(), line
        assert os.access(uv, os.X_OK), line
        assert uv.samefile(find_uv_bin())


def test_next_says_uv_when_path_has_one(cli: Callable[..., Result], tmp_path: Path) -> None:
    assert cli("new", tmp_path / "svc", "--defaults", "--no-lock", "--no-git").stdout.endswith(
        "  uv run pytest\n  uv run svc serve --migrate\n"
    )


@pytest.mark.slow
@pytest.mark.usefixtures("uv_environment")
def test_the_default_next_lines_work_as_printed_after_the_readme_install(
    tmp_path: Path,
) -> None:
    """The README's install, then the printed lines, in a shell whose PATH is the default."""
    install = tmp_path / "chassis-venv"
    subprocess.run([sys.executable, "-m", "venv", str(install)], check=True)
    # uv's pip installs the same files as the README's pip (bin/chassis, and bin/uv from
    # the uv wheel chassis depends on), from the warm cache.
    subprocess.run(
        [find_uv_bin(), "pip", "install", "-q", "--python", str(install / "bin/python"), REPO],
        check=True,
        env={**os.environ, "VIRTUAL_ENV": ""},
    )
    python312 = next(Path(p) for p in os.environ["PATH"].split(os.pathsep) if p) / "python3.12"
    # This machine's environment (its certificates and package-index settings), with a
    # default PATH: no uv, no venv.
    shell_env = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"} | {
        "PATH": "/usr/bin:/bin",
        "UV_CACHE_DIR": str(UV_CACHE),
        "UV_PYTHON_DOWNLOADS": "never",
        # Stands in for the Python uv would download on a machine with a network.
        "UV_PYTHON": str(python312.resolve()),
    }
    project = tmp_path / "my-service"
    created = subprocess.run(
        [install / "bin/chassis", "new", project, "--defaults"],
        env=shell_env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert created.returncode == 0, created.stderr
    lines = next_lines(created.stdout)
    assert lines == [
        f"cd {project}",
        f"{install}/bin/uv run pytest",
        f"{install}/bin/uv run my-service serve --migrate",
    ]

    tests = subprocess.run(
        ["sh", "-c", f"{lines[0]} && {lines[1]} -q -p no:randomly"],
        env=shell_env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert tests.returncode == 0, tests.stdout + tests.stderr
    assert re.search(r"\d+ passed", tests.stdout)

    serve = shlex.split(lines[2])
    body = health(serve, project, shell_env, tmp_path / "serve.log")
    assert body == {"status": "ok", "service": "my-service", "version": "0.1.0"}, (
        tmp_path / "serve.log"
    ).read_text()
