"""Template tasks run where Copier runs them, and never into chassis's report.

`copier copy` runs a template's tasks in the destination. chassis used to render into
a staging folder and move it into place: a task that wrote the project's path wrote
a temporary folder's, and a task's `git init` ran before chassis's and chose the
branch. Its output went to stdout, ahead of `--json`; `update --plan` ran the tasks
of every render it made.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import TINY_V1, Result, chassis_subprocess, commit_all, git, release

Cli = Callable[..., Result]


def _with_tasks(*tasks: str) -> dict[str, str | None]:
    listed = "".join(f"  - {json.dumps(task)}\n" for task in tasks)
    return {"copier.yml": TINY_V1["copier.yml"] + f"_tasks:\n{listed}"}


def test_a_task_writes_the_project_s_own_path(cli: Cli, template_repo: Path) -> None:
    release(template_repo, "2.0.0", _with_tasks("echo '{{ _copier_conf.dst_path }}' > where"))

    made = cli("new", "svc", "--template", template_repo, "--defaults", "--trust")

    assert made.exit_code == 0, made.stderr
    project = Path("svc").resolve()
    assert (project / "where").read_text() == f"{project}\n"
    assert git("status", "--porcelain", cwd=project) == ""  # committed with the rest


def test_the_same_task_under_copier_copy_writes_the_same(template_repo: Path) -> None:
    """What the test above holds chassis to: Copier's own copy, given the destination as
    chassis gives it."""
    release(template_repo, "2.0.0", _with_tasks("echo '{{ _copier_conf.dst_path }}' > where"))
    copier = Path(sys.executable).with_name("copier")
    dest = Path("svc").resolve()
    argv = [str(copier), "copy", "--defaults", "--trust", str(template_repo), str(dest)]

    subprocess.run(argv, capture_output=True, check=True)

    assert (dest / "where").read_text() == f"{dest}\n"


def test_a_task_s_git_init_finds_chassis_s_repository(
    cli: Cli, template_repo: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Without init.defaultBranch, a task's `git init` would name the branch master."""
    gitconfig = tmp_path / "plain-gitconfig"
    gitconfig.write_text("[user]\n\tname = Test Lead\n\temail = lead@example.com\n")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(gitconfig))
    release(template_repo, "2.0.0", _with_tasks("git init --quiet"))

    made = cli("new", "svc", "--template", template_repo, "--defaults", "--trust")

    assert made.exit_code == 0, made.stderr
    assert git("branch", "--show-current", cwd=Path("svc")).strip() == "main"


@pytest.mark.parametrize("command", ["new", "update"])
def test_task_output_goes_to_stderr_never_into_the_report(
    cli: Cli, template_repo: Path, command: str
) -> None:
    if command == "update":
        assert cli("new", "proj", "--template", template_repo, "--defaults").exit_code == 0
    release(template_repo, "2.0.0", {**_with_tasks("echo a task speaks"), "project/N": "n\n"})
    argv = {
        "new": ["new", "svc", "--template", str(template_repo), "--defaults", "--trust"],
        "update": ["update", "proj", "--json", "--trust"],
    }[command]

    process = chassis_subprocess(*argv, cwd=Path.cwd())
    out, err = process.communicate(timeout=120)

    assert process.returncode == 0, err
    assert "a task speaks" in err
    assert "a task speaks" not in out
    if command == "update":
        assert json.loads(out)["to"] == "2.0.0"  # nothing but the report


def test_update_plan_runs_no_task(cli: Cli, template_repo: Path, tmp_path: Path) -> None:
    assert cli("new", "proj", "--template", template_repo, "--defaults").exit_code == 0
    project = Path("proj").resolve()
    marker = tmp_path / "task-ran"
    release(template_repo, "2.0.0", {**_with_tasks(f"touch '{marker}'"), "project/N": "n\n"})

    plan = cli("update", project, "--plan", "--trust")

    assert plan.exit_code == 0, plan.stderr
    assert "N" in plan.stdout
    assert not marker.exists()
    assert git("status", "--porcelain", cwd=project) == ""
    assert cli("update", project, "--trust").exit_code == 0
    assert marker.exists()  # the real update runs them, as Copier does
    commit_all(project, "update")
