"""The bundled template: its versioned history, built from the recorded releases, and
updates through it."""

from __future__ import annotations

import json
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


def record_release(repo: Path, version: str) -> str:
    """Commit the working tree as release ``version`` and record it, as
    docs/releasing.md says: the release commit, then its line in templates/RELEASES."""
    commit_all(repo, f"Release {version}")
    commit = git("rev-parse", "HEAD", cwd=repo).strip()
    releases = repo / _bundle.RELEASES_FILE
    recorded = releases.read_text() if releases.exists() else "# VERSION COMMIT\n"
    releases.write_text(f"{recorded}{version} {commit}\n")
    commit_all(repo, f"Record release {version}")
    return commit


@pytest.fixture
def chassis_repo(tmp_path: Path) -> Path:
    """A repository shaped like chassis's own, with the template released as 0.1.0."""
    repo = tmp_path / "chassis-src"
    repo.mkdir()
    git("init", "--quiet", cwd=repo)
    write_tree(repo, {"README.md": "chassis\n", **_to_chassis_layout(TINY_V1)})
    record_release(repo, "0.1.0")
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


def test_recorded_releases_become_versions_and_the_working_tree_a_dev_version(
    chassis_repo: Path, tmp_path: Path
) -> None:
    readme = "templates/service/project/README.md.jinja"
    write_tree(chassis_repo, {readme: "# {{ project_name }}\n\nv2\n"})
    record_release(chassis_repo, "0.2.0")
    git("tag", "v9.0.0", cwd=chassis_repo)  # a tag is not a release

    clean = _bundle.build_bundle(chassis_repo, version="0.2.0", out=tmp_path / "a.bundle")
    (chassis_repo / readme).write_text("# {{ project_name }}\n\nwork in progress\n")
    edited = _bundle.build_bundle(chassis_repo, version="0.2.0", out=tmp_path / "b.bundle")
    upcoming = _bundle.build_bundle(chassis_repo, version="0.3.0.dev0", out=tmp_path / "c.bundle")

    assert clean == ["0.1.0", "0.2.0"]
    assert edited == ["0.1.0", "0.2.0", "0.2.0.post0.dev0"]
    assert upcoming == ["0.1.0", "0.2.0", "0.3.0.dev0"]
    assert "refs/tags/0.3.0.dev0" in _tags(tmp_path / "c.bundle")
    assert "9.0.0" not in _tags(tmp_path / "c.bundle")


def test_a_tagless_clone_builds_the_same_commits(chassis_repo: Path, tmp_path: Path) -> None:
    """Tags do not travel with every clone; the recorded releases do, and give the same
    commit for every version on every machine."""
    git("tag", "v0.1.0", cwd=chassis_repo)
    elsewhere = tmp_path / "elsewhere"
    git("clone", "--quiet", "--no-tags", f"file://{chassis_repo}", str(elsewhere), cwd=tmp_path)
    assert git("tag", cwd=elsewhere) == ""

    _bundle.build_bundle(chassis_repo, version="0.2.0.dev0", out=tmp_path / "here.bundle")
    _bundle.build_bundle(elsewhere, version="0.2.0.dev0", out=tmp_path / "there.bundle")

    assert _tags(tmp_path / "here.bundle") == _tags(tmp_path / "there.bundle")
    assert "refs/tags/0.1.0" in _tags(tmp_path / "here.bundle")


def test_a_version_keeps_its_commit_once_it_is_recorded(tmp_path: Path) -> None:
    """What a release build ships as the working tree is, commit for commit, what every
    later build replays: a project generated from it updates through either."""
    repo = tmp_path / "chassis-src"
    repo.mkdir()
    git("init", "--quiet", cwd=repo)
    write_tree(repo, {"README.md": "chassis\n", **_to_chassis_layout(TINY_V1)})
    _bundle.build_bundle(repo, version="0.1.0", out=tmp_path / "at-release.bundle")
    record_release(repo, "0.1.0")
    write_tree(repo, {"templates/service/project/CHANGELOG.md": "# Changelog\n"})

    _bundle.build_bundle(repo, version="0.2.0.dev0", out=tmp_path / "later.bundle")

    at_release = _tags(tmp_path / "at-release.bundle").splitlines()
    assert len(at_release) == 1
    assert at_release[0] in _tags(tmp_path / "later.bundle").splitlines()


def test_a_clone_without_a_recorded_release_fails_the_build(
    chassis_repo: Path, tmp_path: Path
) -> None:
    first = git("rev-parse", "HEAD~1", cwd=chassis_repo).strip()
    write_tree(chassis_repo, {"templates/service/project/CHANGELOG.md": "# Changelog\n"})
    record_release(chassis_repo, "0.2.0")
    shallow = tmp_path / "shallow"
    git("clone", "--quiet", "--depth=1", f"file://{chassis_repo}", str(shallow), cwd=tmp_path)
    out = tmp_path / "partial.bundle"

    with pytest.raises(_bundle.ReleaseHistoryError) as refused:
        _bundle.build_bundle(shallow, version="0.3.0.dev0", out=out)

    assert str(refused.value) == (
        f"release 0.1.0 is recorded at commit {first}, which this clone does not have; "
        "fetch the full history (`git fetch --unshallow`, or clone without --depth) and "
        "build again"
    )
    assert not out.exists()
    git("fetch", "--quiet", "--unshallow", cwd=shallow)
    assert _bundle.build_bundle(shallow, version="0.3.0.dev0", out=out) == ["0.1.0", "0.2.0"]


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("0.1 abc", "templates/RELEASES line 3 is not `VERSION COMMIT`"),
        ("v0.2.0 " + "a" * 40, "templates/RELEASES line 3 is not `VERSION COMMIT`"),
        ("0.0.9 " + "a" * 40, "templates/RELEASES line 3: 0.0.9 is not newer than 0.1.0"),
    ],
)
def test_a_malformed_release_record_is_refused(
    chassis_repo: Path, tmp_path: Path, line: str, problem: str
) -> None:
    releases = chassis_repo / _bundle.RELEASES_FILE
    releases.write_text(releases.read_text() + line + "\n")

    with pytest.raises(_bundle.ReleaseHistoryError) as refused:
        _bundle.build_bundle(chassis_repo, version="0.2.0.dev0", out=tmp_path / "x.bundle")

    assert refused.value.problem == problem


def test_a_development_version_older_than_a_release_is_refused(
    chassis_repo: Path, tmp_path: Path
) -> None:
    write_tree(chassis_repo, {"templates/service/project/CHANGELOG.md": "# Changelog\n"})

    with pytest.raises(_bundle.ReleaseHistoryError) as refused:
        _bundle.build_bundle(chassis_repo, version="0.1.0.dev0", out=tmp_path / "x.bundle")

    assert str(refused.value) == (
        "chassis 0.1.0.dev0 is not newer than the last recorded release 0.1.0; "
        "set __version__ in src/chassis/__init__.py to the next version"
    )


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


def test_plain_copier_update_works_after_chassis_template_export(
    cli: Cli, chassis_repo: Path, bundled_from: Callable[[Path, str], None]
) -> None:
    """A colleague's machine: the project records the bundle's path, but nothing put the
    bundle there. Copier fails; after the one documented command, it updates."""
    bundled_from(chassis_repo, "0.2.0")
    assert cli("new", "proj", "--defaults").exit_code == 0
    write_tree(chassis_repo, {"templates/service/project/CHANGELOG.md": "# Changelog\n"})
    record_release(chassis_repo, "0.2.0")
    bundle = Path(sources.BUNDLED_SRC).expanduser()
    bundle.unlink()
    copier = [str(Path(sys.executable).with_name("copier")), "update", "--defaults"]

    def copier_update() -> subprocess.CompletedProcess[str]:
        return subprocess.run(copier, cwd="proj", capture_output=True, text=True, check=False)

    assert copier_update().returncode != 0
    assert git("status", "--porcelain", cwd=Path("proj")) == ""

    exported = cli("template", "export")

    assert exported.exit_code == 0, exported.stderr
    assert exported.stdout == (
        "Wrote the chassis template (0.1.0, 0.2.0) to ~/.cache/chassis/templates/"
        "service.bundle, the path its projects record.\n"
        "Plain `copier update` can now update chassis projects on this machine.\n"
    )
    assert bundle.is_file()
    done = copier_update()
    assert done.returncode == 0, done.stderr
    assert answers_of(Path("proj"))["_commit"] == "0.2.0"
    assert Path("proj/CHANGELOG.md").read_text() == "# Changelog\n"


def test_template_export_as_json(
    cli: Cli, chassis_repo: Path, bundled_from: Callable[[Path, str], None]
) -> None:
    bundled_from(chassis_repo, "0.2.0.dev0")
    write_tree(chassis_repo, {"templates/service/project/CHANGELOG.md": "# Changelog\n"})

    exported = cli("template", "export", "--json")

    assert exported.exit_code == 0, exported.stderr
    assert json.loads(exported.stdout) == {
        "path": "~/.cache/chassis/templates/service.bundle",
        "file": str(Path.home() / ".cache/chassis/templates/service.bundle"),
        "versions": ["0.1.0", "0.2.0.dev0"],
    }


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


def test_a_development_checkout_without_a_release_says_what_to_fetch(
    cli: Cli, chassis_repo: Path, tmp_path: Path, bundled_from: Callable[[Path, str], None]
) -> None:
    write_tree(chassis_repo, {"templates/service/project/CHANGELOG.md": "# Changelog\n"})
    record_release(chassis_repo, "0.2.0")
    shallow = tmp_path / "shallow"
    git("clone", "--quiet", "--depth=1", f"file://{chassis_repo}", str(shallow), cwd=tmp_path)
    bundled_from(shallow, "0.3.0.dev0")

    result = cli("new", "svc", "--defaults")

    assert result.exit_code == 1
    assert result.stderr.startswith(
        "error: cannot build the bundled template: release 0.1.0 is recorded at commit "
    )
    assert result.stderr.strip().endswith(
        "fetch the full history (`git fetch --unshallow`, or clone without --depth) and build again"
    )
    assert list(Path.cwd().iterdir()) == []
