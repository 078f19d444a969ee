"""A template that names its own answers file (`_answers_file`), as Copier allows: its
projects are found, checked and updated like any other. chassis used to say such a
project "has no .copier-answers.yml, so chassis did not generate it"."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from conftest import TINY_COPIER_YML, Result, commit_all, release, snapshot

Cli = Callable[..., Result]
NAMED = TINY_COPIER_YML.replace(
    "_answers_file: .copier-answers.yml", "_answers_file: .copier-answers.acme.yml"
)


def _project(cli: Cli, template_repo: Path, name: str) -> Path:
    """A project of the template's 1.1.0, which names its answers file, with an edit."""
    if (
        "1.1.0"
        not in subprocess.run(
            ["git", "tag"], cwd=template_repo, capture_output=True, text=True, check=True
        ).stdout.split()
    ):
        assert NAMED != TINY_COPIER_YML
        release(template_repo, "1.1.0", {"copier.yml": NAMED})
    made = cli("new", name, "--template", template_repo, "--defaults")
    assert made.exit_code == 0, made.stderr
    project = Path(name).resolve()
    assert (project / ".copier-answers.acme.yml").is_file()
    assert not (project / ".copier-answers.yml").exists()
    readme = project / "README.md"
    readme.write_text(readme.read_text() + "\nOur notes.\n")
    commit_all(project, "the team's notes")
    return project


def test_a_project_with_the_template_s_own_answers_file_updates(
    cli: Cli, template_repo: Path
) -> None:
    project = _project(cli, template_repo, "proj")
    release(template_repo, "2.0.0", {"project/CONTRIBUTING.md": "Be kind.\n"})

    checked = cli("check", project)
    updated = cli("update", project)

    assert checked.exit_code == 3, checked.stderr
    assert updated.exit_code == 0, updated.stderr
    assert "_commit: 2.0.0" in (project / ".copier-answers.acme.yml").read_text()
    assert (project / "CONTRIBUTING.md").read_text() == "Be kind.\n"
    assert "Our notes." in (project / "README.md").read_text()
    assert not (project / ".copier-answers.yml").exists()


def test_copier_update_with_a_file_leaves_the_same_tree(cli: Cli, template_repo: Path) -> None:
    """What the test above holds chassis to: `copier update -a` on the same project."""
    Path("a").mkdir()
    Path("b").mkdir()
    by_chassis = _project(cli, template_repo, "a/proj")  # one name: one project_name
    by_copier = _project(cli, template_repo, "b/proj")
    release(template_repo, "2.0.0", {"project/CONTRIBUTING.md": "Be kind.\n"})
    copier = Path(sys.executable).with_name("copier")

    assert cli("update", by_chassis).exit_code == 0
    subprocess.run(
        [str(copier), "update", "--defaults", "-a", ".copier-answers.acme.yml", str(by_copier)],
        capture_output=True,
        check=True,
    )

    assert snapshot(by_chassis) == snapshot(by_copier)
