"""Untrusted templates: a `--template` source's tasks, migrations and Jinja extensions run
only with an explicit `--trust`; the bundled template is trusted."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import TINY_COPIER_YML, Result, release, snapshot

from chassis import sources

Cli = Callable[..., Result]

#: The Jinja extension a template ships as a module of its own. Copier imports extensions
#: by name, so the module is put on sys.path as a team installing it would.
EXTENSION_MODULE = "chassis_trust_extension"
EXTENSION = '''\
"""A Jinja extension that leaves a trace when Copier loads it."""

import os
from pathlib import Path

from jinja2.ext import Extension


class Shout(Extension):
    def __init__(self, environment):
        super().__init__(environment)
        Path(os.environ["CHASSIS_TRUST_MARKER"]).touch()
        environment.filters["shout"] = lambda value: f"{str(value).upper()}!"
'''


@pytest.fixture
def marker(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A file outside every project that template code creates when it runs."""
    path = tmp_path / "template-code-ran"
    monkeypatch.setenv("CHASSIS_TRUST_MARKER", str(path))
    return path


@pytest.fixture
def extension_on_path(template_repo: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The template repository's own extension module, importable."""
    monkeypatch.syspath_prepend(str(template_repo))
    yield
    sys.modules.pop(EXTENSION_MODULE, None)


def _with_tasks(marker: Path) -> dict[str, str | None]:
    # A relative file lands in the project; the absolute marker shows the task ran at all.
    return {"copier.yml": TINY_COPIER_YML + f"_tasks:\n  - \"touch '{marker}' tasks-ran\"\n"}


def _with_migration(marker: Path, version: str) -> dict[str, str | None]:
    return {
        "copier.yml": TINY_COPIER_YML
        + f"_migrations:\n  - version: {version}\n    command: \"touch '{marker}'\"\n"
    }


def _with_extension() -> dict[str, str | None]:
    return {
        "copier.yml": TINY_COPIER_YML + f"_jinja_extensions:\n  - {EXTENSION_MODULE}.Shout\n",
        f"{EXTENSION_MODULE}.py": EXTENSION,
        "project/SHOUT.txt.jinja": "{{ greeting | shout }}\n",
    }


def _assert_refused(result: Result, template: Path, feature: str) -> None:
    assert result.exit_code == 1
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(
        f"error: template {template} uses features that run code on your machine ("
    )
    assert feature in lines[0]
    assert lines[0].endswith("; pass --trust if you trust this template")


@pytest.fixture
def project(cli: Cli, template_repo: Path) -> Path:
    """A project generated from the plain template 1.0.0, which runs no code."""
    result = cli("new", "proj", "--template", template_repo, "--defaults", "--no-lock")
    assert result.exit_code == 0, result.stderr
    return Path("proj").resolve()


# --- chassis new --template -------------------------------------------------------------


def test_new_refuses_tasks_without_trust(cli: Cli, template_repo: Path, marker: Path) -> None:
    release(template_repo, "2.0.0", _with_tasks(marker))

    result = cli("new", "svc", "--template", template_repo, "--defaults", "--no-lock")

    _assert_refused(result, template_repo, "tasks")
    assert not marker.exists()
    assert list(Path.cwd().iterdir()) == []


def test_new_runs_tasks_with_trust(cli: Cli, template_repo: Path, marker: Path) -> None:
    release(template_repo, "2.0.0", _with_tasks(marker))

    result = cli("new", "svc", "--template", template_repo, "--defaults", "--no-lock", "--trust")

    assert result.exit_code == 0, result.stderr
    assert marker.exists()
    assert Path("svc/tasks-ran").is_file()


def test_new_refuses_jinja_extensions_without_trust(
    cli: Cli, template_repo: Path, marker: Path, extension_on_path: None
) -> None:
    release(template_repo, "2.0.0", _with_extension())

    result = cli("new", "svc", "--template", template_repo, "--defaults", "--no-lock")

    _assert_refused(result, template_repo, "jinja_extensions")
    assert not marker.exists()
    assert list(Path.cwd().iterdir()) == []


def test_new_loads_jinja_extensions_with_trust(
    cli: Cli, template_repo: Path, marker: Path, extension_on_path: None
) -> None:
    release(template_repo, "2.0.0", _with_extension())

    result = cli("new", "svc", "--template", template_repo, "--defaults", "--no-lock", "--trust")

    assert result.exit_code == 0, result.stderr
    assert marker.exists()
    assert Path("svc/SHOUT.txt").read_text() == "HELLO!\n"


def test_new_needs_no_trust_for_migrations_as_they_run_only_on_update(
    cli: Cli, template_repo: Path, marker: Path
) -> None:
    release(template_repo, "2.0.0", _with_migration(marker, "2.0.0"))

    result = cli("new", "svc", "--template", template_repo, "--defaults", "--no-lock")

    assert result.exit_code == 0, result.stderr
    assert not marker.exists()


def test_trust_does_not_bypass_a_failing_task(cli: Cli, template_repo: Path) -> None:
    copier_yml = TINY_COPIER_YML + '_tasks:\n  - "touch half-done && exit 3"\n'
    release(template_repo, "2.0.0", {"copier.yml": copier_yml})

    result = cli("new", "svc", "--template", template_repo, "--defaults", "--no-lock", "--trust")

    assert result.exit_code == 1
    assert result.stderr.startswith(f"error: a task of template {template_repo} failed: ")
    assert len(result.stderr.strip().splitlines()) == 1
    assert list(Path.cwd().iterdir()) == []


# --- chassis update ---------------------------------------------------------------------


def test_update_refuses_tasks_without_trust(
    cli: Cli, project: Path, template_repo: Path, marker: Path
) -> None:
    release(template_repo, "2.0.0", _with_tasks(marker))
    before = snapshot(project)

    result = cli("update", project)

    _assert_refused(result, template_repo, "tasks")
    assert not marker.exists()
    assert snapshot(project) == before


def test_update_runs_tasks_with_trust(
    cli: Cli, project: Path, template_repo: Path, marker: Path
) -> None:
    release(template_repo, "2.0.0", _with_tasks(marker))

    result = cli("update", project, "--trust")

    assert result.exit_code == 0, result.stderr
    assert marker.exists()
    assert (project / "tasks-ran").is_file()


def test_update_refuses_migrations_without_trust(
    cli: Cli, project: Path, template_repo: Path, marker: Path
) -> None:
    release(template_repo, "2.0.0", _with_migration(marker, "2.0.0"))
    before = snapshot(project)

    result = cli("update", project)

    _assert_refused(result, template_repo, "migrations")
    assert not marker.exists()
    assert snapshot(project) == before


def test_update_runs_migrations_with_trust(
    cli: Cli, project: Path, template_repo: Path, marker: Path
) -> None:
    release(template_repo, "2.0.0", _with_migration(marker, "2.0.0"))

    result = cli("update", project, "--trust")

    assert result.exit_code == 0, result.stderr
    assert marker.exists()


def test_update_refuses_jinja_extensions_without_trust(
    cli: Cli, project: Path, template_repo: Path, marker: Path, extension_on_path: None
) -> None:
    release(template_repo, "2.0.0", _with_extension())
    before = snapshot(project)

    result = cli("update", project)

    _assert_refused(result, template_repo, "jinja_extensions")
    assert not marker.exists()
    assert snapshot(project) == before


def test_update_loads_jinja_extensions_with_trust(
    cli: Cli, project: Path, template_repo: Path, marker: Path, extension_on_path: None
) -> None:
    release(template_repo, "2.0.0", _with_extension())

    result = cli("update", project, "--trust")

    assert result.exit_code == 0, result.stderr
    assert marker.exists()
    assert (project / "SHOUT.txt").read_text() == "HELLO!\n"


def test_a_plan_runs_no_task_so_it_needs_no_trust_and_says_so(
    cli: Cli, project: Path, template_repo: Path, marker: Path
) -> None:
    """--plan previews files without running the template's tasks, so there is no code
    to trust; it says the update will run them, and needs --trust."""
    release(template_repo, "2.0.0", _with_tasks(marker))
    before = snapshot(project)

    result = cli("update", project, "--plan")

    assert result.exit_code == 0, result.stderr
    assert result.stderr.splitlines() == [
        "note: the plan ran none of the template's tasks, which can change more files: the "
        "update runs them, with --trust"
    ]
    assert not marker.exists()
    assert snapshot(project) == before


def test_a_plan_is_refused_without_trust_when_the_update_runs_migrations(
    cli: Cli, project: Path, template_repo: Path, marker: Path
) -> None:
    """Copier runs migrations in the plan's throwaway clone too: that is code to trust."""
    release(template_repo, "2.0.0", _with_migration(marker, "2.0.0"))
    before = snapshot(project)

    result = cli("update", project, "--plan")

    _assert_refused(result, template_repo, "migrations")
    assert not marker.exists()
    assert snapshot(project) == before


# --- the bundled template -----------------------------------------------------------------


def test_only_the_bundled_source_is_trusted(template_repo: Path) -> None:
    assert sources.bundled().trusted
    assert sources.from_recorded(sources.BUNDLED_SRC).trusted
    assert sources.from_spec(sources.BUNDLED_SRC).trusted
    assert not sources.from_spec(str(template_repo)).trusted
    assert not sources.from_spec(f"file://{template_repo}").trusted


@pytest.fixture
def copier_calls(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """The keyword arguments of every Copier run_copy call, which still goes ahead."""
    import copier  # noqa: PLC0415, TID251 - a spy on the call chassis.engine makes

    calls: list[dict[str, Any]] = []
    real = copier.run_copy

    def spy(*args: Any, **kwargs: Any) -> Any:
        calls.append(kwargs)
        return real(*args, **kwargs)

    monkeypatch.setattr(copier, "run_copy", spy)
    return calls


def test_the_bundled_template_runs_without_trust(
    cli: Cli, copier_calls: list[dict[str, Any]]
) -> None:
    result = cli("new", "svc", "--defaults", "--no-lock", "--no-git")

    assert result.exit_code == 0, result.stderr
    assert [call["unsafe"] for call in copier_calls] == [True, True]  # the project, notes


def test_a_custom_template_runs_unsafe_only_with_trust(
    cli: Cli, template_repo: Path, copier_calls: list[dict[str, Any]]
) -> None:
    assert cli("new", "a", "--template", template_repo, "--defaults", "--no-git").exit_code == 0
    args = ("--defaults", "--no-git", "--trust")
    assert cli("new", "b", "--template", template_repo, *args).exit_code == 0

    assert [call["unsafe"] for call in copier_calls] == [False, True]
