"""Every supported combination renders and passes the generated project's own checks.

The combinations are data read from copier.yml (tests/matrix.py). `.ci/run` runs a
covering set that holds every pair of choices across architecture, database, auth, ci,
iac and sentry, plus the longest names the template allows; `pytest -m matrix` runs
every supported combination: the covering set and the rest. Each variant gets the
checks in tests/checks.py: no template marker left, the validators for what it
contains, its own lint, format check, types and tests, the Lambda package for
serverless, and with `iac: cdk` the infrastructure's own checks,
cfn-lint and checkov.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import passes
import pytest
from checks import check_infra, check_no_markers, check_project
from conftest import render_bundled
from matrix import DIMENSIONS, all_pairs, supported
from uv import find_uv_bin

COVERING = [(c.id, dict(c.answers)) for c in all_pairs()]
# The longest names the template allows, on the oldest Python: resource names built
# from them must stay within AWS's limits.
LONGEST_NAMES = {
    "project_slug": "a" * 12 + "-" + "b" * 11,
    "python_version": "3.11",
    "database": "postgresql",
    "sentry": True,
    "auth": "keycloak",
}
VARIANTS = [*COVERING, ("longest-names-py3.11", LONGEST_NAMES)]
# The rest of the cross-product, on demand: `pytest -m matrix` runs them with COVERING.
COVERED = [{name: c.answers[name] for name in DIMENSIONS} for c in all_pairs()]
REST = [(c.id, dict(c.answers)) for c in supported() if c.answers not in COVERED]


def _render_and_check(label: str, answers: dict[str, Any], tmp_path: Path, reuse: bool) -> None:
    project, result = render_bundled(tmp_path, answers)
    assert result.notes == (), result.notes
    assert (project / "uv.lock").is_file()
    rendered = passes.key(project)
    if reuse and (when := passes.passed_before(rendered)):
        pytest.skip(f"these rendered files passed the same checks with the same tools at {when}")
    check_no_markers(project)
    check_project(project)
    if (project / "infra").is_dir():
        check_infra(project / "infra")
    passes.record_pass(rendered, label)


@pytest.mark.matrix
@pytest.mark.slow
@pytest.mark.usefixtures("uv_environment")
@pytest.mark.parametrize(("label", "answers"), VARIANTS, ids=[label for label, _ in VARIANTS])
def test_variant_passes_its_own_checks(
    label: str, answers: dict[str, Any], tmp_path: Path, reuse_passes: bool
) -> None:
    _render_and_check(label, answers, tmp_path, reuse_passes)


@pytest.mark.matrix
@pytest.mark.beyond_covering
@pytest.mark.slow
@pytest.mark.usefixtures("uv_environment")
@pytest.mark.parametrize(("label", "answers"), REST, ids=[label for label, _ in REST])
def test_every_combination_passes_its_own_checks(
    label: str, answers: dict[str, Any], tmp_path: Path, reuse_passes: bool
) -> None:
    _render_and_check(label, answers, tmp_path, reuse_passes)


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
    ("mutation", "path", "old", "new", "caught_by", "named"),
    [
        (
            "notes made public",
            "src/svc/auth.py",
            'PUBLIC_PATHS = frozenset({"/health", "/ready"})',
            'PUBLIC_PATHS = frozenset({"/health", "/ready", "/notes"})',
            # and reading notes, which any caller with a token may do, now answers 401
            "test_no_public_path_has_a_route_that_needs_a_permission"
            " test_public_routes_need_no_token",
            "/notes is public, but Require('notes:write') guards it",
        ),
        (
            "a route outside FastAPI's dependencies",
            "src/svc/app.py",
            "    app.add_middleware(RequestContextMiddleware)",
            "    from starlette.responses import PlainTextResponse\n"
            "    from starlette.routing import Route\n\n"
            "    app.router.routes.append(Route('/leak', lambda r: PlainTextResponse('x')))\n"
            "    app.add_middleware(RequestContextMiddleware)",
            "test_no_route_escapes_the_authentication_dependency",
            "/leak bypasses authentication",
        ),
        (
            "a mutating route that declares no access policy",
            "src/svc/modules/notes/api.py",
            "@router.delete(",
            '@router.post("/{note_id}/archive")\n'
            "def archive_note(note_id: NoteId, service: Service) -> Note:\n"
            "    return service.get(note_id)\n\n\n"
            "@router.delete(",
            "test_every_route_declares_its_access_policy",
            "POST /notes/{note_id}/archive: no access policy.",
        ),
        (
            "a mutating route open to any caller",
            "src/svc/modules/notes/api.py",
            "@router.delete(",
            '@router.post("/{note_id}/archive", dependencies=READ)\n'
            "def archive_note(note_id: NoteId, service: Service) -> Note:\n"
            "    return service.get(note_id)\n\n\n"
            "@router.delete(",
            "test_no_route_lets_any_caller_change_data",
            "POST /notes/{note_id}/archive: changes data, but any caller may use it.",
        ),
    ],
    ids=["public-notes", "raw-route", "undeclared-route", "any-caller-writes"],
)
def test_the_generated_protection_test_catches_an_unprotected_route(
    tmp_path: Path, *, mutation: str, path: str, old: str, new: str, caught_by: str, named: str
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
    failed = [line for line in done.stdout.splitlines() if line.startswith("FAILED ")]
    names = sorted({line.split("::")[1].split(" ")[0].split("[")[0] for line in failed})
    assert names == sorted(caught_by.split()), done.stdout
    assert named in done.stdout


def test_every_covering_variant_is_ruff_clean_as_rendered(tmp_path: Path) -> None:
    """Lint and format, the first of each variant's own checks, for the covering set in
    seconds: whitespace a Jinja branch leaves behind (a docstring whose
    closing quotes sit alone once a paragraph is left out) fails here, not after the
    35 minutes of the slow matrix. chassis's own ruff stands in for the one each
    project locks; the slow checks run the locked one."""
    for label, answers in VARIANTS:
        (tmp_path / label).mkdir()
        render_bundled(tmp_path / label, answers, lock=False)
    for argv in (["check", "--no-cache", "."], ["format", "--no-cache", "--check", "."]):
        done = subprocess.run(
            [sys.executable, "-m", "ruff", *argv],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, f"ruff {argv[0]}:\n{done.stdout}{done.stderr}"
