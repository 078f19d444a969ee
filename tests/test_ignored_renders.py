"""Files a template renders that the project's git ignores: `copier update` writes the
new render into the project, having no history to merge them with. chassis merged in a
clone that has no ignored files and copied back what git saw, so such a file kept its
first version forever (a real template's `.initialize_new_project.sh`, for one)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from conftest import TINY_V1, Result, git, release, snapshot

Cli = Callable[..., Result]


def _project(cli: Cli, template_repo: Path, where: str = "proj") -> Path:
    release(
        template_repo,
        "1.1.0",
        # .jinja: a plain .gitignore would keep the file out of the template repository too.
        {"project/.gitignore.jinja": "setup.local.sh\n", "project/setup.local.sh": "echo v1\n"},
    )
    Path(where).parent.mkdir(parents=True, exist_ok=True)
    made = cli("new", where, "--template", template_repo, "--defaults")
    assert made.exit_code == 0, made.stderr
    project = Path(where).resolve()
    assert (project / "setup.local.sh").read_text() == "echo v1\n"
    assert "setup.local.sh" not in git("ls-files", cwd=project)
    return project


def test_an_ignored_file_the_template_renders_is_updated(cli: Cli, template_repo: Path) -> None:
    project = _project(cli, template_repo)
    release(template_repo, "2.0.0", {"project/setup.local.sh": "echo v2\n"})

    updated = cli("update", project, "--json")

    assert updated.exit_code == 0, updated.stderr
    assert (project / "setup.local.sh").read_text() == "echo v2\n"
    files = json.loads(updated.stdout)["files"]
    assert {"path": "setup.local.sh", "status": "updated", "detail": "ignored by git"} in files


def test_an_ignored_file_missing_from_a_fresh_clone_comes_back(
    cli: Cli, template_repo: Path
) -> None:
    project = _project(cli, template_repo)
    (project / "setup.local.sh").unlink()
    release(template_repo, "2.0.0", {"project/setup.local.sh": "echo v2\n"})

    assert cli("update", project).exit_code == 0
    assert (project / "setup.local.sh").read_text() == "echo v2\n"


def test_copier_update_leaves_the_same_tree(cli: Cli, template_repo: Path) -> None:
    """What the tests above hold chassis to: `copier update` on a twin project."""
    by_chassis = _project(cli, template_repo, "a/proj")
    by_copier = Path("b/proj").resolve()
    by_copier.parent.mkdir()
    subprocess.run(["cp", "-a", str(by_chassis), str(by_copier.parent)], check=True)
    release(template_repo, "2.0.0", {"project/setup.local.sh": "echo v2\n", "project/N": "n\n"})
    copier = Path(sys.executable).with_name("copier")

    assert cli("update", by_chassis).exit_code == 0
    done = subprocess.run(
        [str(copier), "update", "--defaults", "--skip-answered", str(by_copier)],
        capture_output=True,
        text=True,
        check=False,
    )

    assert done.returncode == 0, done.stderr

    assert snapshot(by_chassis) == snapshot(by_copier)


def test_a_failed_update_puts_the_team_s_ignored_file_back(cli: Cli, template_repo: Path) -> None:
    project = _project(cli, template_repo)
    (project / "setup.local.sh").write_text("echo ours\n")
    copier_yml = TINY_V1["copier.yml"] + '_tasks:\n  - "exit 3"\n'
    release(
        template_repo, "2.0.0", {"copier.yml": copier_yml, "project/setup.local.sh": "echo v2\n"}
    )
    before = snapshot(project)

    updated = cli("update", project, "--trust")

    assert updated.exit_code == 1
    assert snapshot(project) == before
