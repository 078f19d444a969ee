"""The bundled template: its versioned history, built from release tags, and updates through it."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import TINY_V1, Result, answers_of, commit_all, git, write_tree

from chassis import _bundle, sources

Cli = Callable[..., Result]


def _to_chassis_layout(files: dict[str, str]) -> dict[str, str | None]:
    return {f"templates/service/{name}": content for name, content in files.items()}


@pytest.fixture
def chassis_repo(tmp_path: Path) -> Path:
    """A repository shaped like chassis's own, with the template released as v0.1.0."""
    repo = tmp_path / "chassis-src"
    repo.mkdir()
    git("init", "--quiet", cwd=repo)
    write_tree(repo, {"README.md": "chassis\n", **_to_chassis_layout(TINY_V1)})
    commit_all(repo, "release 0.1.0")
    git("tag", "v0.1.0", cwd=repo)
    return repo


@pytest.fixture
def bundled_from(monkeypatch: pytest.MonkeyPatch) -> Callable[[Path, str], None]:
    """Make chassis ship the template of ``repo`` as version ``version`` is developed."""

    def use(repo: Path, version: str) -> None:
        monkeypatch.setattr(sources, "_source_checkout", lambda: repo)
        monkeypatch.setattr(sources, "__version__", version)

    return use


def _tags(bundle: Path) -> str:
    return git("ls-remote", "--tags", str(bundle), cwd=bundle.parent)


def test_release_tags_become_versions_and_the_working_tree_a_dev_version(
    chassis_repo: Path, tmp_path: Path
) -> None:
    readme = "templates/service/project/README.md.jinja"
    write_tree(chassis_repo, {readme: "# {{ project_name }}\n\nv2\n"})
    commit_all(chassis_repo, "release 0.2.0")
    git("tag", "v0.2.0", cwd=chassis_repo)
    git("tag", "not-a-release", cwd=chassis_repo)

    clean = _bundle.build_bundle(chassis_repo, version="0.2.0", out=tmp_path / "a.bundle")
    (chassis_repo / readme).write_text("# {{ project_name }}\n\nwork in progress\n")
    edited = _bundle.build_bundle(chassis_repo, version="0.2.0", out=tmp_path / "b.bundle")
    upcoming = _bundle.build_bundle(chassis_repo, version="0.3.0", out=tmp_path / "c.bundle")

    assert clean == ["0.1.0", "0.2.0"]
    assert edited == ["0.1.0", "0.2.0", "0.2.0.post0.dev0"]
    assert upcoming == ["0.1.0", "0.2.0", "0.3.0"]


def test_the_same_releases_give_the_same_commits_on_another_machine(
    chassis_repo: Path, tmp_path: Path
) -> None:
    elsewhere = tmp_path / "elsewhere"
    git("clone", "--quiet", str(chassis_repo), str(elsewhere), cwd=tmp_path)

    _bundle.build_bundle(chassis_repo, version="0.1.0", out=tmp_path / "here.bundle")
    _bundle.build_bundle(elsewhere, version="0.1.0", out=tmp_path / "there.bundle")

    assert _tags(tmp_path / "here.bundle") == _tags(tmp_path / "there.bundle")
    assert "refs/tags/0.1.0" in _tags(tmp_path / "here.bundle")


def test_a_repository_without_the_template_is_refused(tmp_path: Path) -> None:
    git("init", "--quiet", cwd=tmp_path)
    write_tree(tmp_path, {"README.md": "x\n"})
    commit_all(tmp_path)

    with pytest.raises(FileNotFoundError, match="no template found"):
        _bundle.build_bundle(tmp_path, version="0.1.0", out=tmp_path / "x.bundle")


def test_projects_record_the_fixed_bundle_path_and_update_through_it(
    cli: Cli, chassis_repo: Path, bundled_from: Callable[[Path, str], None]
) -> None:
    bundled_from(chassis_repo, "0.2.0")
    assert cli("new", "proj", "--defaults").exit_code == 0
    project = Path("proj").resolve()
    assert answers_of(project)["_src_path"] == "~/.cache/chassis/templates/service.bundle"
    assert answers_of(project)["_commit"] == "0.1.0"
    assert (Path.home() / ".cache/chassis/templates/service.bundle").is_file()

    write_tree(project, {"README.md": (project / "README.md").read_text() + "\nTeam notes.\n"})
    commit_all(project, "team notes")
    # chassis 0.2.0 is developed: its template gains a file.
    write_tree(chassis_repo, {"templates/service/project/CHANGELOG.md": "# Changelog\n"})

    assert cli("check", project).exit_code == 3
    result = cli("update", project)

    assert result.exit_code == 0, result.stderr
    assert answers_of(project)["_commit"] == "0.2.0"
    assert (project / "CHANGELOG.md").read_text() == "# Changelog\n"
    assert (project / "README.md").read_text().endswith("\nTeam notes.\n")
    assert cli("check", project).exit_code == 0


def test_a_project_from_a_newer_chassis_asks_to_upgrade(
    cli: Cli, chassis_repo: Path, bundled_from: Callable[[Path, str], None]
) -> None:
    write_tree(chassis_repo, {"templates/service/project/CHANGELOG.md": "# Changelog\n"})
    bundled_from(chassis_repo, "0.2.0")
    assert cli("new", "proj", "--defaults").exit_code == 0
    # An older chassis, without 0.2.0, now runs on this machine.
    (chassis_repo / "templates/service/project/CHANGELOG.md").unlink()
    bundled_from(chassis_repo, "0.1.0")

    result = cli("check", "proj")

    assert result.exit_code == 1
    assert result.stderr.strip() == (
        "error: the project records template version 0.2.0, which "
        "~/.cache/chassis/templates/service.bundle does not have (it has 0.1.0); "
        "upgrade chassis: this project was generated by a newer version"
    )


def test_plain_copier_update_works_on_a_chassis_project(
    cli: Cli, chassis_repo: Path, bundled_from: Callable[[Path, str], None]
) -> None:
    bundled_from(chassis_repo, "0.2.0")
    assert cli("new", "proj", "--defaults").exit_code == 0
    write_tree(chassis_repo, {"templates/service/project/CHANGELOG.md": "# Changelog\n"})
    commit_all(chassis_repo, "release 0.2.0")
    git("tag", "v0.2.0", cwd=chassis_repo)
    assert cli("check", "proj").exit_code == 3  # copies the new bundle into place

    copier = Path(sys.executable).with_name("copier")
    done = subprocess.run(
        [str(copier), "update", "--defaults", "--skip-answered"],
        cwd="proj",
        capture_output=True,
        text=True,
        check=False,
    )

    assert done.returncode == 0, done.stderr
    assert answers_of(Path("proj"))["_commit"] == "0.2.0"
    assert Path("proj/CHANGELOG.md").read_text() == "# Changelog\n"


def test_an_installation_without_its_template_says_how_to_fix_it(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sources, "_source_checkout", lambda: None)

    result = cli("new", "svc", "--defaults")

    assert result.exit_code == 1
    assert result.stderr.startswith("error: this chassis installation has no bundled template")
    assert result.stderr.strip().endswith("reinstall chassis from a wheel, an sdist or a git clone")
    assert list(Path.cwd().iterdir()) == []


def test_a_development_checkout_keeps_only_its_recent_bundles(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each edit of the template is a new development bundle: the oldest are deleted, and
    the one in use counts as recent."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    builds = tmp_path / "cache" / "chassis" / "dev-builds"
    builds.mkdir(parents=True)
    day = 86_400
    old = [builds / f"{n}.bundle" for n in range(sources.DEV_BUILDS_KEPT + 1)]
    for age, bundle in enumerate(old, start=1):
        bundle.write_text("an earlier template state\n")
        os.utime(bundle, (time.time() - age * day, time.time() - age * day))

    current = sources._shipped_bundle()

    kept = sorted(builds.glob("*.bundle"))
    assert current in kept
    assert len(kept) == sources.DEV_BUILDS_KEPT
    assert set(kept) - {current} == set(old[: sources.DEV_BUILDS_KEPT - 1])  # the newest
    os.utime(current, (time.time() - 30 * day, time.time() - 30 * day))
    assert sources._shipped_bundle() == current
    assert current.stat().st_mtime > time.time() - day  # used again: recent
