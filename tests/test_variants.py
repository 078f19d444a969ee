"""Every supported variant renders and passes the generated project's own checks.

The variants are data: the values of DIMENSIONS that copier.yml enables, every
other answer at its default. For each: no template marker left, hadolint and the
compose schema clean, then the project's own `uv sync --locked`, ruff, ruff format
check, mypy --strict and pytest (whose PostgreSQL tests run a real server).
"""

from __future__ import annotations

import itertools
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
from conftest import REPO
from uv import find_uv_bin

from chassis import engine
from chassis.answers import load_spec

# The questions whose answers change what is rendered; the rest stay at their defaults.
DIMENSIONS = ("database", "sentry")
# Read before the tests isolate HOME, so every variant shares one warm uv cache.
UV_CACHE = Path(os.environ.get("UV_CACHE_DIR") or Path.home() / ".cache" / "uv")
REAL_HOME = Path.home()
MARKER = re.compile(r"\{\{\s*[A-Za-z_]|\{%|%\}|\{#")
TOOLS = Path(sys.executable).parent


SPEC = load_spec(REPO / "templates" / "service")
# Choices may depend on earlier answers (sqlite is disabled for serverless): judge them
# against the defaults.
CHOICE_DEFAULTS = {q.name: SPEC.default(q, {}) for q in SPEC.questions if q.choices}


def _enabled(name: str) -> list[Any]:
    return [c.value for c in SPEC.choices(SPEC.question(name), CHOICE_DEFAULTS) if not c.disabled]


def _variants() -> list[tuple[str, dict[str, Any]]]:
    values = [
        [False, True] if SPEC.question(name).type == "bool" else _enabled(name)
        for name in DIMENSIONS
    ]
    found = []
    for combination in itertools.product(*values):
        answers = dict(zip(DIMENSIONS, combination, strict=True))
        label = "-".join(
            (name if value else f"no-{name}") if isinstance(value, bool) else str(value)
            for name, value in answers.items()
        )
        found.append((label, answers))
    return found


def _one_at_a_time(name: str) -> list[tuple[str, dict[str, Any]]]:
    """A variant for each enabled non-default value of ``name``, the rest at defaults."""
    return [
        (f"{name}-{value}", {name: value})
        for value in _enabled(name)
        if value != CHOICE_DEFAULTS[name]
    ]


VARIANTS = [
    *_variants(),
    *_one_at_a_time("auth"),
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


def _render(tmp_path: Path, answers: dict[str, Any]) -> tuple[Path, engine.NewResult]:
    """Generate the project `svc` with ``answers``, as `chassis new --defaults` would."""
    template = engine.open_template()
    project = tmp_path / "svc"
    resolved = template.spec.resolve(answers, context={"_folder_name": "svc"})
    return project, engine.new(template=template, dest=project, answers=resolved, commit=False)


def _run(argv: list[str], cwd: Path, env: dict[str, str]) -> None:
    done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0, f"`{' '.join(argv)}` failed in {cwd}:\n{done.stdout}{done.stderr}"


@pytest.mark.slow
@pytest.mark.usefixtures("uv_environment")
@pytest.mark.parametrize(("label", "answers"), VARIANTS, ids=[label for label, _ in VARIANTS])
def test_variant_passes_its_own_checks(label: str, answers: dict[str, Any], tmp_path: Path) -> None:
    project, result = _render(tmp_path, answers)
    assert result.notes == (), result.notes
    assert (project / "uv.lock").is_file()

    for path in sorted(p for p in project.rglob("*") if p.is_file()):
        assert not path.name.endswith(".jinja"), path
        assert not MARKER.search(path.read_text(errors="replace")), f"template marker in {path}"

    env = dict(os.environ)
    uv = find_uv_bin()
    _run([str(TOOLS / "hadolint"), "--failure-threshold", "info", "Dockerfile"], project, env)
    _run(
        [
            str(TOOLS / "check-jsonschema"),
            "--builtin-schema",
            "vendor.compose-spec",
            "docker-compose.yml",
        ],
        project,
        env,
    )
    _run([uv, "sync", "--locked", "--quiet"], project, env)
    _run([uv, "run", "--locked", "ruff", "check", "."], project, env)
    _run([uv, "run", "--locked", "ruff", "format", "--check", "."], project, env)
    _run([uv, "run", "--locked", "mypy"], project, env)
    _run([uv, "run", "--locked", "pytest", "-p", "no:cacheprovider", "-q"], project, env)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.mark.slow
@pytest.mark.usefixtures("uv_environment")
def test_the_readme_serve_command_answers_health_with_json_logs(tmp_path: Path) -> None:
    project, _ = _render(tmp_path, {})
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
    project, _ = _render(tmp_path, {"auth": "keycloak"})
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
