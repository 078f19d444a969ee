"""`chassis update` and `chassis check` on a custom --template git repository, v1 -> v2."""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import (
    Result,
    answers_of,
    commit_all,
    git,
    release,
    snapshot,
    update_locked,
    write_tree,
)

Cli = Callable[..., Result]


@pytest.fixture
def project(cli: Cli, template_repo: Path) -> Path:
    result = cli("new", "proj", "--template", template_repo, "--defaults")
    assert result.exit_code == 0, result.stderr
    return Path("proj").resolve()


def test_new_records_a_versioned_git_source(project: Path, template_repo: Path) -> None:
    answers = answers_of(project)

    assert answers["_src_path"] == str(template_repo)
    assert answers["_commit"] == "1.0.0"
    assert git("log", "--format=%s", cwd=project).splitlines() == [
        f"Generate proj from template {template_repo} 1.0.0"
    ]


def test_check_reports_a_newer_version_with_exit_3(
    cli: Cli, project: Path, template_repo: Path
) -> None:
    assert cli("check", project).exit_code == 0

    release(template_repo, "1.1.0", {"project/config.toml": "[service]\nport = 8080\n"})
    result = cli("check", project, "--json")

    assert result.exit_code == 3
    assert json.loads(result.stdout) == {
        "path": str(project),
        "template": str(template_repo),
        "current": "1.0.0",
        "latest": "1.1.0",
        "up_to_date": False,
        "needs_trust": [],
        "unresolved": [],
        "modules": [],
    }


def test_update_keeps_team_edits_and_merges_template_changes(
    cli: Cli, project: Path, template_repo: Path
) -> None:
    # The team edits the README's usage section, a setting, adds a module and
    # deletes an optional file.
    readme = (project / "README.md").read_text()
    write_tree(
        project,
        {
            "README.md": readme.replace("Say hello.", "Say hello, then run `make demo`."),
            "config.toml": "[service]\nport = 8000\ntimeout = 30\n",
            "src/billing.py": "RATE = 3\n",
            "optional.txt": None,
        },
    )
    commit_all(project, "team work")
    # The template fixes the intro, adds a file, and changes the optional file.
    release(
        template_repo,
        "2.0.0",
        {
            "project/README.md.jinja": (template_repo / "project/README.md.jinja")
            .read_text()
            .replace("Intro from the template.", "A better intro from the template."),
            "project/CONTRIBUTING.md": "Be kind.\n",
            "project/optional.txt": "an optional file, improved\n",
        },
    )

    result = cli("update", project)

    assert result.exit_code == 0, result.stderr
    readme = (project / "README.md").read_text()
    assert "A better intro from the template." in readme
    assert "Say hello, then run `make demo`." in readme
    assert (project / "config.toml").read_text() == "[service]\nport = 8000\ntimeout = 30\n"
    assert (project / "src/billing.py").read_text() == "RATE = 3\n"
    assert (project / "CONTRIBUTING.md").read_text() == "Be kind.\n"
    assert not (project / "optional.txt").exists()
    assert answers_of(project)["_commit"] == "2.0.0"
    assert "merged cleanly" in result.stdout
    assert "README.md" in result.stdout


def _ports_disagree(project: Path, template_repo: Path) -> None:
    """The team's port 9000, committed; the template's 2.0.0 says 8080: a conflict."""
    write_tree(project, {"config.toml": "[service]\nport = 9000\ntimeout = 5\n"})
    commit_all(project)
    release(
        template_repo, "2.0.0", {"project/config.toml": "[service]\nport = 8080\ntimeout = 5\n"}
    )


def test_conflicts_are_left_as_markers_listed_and_exit_4(
    cli: Cli, project: Path, template_repo: Path
) -> None:
    _ports_disagree(project, template_repo)

    result = cli("update", project, "--json")

    assert result.exit_code == 4
    report = json.loads(result.stdout)
    assert report["conflicts"] == ["config.toml"]
    assert {"path": "config.toml", "status": "conflict", "detail": ""} in report["files"]
    merged = (project / "config.toml").read_text()
    assert "<<<<<<< " in merged
    assert "port = 9000" in merged
    assert "port = 8080" in merged


def test_conflicts_can_go_to_rej_files(cli: Cli, project: Path, template_repo: Path) -> None:
    _ports_disagree(project, template_repo)

    result = cli("update", project, "--conflict", "rej")

    assert result.exit_code == 4
    # Copier's rej mode writes the template's side and keeps the team's hunk beside it.
    assert "+port = 9000" in (project / "config.toml.rej").read_text()
    assert "port = 8080" in (project / "config.toml").read_text()
    lines = [" ".join(line.split()) for line in result.stdout.splitlines()]
    assert "CONFLICT config.toml" in lines
    assert "your rejected hunks config.toml.rej" in lines  # not "added"
    said = " ".join(lines)
    assert "Apply your hunks from config.toml.rej by hand, delete the .rej files" in said
    assert "<<<<<<<" not in said  # there are no markers to resolve


def test_rej_files_have_their_own_status_in_json(
    cli: Cli, project: Path, template_repo: Path
) -> None:
    _ports_disagree(project, template_repo)

    result = cli("update", project, "--conflict", "rej", "--json")

    assert result.exit_code == 4
    files = json.loads(result.stdout)["files"]
    assert {"path": "config.toml.rej", "status": "rejected", "detail": ""} in files
    assert json.loads(result.stdout)["conflicts"] == ["config.toml"]


def test_a_dirty_tree_is_refused_naming_the_files_and_nothing_changes(
    cli: Cli, project: Path, template_repo: Path
) -> None:
    release(template_repo, "2.0.0", {"project/CONTRIBUTING.md": "Be kind.\n"})
    (project / "README.md").write_text("edited, not committed\n")
    (project / "notes.txt").write_text("untracked\n")
    before = snapshot(project)

    result = cli("update", project)

    assert result.exit_code == 1
    assert result.stderr.strip() == (
        f"error: {project} has uncommitted changes (README.md, notes.txt); "
        "commit or stash them first, so the update can be reviewed and undone"
    )
    assert snapshot(project) == before


def test_plan_changes_nothing_and_reports_every_file(
    cli: Cli, project: Path, template_repo: Path
) -> None:
    write_tree(
        project, {"optional.txt": None, "config.toml": "[service]\nport = 9000\ntimeout = 5\n"}
    )
    commit_all(project)
    release(
        template_repo,
        "2.0.0",
        {
            "project/CONTRIBUTING.md": "Be kind.\n",
            "project/optional.txt": "improved\n",
            "project/config.toml": "[service]\nport = 8080\ntimeout = 5\n",
            "project/README.md.jinja": "# {{ project_name }}\n\nRewritten.\n",
        },
    )
    before = snapshot(project)

    result = cli("update", project, "--plan", "--json")

    assert result.exit_code == 4  # the plan predicts a conflict
    assert snapshot(project) == before
    assert git("status", "--porcelain", cwd=project) == ""
    report = json.loads(result.stdout)
    assert report["applied"] is False
    assert {f["path"]: f["status"] for f in report["files"]} == {
        ".copier-answers.yml": "updated",
        "CONTRIBUTING.md": "added",
        "README.md": "updated",
        "config.toml": "conflict",
        "optional.txt": "kept-deleted",
    }


def test_template_deletions_are_applied(cli: Cli, project: Path, template_repo: Path) -> None:
    release(template_repo, "2.0.0", {"project/optional.txt": None})

    result = cli("update", project, "--json")

    assert result.exit_code == 0
    assert not (project / "optional.txt").exists()
    report = json.loads(result.stdout)
    assert {"path": "optional.txt", "status": "deleted", "detail": ""} in report["files"]
    assert report["notes"] == []  # the team had not touched it: nothing to say


@pytest.mark.parametrize("args", [(), ("--conflict", "rej"), ("--plan",)], ids=str)
def test_deleting_a_file_the_team_edited_says_where_its_edits_are(
    cli: Cli, project: Path, template_repo: Path, args: tuple[str, ...]
) -> None:
    (project / "optional.txt").write_text("ours, tuned for production\n")
    commit_all(project, "tune")
    release(template_repo, "2.0.0", {"project/optional.txt": None})

    result = cli("update", project, *args)

    assert result.exit_code == 0, result.stderr
    assert "deleted by the template" in result.stdout
    assert result.stderr.splitlines() == [
        "note: optional.txt had your edits, and the template no longer has it, so the update "
        "deletes it; your version stays in git: git show HEAD:optional.txt"
    ]
    shown = git("show", "HEAD:optional.txt", cwd=project)
    assert shown == "ours, tuned for production\n"


def test_set_changes_an_answer_and_rerenders(cli: Cli, project: Path) -> None:
    result = cli("update", project, "--set", "greeting=hi")

    assert result.exit_code == 0, result.stderr
    assert "Say hi." in (project / "README.md").read_text()
    assert answers_of(project)["greeting"] == "hi"
    assert answers_of(project)["_commit"] == "1.0.0"


def test_set_with_an_invalid_value_changes_nothing(cli: Cli, project: Path) -> None:
    before = snapshot(project)

    result = cli("update", project, "--set", "greeting=yo")

    assert result.exit_code == 2
    assert result.stderr.strip() == (
        "error: invalid answer greeting: 'yo' is not one of hello, hi; "
        "fix it with --set KEY=VALUE or an answers file"
    )
    assert snapshot(project) == before


def test_nothing_to_do_when_current(cli: Cli, project: Path) -> None:
    result = cli("update", project)

    assert result.exit_code == 0
    assert result.stdout.strip() == f"{project} is up to date with template 1.0.0."


def test_a_failing_template_task_leaves_the_tree_exactly_as_it_was(
    cli: Cli, project: Path, template_repo: Path
) -> None:
    (project / "notes.local").write_text("ignored scratch file\n")
    write_tree(project, {".gitignore": "*.local\n"})
    commit_all(project)
    copier_yml = (template_repo / "copier.yml").read_text()
    release(
        template_repo,
        "2.0.0",
        {
            "copier.yml": copier_yml + '_tasks:\n  - "echo half >> README.md && exit 3"\n',
            "project/CONTRIBUTING.md": "Be kind.\n",
        },
    )
    before = snapshot(project)

    result = cli("update", project, "--trust")

    assert result.exit_code == 1
    assert result.stderr.startswith("error: a task of template")
    assert snapshot(project) == before
    assert git("status", "--porcelain", "--ignored", cwd=project) == "!! notes.local\n"


def test_untrusted_template_tasks_need_trust(cli: Cli, project: Path, template_repo: Path) -> None:
    copier_yml = (template_repo / "copier.yml").read_text()
    release(template_repo, "2.0.0", {"copier.yml": copier_yml + "_tasks:\n  - touch pwned\n"})
    before = snapshot(project)

    result = cli("update", project)

    assert result.exit_code == 1
    assert result.stderr.strip().endswith("pass --trust if you trust this template")
    assert snapshot(project) == before


def test_an_interrupted_apply_restores_every_file(
    cli: Cli, project: Path, template_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    release(
        template_repo,
        "2.0.0",
        {"project/CONTRIBUTING.md": "Be kind.\n", "project/config.toml": "[service]\nport = 1\n"},
    )
    before = snapshot(project)
    copies = []
    real_copy = shutil.copy2

    def copy_then_interrupt(src: Path, dst: Path, **kwargs: bool) -> object:
        copies.append(dst)
        if len(copies) == 2:
            raise KeyboardInterrupt
        return real_copy(src, dst, **kwargs)

    monkeypatch.setattr(shutil, "copy2", copy_then_interrupt)

    result = cli("update", project)

    assert result.exit_code == 130
    assert "interrupted" in result.stderr
    assert snapshot(project) == before
    assert git("status", "--porcelain", cwd=project) == ""


def test_a_second_update_at_once_is_refused(cli: Cli, project: Path, template_repo: Path) -> None:
    release(template_repo, "2.0.0", {"project/CONTRIBUTING.md": "Be kind.\n"})
    lock = project / ".git" / "chassis-update.lock"
    held = os.open(lock, os.O_CREAT | os.O_RDWR)
    fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)  # as a running update holds it
    try:
        result = cli("update", project)
    finally:
        os.close(held)

    assert result.exit_code == 1
    assert result.stderr.strip() == (
        f"error: another chassis update is running in {project}; "
        "wait for it to finish, then run the update again"
    )
    assert answers_of(project)["_commit"] == "1.0.0"


def test_update_to_a_chosen_version(cli: Cli, project: Path, template_repo: Path) -> None:
    release(template_repo, "1.1.0", {"project/CONTRIBUTING.md": "v1.1\n"})
    release(template_repo, "2.0.0", {"project/CONTRIBUTING.md": "v2\n"})

    assert cli("update", project, "--to", "1.1.0").exit_code == 0
    assert (project / "CONTRIBUTING.md").read_text() == "v1.1\n"

    unknown = cli("update", project, "--to", "9.9.9")
    assert unknown.exit_code == 2
    assert unknown.stderr.strip() == (
        f"error: template version '9.9.9' does not exist in {template_repo}; "
        "choose one of: 1.0.0, 1.1.0, 2.0.0"
    )


def test_an_unknown_version_of_a_long_history_names_its_range(
    cli: Cli, project: Path, template_repo: Path
) -> None:
    """A real template has dozens of releases: the error says which exist, not only the
    newest eight."""
    for minor in range(1, 40):
        git("tag", f"1.{minor}.0", cwd=template_repo)

    unknown = cli("update", project, "--to", "0.9.0")

    assert unknown.exit_code == 2
    assert unknown.stderr.strip() == (
        f"error: template version '0.9.0' does not exist in {template_repo}; choose one of "
        "the 40 versions from 1.0.0 to 1.39.0 (the newest: 1.37.0, 1.38.0, 1.39.0)"
    )


def test_a_project_in_a_subdirectory_of_a_repository(
    cli: Cli, template_repo: Path, tmp_path: Path
) -> None:
    mono = tmp_path / "mono"
    (mono / "services").mkdir(parents=True)
    git("init", "--quiet", cwd=mono)
    write_tree(mono, {"other/keep.txt": "another team's code\n"})
    api = mono / "services" / "api"
    created = cli("new", api, "--template", template_repo, "--defaults", "--no-git")
    assert created.exit_code == 0, created.stderr
    assert not (api / ".git").exists()
    commit_all(mono, "monorepo")
    release(template_repo, "2.0.0", {"project/CONTRIBUTING.md": "Be kind.\n"})

    result = cli("update", api)

    assert result.exit_code == 0, result.stderr
    assert (api / "CONTRIBUTING.md").read_text() == "Be kind.\n"
    assert not (mono / "CONTRIBUTING.md").exists()
    assert (mono / "other/keep.txt").read_text() == "another team's code\n"


def test_a_lock_left_by_a_killed_run_is_taken_over(
    cli: Cli, project: Path, template_repo: Path
) -> None:
    release(template_repo, "2.0.0", {"project/CONTRIBUTING.md": "Be kind.\n"})
    lock = project / ".git" / "chassis-update.lock"
    # A run killed while holding the lock: SIGKILL leaves its file behind.
    argv = [sys.executable, "-c", HOLD_LOCK, str(lock)]
    with subprocess.Popen(argv, stdout=subprocess.PIPE, text=True) as holder:
        assert holder.stdout is not None
        assert holder.stdout.readline() == "locked\n"
        assert cli("update", project).exit_code == 1  # refused while it lives
        holder.kill()
    assert lock.exists()

    result = cli("update", project)

    assert result.exit_code == 0, result.stderr
    assert answers_of(project)["_commit"] == "2.0.0"
    assert not update_locked(project)  # released, though the file stays


HOLD_LOCK = """
import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_CREAT | os.O_RDWR)
fcntl.flock(fd, fcntl.LOCK_EX)
print("locked", flush=True)
time.sleep(600)
"""


def test_setting_an_answer_to_its_current_value_changes_nothing(cli: Cli, project: Path) -> None:
    result = cli("update", project, "--set", "greeting=hello")

    assert result.exit_code == 0
    assert result.stdout.strip() == f"{project} is up to date with template 1.0.0."


def test_a_staged_rename_is_named_once_by_its_new_path(cli: Cli, project: Path) -> None:
    git("mv", "README.md", "NOTES.md", cwd=project)

    result = cli("update", project)

    assert result.exit_code == 1
    assert f"error: {project} has uncommitted changes (NOTES.md);" in result.stderr


def test_an_update_that_cannot_relock_says_so_and_keeps_the_merge(
    cli: Cli, tmp_path: Path, template_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A new dependency with uv unable to lock (offline, nothing cached): the update
    still lands, uv.lock stays as the team had it, and a note says to run `uv lock`."""
    pyproject = '[project]\nname = "proj"\nversion = "0.1.0"\ndependencies = [{deps}]\n'
    release(template_repo, "1.1.0", {"project/pyproject.toml": pyproject.format(deps="")})
    assert cli("new", "proj", "--template", template_repo, "--defaults", "--no-lock").exit_code == 0
    project = Path("proj").resolve()
    (project / "uv.lock").write_text("# the team's lock file\n")
    commit_all(project, "lock")
    release(template_repo, "1.2.0", {"project/pyproject.toml": pyproject.format(deps='"attrs"')})
    monkeypatch.setenv("UV_OFFLINE", "1")
    monkeypatch.setenv("UV_CACHE_DIR", str(tmp_path / "empty-uv-cache"))

    result = cli("update", project, "--json")

    assert result.exit_code == 0, result.stderr
    notes = json.loads(result.stdout)["notes"]
    assert len(notes) == 1
    assert notes[0].startswith("dependencies are not locked yet (")
    assert "run `uv lock` in the project" in notes[0]
    assert '"attrs"' in (project / "pyproject.toml").read_text()
    assert (project / "uv.lock").read_text() == "# the team's lock file\n"


def test_plan_and_update_report_the_same_lines(
    cli: Cli, project: Path, template_repo: Path
) -> None:
    write_tree(
        project, {"optional.txt": None, "config.toml": "[service]\nport = 9000\ntimeout = 5\n"}
    )
    commit_all(project)
    release(
        template_repo,
        "2.0.0",
        {
            "project/CONTRIBUTING.md": "Be kind.\n",
            "project/optional.txt": "improved\n",
            "project/config.toml": "[service]\nport = 8080\ntimeout = 5\n",
        },
    )

    planned = cli("update", project, "--plan")
    plan_json = cli("update", project, "--plan", "--json")
    done = cli("update", project)

    assert (planned.exit_code, plan_json.exit_code, done.exit_code) == (4, 4, 4)
    assert json.loads(plan_json.stdout)["conflicts"] == ["config.toml"]
    lines = planned.stdout.splitlines()
    assert lines[0].startswith("Would update ")
    assert done.stdout.splitlines()[0] == "Updated" + lines[0].removeprefix("Would update")
    files = [line for line in lines if line.startswith("  ")]
    assert files == [line for line in done.stdout.splitlines() if line.startswith("  ")]
    assert any("kept deleted (you deleted it)" in line and "optional.txt" in line for line in files)
    assert "1 file(s) would have conflicts" in planned.stdout
    assert not (project / "optional.txt").exists()  # kept deleted, not restored


def test_check_names_conflicts_an_earlier_update_left_with_exit_5(
    cli: Cli, project: Path, template_repo: Path
) -> None:
    write_tree(project, {"config.toml": "[service]\nport = 9000\ntimeout = 5\n"})
    commit_all(project)
    release(
        template_repo, "2.0.0", {"project/config.toml": "[service]\nport = 8080\ntimeout = 5\n"}
    )
    assert cli("update", project).exit_code == 4
    (project / "src").mkdir(exist_ok=True)
    (project / "src/left.py.rej").write_text("@@ a hunk\n")  # untracked counts too
    (project / ".gitignore").write_text("ignored.txt\n")
    (project / "ignored.txt").write_text("<<<<<<< not ours to report\n")

    text = cli("check", project)
    report = cli("check", project, "--json")

    assert text.exit_code == report.exit_code == 5
    assert "Unresolved conflicts from an earlier update in config.toml, src/left.py.rej" in (
        " ".join(text.stdout.split())
    )
    assert "Up to date" in text.stdout  # the version check still says its part
    assert json.loads(report.stdout)["unresolved"] == ["config.toml", "src/left.py.rej"]

    (project / "config.toml").write_text("[service]\nport = 9000\ntimeout = 5\n")
    (project / "src/left.py.rej").unlink()
    assert cli("check", project).exit_code == 0


def test_check_and_update_find_the_project_from_a_subfolder(
    cli: Cli, project: Path, template_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    nested = project / "deep" / "er"
    nested.mkdir(parents=True)
    release(template_repo, "2.0.0", {"project/CONTRIBUTING.md": "Be kind.\n"})
    monkeypatch.chdir(nested)

    checked = cli("check", "--json")
    assert checked.exit_code == 3, checked.stderr
    assert json.loads(checked.stdout)["path"] == str(project)
    assert cli("check", nested).exit_code == 3  # a path given is searched upward too

    result = cli("update")
    assert result.exit_code == 0, result.stderr
    assert (project / "CONTRIBUTING.md").read_text() == "Be kind.\n"
    assert answers_of(project)["_commit"] == "2.0.0"


def test_discovery_stops_at_the_git_root(cli: Cli, tmp_path: Path) -> None:
    outer = tmp_path / "outer"
    (outer / "inner" / "sub").mkdir(parents=True)
    (outer / ".copier-answers.yml").write_text("_src_path: x\n_commit: 1.0.0\n")
    git("init", "--quiet", cwd=outer / "inner")

    result = cli("check", outer / "inner" / "sub")

    assert result.exit_code == 1
    assert "has no .copier-answers.yml" in result.stderr
