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
from conftest import TINY_V1, Result, chassis_subprocess, commit_all, git, release, snapshot

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


# --- an update's tasks ------------------------------------------------------------------

# Writes what Copier gives a task, and reads an ignored file only the project has. It
# must not fail without one: `copier update` runs it in its fresh render too.
_REPORTING_TASK = (
    "echo '{{ _copier_operation }} {{ _copier_conf.dst_path }} {{ greeting }}' > .task-log"
    " && (test ! -f .env || cat .env >> .task-log)"
)


def _project_with_an_ignored_env(cli: Cli, template_repo: Path) -> Path:
    """v1.1 ignores .env and .task-log; a project generated there, whose team keeps a
    .env (ignored, so only in the project) and edited its README, committed."""
    release(template_repo, "1.1.0", {"project/.gitignore": ".env\n.task-log\n"})
    assert cli("new", "proj", "--template", template_repo, "--defaults").exit_code == 0
    project = Path("proj").resolve()
    (project / ".env").write_text("TOKEN=team\n")
    readme = project / "README.md"
    readme.write_text(readme.read_text() + "\nOur own notes.\n")
    commit_all(project, "the team's notes")
    return project


def test_an_update_s_tasks_run_in_the_project_itself(cli: Cli, template_repo: Path) -> None:
    """A task sees the project's ignored files and its path, and what it writes to an
    ignored file stays: chassis used to run the tasks in its throwaway clone, where the
    .env did not exist and the log went with the clone."""
    project = _project_with_an_ignored_env(cli, template_repo)
    release(template_repo, "2.0.0", {**_with_tasks(_REPORTING_TASK), "project/N": "n\n"})

    updated = cli("update", project, "--trust")

    assert updated.exit_code == 0, updated.stderr
    assert (project / ".task-log").read_text() == f"update {project} hello\nTOKEN=team\n"
    assert "Our own notes." in (project / "README.md").read_text()
    assert (project / "N").read_text() == "n\n"


def test_copier_update_runs_the_same_task_the_same_way(cli: Cli, template_repo: Path) -> None:
    """What the test above holds chassis to: `copier update` itself, given the project
    as chassis gives it (Copier passes the path on as it gets it: `.` when run bare)."""
    project = _project_with_an_ignored_env(cli, template_repo)
    release(template_repo, "2.0.0", {**_with_tasks(_REPORTING_TASK), "project/N": "n\n"})
    copier = Path(sys.executable).with_name("copier")

    done = subprocess.run(
        [str(copier), "update", "--defaults", "--trust", "--skip-answered", str(project)],
        capture_output=True,
        text=True,
        check=False,
    )

    assert done.returncode == 0, done.stderr

    assert (project / ".task-log").read_text() == f"update {project} hello\nTOKEN=team\n"


def test_a_task_that_fails_undoes_the_update_and_what_the_task_changed(
    cli: Cli, template_repo: Path
) -> None:
    """Every failed update leaves the tree as it was; with the tasks in the project, that
    takes undoing their edits too. Only an ignored file they wrote stays, as said."""
    project = _project_with_an_ignored_env(cli, template_repo)
    task = "echo half >> README.md && echo new > made && echo log > .task-log && exit 3"
    release(template_repo, "2.0.0", {**_with_tasks(task), "project/N": "n\n"})
    before = {name: data for name, data in snapshot(project).items() if name != ".task-log"}

    updated = cli("update", project, "--trust")

    assert updated.exit_code == 1
    lines = updated.stderr.strip().splitlines()
    assert len(lines) == 1, updated.stderr
    assert "a task of template" in lines[0]
    assert "(exit 3)" in lines[0]
    assert "the update was undone (what the task wrote to files git ignores stays)" in lines[0]
    assert "pass --skip-tasks" in lines[0]
    after = snapshot(project)
    assert after.pop(".task-log") == b"log\n"
    assert after == before
    assert git("status", "--porcelain", cwd=project) == ""


def test_skip_tasks_updates_without_running_them(
    cli: Cli, template_repo: Path, tmp_path: Path
) -> None:
    """Copier's --skip-tasks: no task runs, so none needs --trust either."""
    project = _project_with_an_ignored_env(cli, template_repo)
    marker = tmp_path / "task-ran"
    release(template_repo, "2.0.0", {**_with_tasks(f"touch '{marker}'"), "project/N": "n\n"})

    updated = cli("update", project, "--skip-tasks")

    assert updated.exit_code == 0, updated.stderr
    assert (project / "N").read_text() == "n\n"
    assert not marker.exists()


def test_new_with_skip_tasks_runs_none(cli: Cli, template_repo: Path, tmp_path: Path) -> None:
    marker = tmp_path / "task-ran"
    release(template_repo, "2.0.0", _with_tasks(f"touch '{marker}'"))

    made = cli("new", "svc", "--template", template_repo, "--defaults", "--skip-tasks")

    assert made.exit_code == 0, made.stderr
    assert not marker.exists()


def test_files_a_task_changes_beyond_the_update_are_named(cli: Cli, template_repo: Path) -> None:
    project = _project_with_an_ignored_env(cli, template_repo)
    release(template_repo, "2.0.0", {**_with_tasks("echo made > by-task"), "project/N": "n\n"})

    updated = cli("update", project, "--trust")

    assert updated.exit_code == 0, updated.stderr
    assert "note: the template's tasks also changed by-task" in updated.stderr


def test_an_update_to_a_release_with_tasks_needs_trust_before_anything_changes(
    cli: Cli, template_repo: Path, tmp_path: Path
) -> None:
    project = _project_with_an_ignored_env(cli, template_repo)
    marker = tmp_path / "task-ran"
    release(template_repo, "2.0.0", {**_with_tasks(f"touch '{marker}'"), "project/N": "n\n"})

    updated = cli("update", project)

    assert updated.exit_code == 1
    assert "pass --trust if you trust this template" in updated.stderr
    assert not marker.exists()
    assert git("status", "--porcelain", cwd=project) == ""
