"""The built artifacts work on their own, away from this checkout.

`uv build` gives an sdist and a wheel. The wheel, installed with pip into a fresh
virtual environment or with `uv tool install`, is a `chassis` of this version; the
template bundle it carries holds every recorded release (templates/RELEASES) and the
development version. A wheel built from the sdist, which has no git history, carries
the sdist's bundle byte for byte, so it holds the same versions at the same commits.

The pip-installed chassis generates a committed project with the network off, and
brings a project generated from the last recorded release, then edited by its team,
to the development version: `check` says an update exists, `update` merges it and
keeps the team's edits, and `check` then says the project is up to date.

Every chassis here is a real process with its own HOME, git identity and Copier
settings, built from scratch: nothing leaks in from the checkout or the test session.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from conftest import REPO, UV_CACHE
from filelock import FileLock
from packaging.version import Version
from uv import find_uv_bin

from chassis import __version__, _bundle

# Read at import, before any test isolates HOME: the builds and installs below use the
# real environment, and each chassis run gets one of its own made from it.
_ENVIRON = dict(os.environ)
_CHECKOUT_BIN = str(Path(sys.prefix) / "bin")
_WHEEL_BUNDLE = "chassis/_data/service.bundle"
_SDIST_BUNDLE = "templates/service.bundle"
_TIMEOUT = 600  # seconds: installs read the package index


@dataclass(frozen=True)
class Versions:
    """What the bundle may hold: the recorded releases, then the development version
    (absent right after a release, until the template changes)."""

    released: list[str]
    development: str

    def check(self, tags: list[str]) -> None:
        assert tags in ([*self.released], [*self.released, self.development]), (
            f"the bundle holds {tags}: expected the releases {self.released}, then "
            f"at most the development version {self.development}"
        )


@dataclass(frozen=True)
class Artifacts:
    sdist: Path
    wheel: Path


def _environment(**overrides: str) -> dict[str, str]:
    """The real environment without git, Copier and XDG settings, the checkout's virtual
    environment or its tools on PATH; then ``overrides``."""
    env = {
        name: value
        for name, value in _ENVIRON.items()
        if not name.startswith(("GIT_", "COPIER_", "XDG_")) and name != "VIRTUAL_ENV"
    }
    path = [d for d in env.get("PATH", "").split(os.pathsep) if d and d != _CHECKOUT_BIN]
    env["PATH"] = os.pathsep.join(path)
    env["UV_PYTHON_DOWNLOADS"] = "never"
    return {**env, **overrides}


def _user_environment(tmp: Path) -> dict[str, str]:
    """A new user's machine: an empty HOME, a git identity and default Copier settings."""
    home = tmp / "user-home"  # not conftest's HOME: this one is for a real process
    home.mkdir()
    gitconfig = home / ".gitconfig"
    gitconfig.write_text(
        "[user]\n\tname = Test Lead\n\temail = lead@example.com\n[init]\n\tdefaultBranch = main\n"
    )
    settings = home / "copier-settings.yml"
    settings.write_text("{}\n")  # an empty file is not valid Copier settings
    return _environment(
        HOME=str(home),
        GIT_CONFIG_GLOBAL=str(gitconfig),
        GIT_CONFIG_NOSYSTEM="1",
        COPIER_SETTINGS_PATH=str(settings),
    )


def _shown(done: subprocess.CompletedProcess[str]) -> str:
    return (
        f"`{' '.join(map(str, done.args))}` exited {done.returncode}\n"
        f"--- stdout ---\n{done.stdout}--- stderr ---\n{done.stderr}"
    )


def _run(
    *argv: str | Path, cwd: Path, env: dict[str, str], expect: int | None = 0
) -> subprocess.CompletedProcess[str]:
    """Run ``argv``; with ``expect``, fail unless it exits with that code."""
    done = subprocess.run(
        [str(arg) for arg in argv],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=_TIMEOUT,
    )
    if expect is not None:
        assert done.returncode == expect, _shown(done)
    return done


def _heads(bundle: Path) -> str:
    done = _run("git", "bundle", "list-heads", bundle, cwd=bundle.parent, env=_environment())
    return done.stdout


def _tags(heads: str) -> list[str]:
    """The version tags in ``git bundle list-heads`` output, oldest first."""
    refs = [line.split()[1] for line in heads.splitlines() if line.strip()]
    tags = [ref.removeprefix("refs/tags/") for ref in refs if ref.startswith("refs/tags/")]
    return sorted(tags, key=Version)


def _require_development(heads: str, versions: Versions) -> None:
    """Skip, saying why, when the bundle has no development version to update to."""
    if versions.development not in _tags(heads):
        pytest.skip(
            f"templates/service is unchanged since release {versions.released[-1]}: the "
            "bundle offers no later version to update to"
        )


def _extract(data: bytes, to: Path) -> Path:
    to.parent.mkdir(parents=True, exist_ok=True)
    to.write_bytes(data)
    return to


def _wheel_bundle(wheel: Path) -> bytes:
    with zipfile.ZipFile(wheel) as opened:
        return opened.read(_WHEEL_BUNDLE)


def _sdist_bundle(sdist: Path) -> bytes:
    with tarfile.open(sdist) as opened:
        members = [m for m in opened.getmembers() if m.name.split("/", 1)[-1] == _SDIST_BUNDLE]
        assert len(members) == 1, f"{sdist.name} has no single {_SDIST_BUNDLE}"
        (member,) = members
        extracted = opened.extractfile(member)
        assert extracted is not None, f"{member.name} in {sdist.name} is not a file"
        return extracted.read()


def _only(folder: Path, pattern: str) -> Path:
    found = sorted(folder.glob(pattern))
    assert len(found) == 1, f"expected one {pattern} in {folder}, found {found}"
    return found[0]


def _answers(project: Path) -> dict[str, object]:
    data = yaml.safe_load((project / ".copier-answers.yml").read_text())
    assert isinstance(data, dict)
    return data


# --- the artifacts ------------------------------------------------------------------


@pytest.fixture(scope="session")
def versions() -> Versions:
    """The versions the bundle must hold, from templates/RELEASES and __version__."""
    try:
        released = [release.version for release in _bundle.read_releases(REPO)]
        development = _bundle.dev_version(__version__, released)
    except _bundle.ReleaseHistoryError as error:
        pytest.fail(str(error))
    if not released:
        pytest.fail(f"{_bundle.RELEASES_FILE} records no release: nothing to update from")
    return Versions(released, development)


@contextmanager
def _once(tmp_path_factory: pytest.TempPathFactory, name: str) -> Iterator[tuple[Path, bool]]:
    """A folder shared by every pytest-xdist worker of this run, and whether it is still
    to be made: the first worker makes it while the others wait."""
    shared = tmp_path_factory.getbasetemp().parent / f"release-{name}"
    with FileLock(f"{shared}.lock"):
        done = shared / ".done"
        yield shared, not done.exists()
        shared.mkdir(exist_ok=True)
        done.touch()


@pytest.fixture(scope="session")
def artifacts(tmp_path_factory: pytest.TempPathFactory) -> Artifacts:
    """An sdist and a wheel of this checkout, built once per run."""
    with _once(tmp_path_factory, "dist") as (out, todo):
        if todo:
            env = _environment(UV_CACHE_DIR=str(UV_CACHE))
            uv = find_uv_bin()
            _run(uv, "build", "--sdist", "--wheel", "--out-dir", out, cwd=REPO, env=env)
    return Artifacts(_only(out, "*.tar.gz"), _only(out, "*.whl"))


@pytest.fixture(scope="session")
def wheel_from_sdist(artifacts: Artifacts, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A wheel built from the sdist alone, as a user without a git clone builds one."""
    with _once(tmp_path_factory, "dist-from-sdist") as (out, todo):
        if todo:
            env = _environment(UV_CACHE_DIR=str(UV_CACHE))
            uv = find_uv_bin()
            _run(uv, "build", "--wheel", artifacts.sdist, "--out-dir", out, cwd=REPO, env=env)
    return _only(out, "*.whl")


@pytest.fixture(scope="session")
def pip_venv(artifacts: Artifacts, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtual environment with the wheel installed by pip, dependencies from the
    package index."""
    with _once(tmp_path_factory, "pip") as (folder, todo):
        venv = folder / "venv"
        if todo:
            env = _environment()
            folder.mkdir(exist_ok=True)
            _run(sys.executable, "-m", "venv", venv, cwd=folder, env=env)
            _run(venv / "bin" / "pip", "install", "--quiet", artifacts.wheel, cwd=folder, env=env)
    return venv


@pytest.mark.slow
def test_the_pip_installed_wheel_is_this_version(pip_venv: Path, tmp_path: Path) -> None:
    done = _run(pip_venv / "bin" / "chassis", "--version", cwd=tmp_path, env=_environment())

    assert done.stdout == f"chassis {__version__}\n", _shown(done)


@pytest.mark.slow
def test_the_uv_tool_installed_wheel_is_this_version(artifacts: Artifacts, tmp_path: Path) -> None:
    env = _environment(
        UV_TOOL_DIR=str(tmp_path / "tools"),
        UV_TOOL_BIN_DIR=str(tmp_path / "bin"),
        UV_CACHE_DIR=str(UV_CACHE),
    )
    uv = find_uv_bin()
    _run(uv, "tool", "install", "--python", sys.executable, artifacts.wheel, cwd=tmp_path, env=env)

    done = _run(tmp_path / "bin" / "chassis", "--version", cwd=tmp_path, env=env)

    assert done.stdout == f"chassis {__version__}\n", _shown(done)


@pytest.mark.slow
def test_the_installed_bundle_holds_every_release_and_the_development_version(
    pip_venv: Path, versions: Versions, tmp_path: Path
) -> None:
    where = "import pathlib, chassis; print(pathlib.Path(chassis.__file__).parent)"
    package = Path(
        _run(
            pip_venv / "bin" / "python", "-c", where, cwd=tmp_path, env=_environment()
        ).stdout.strip()
    )
    assert package.is_relative_to(pip_venv), f"chassis imported from {package}, not the venv"
    bundle = package / "_data" / "service.bundle"
    assert bundle.is_file(), f"the installed wheel has no {_WHEEL_BUNDLE}"

    versions.check(_tags(_heads(bundle)))


@pytest.mark.slow
def test_a_wheel_built_from_the_sdist_carries_the_sdist_s_bundle(
    artifacts: Artifacts, wheel_from_sdist: Path, versions: Versions, tmp_path: Path
) -> None:
    """The sdist has no git history: its wheel reuses the bundle it ships, byte for
    byte, and holds the same versions at the same commits as the checkout's wheel."""
    shipped = _sdist_bundle(artifacts.sdist)
    rebuilt = _wheel_bundle(wheel_from_sdist)
    assert rebuilt == shipped, (
        f"{_WHEEL_BUNDLE} in the wheel built from the sdist differs from the sdist's "
        f"{_SDIST_BUNDLE} ({len(rebuilt)} and {len(shipped)} bytes)"
    )

    from_sdist = _heads(_extract(rebuilt, tmp_path / "from-sdist" / "service.bundle"))
    from_checkout = _heads(
        _extract(_wheel_bundle(artifacts.wheel), tmp_path / "from-checkout" / "service.bundle")
    )

    assert from_sdist == from_checkout
    versions.check(_tags(from_sdist))


@pytest.mark.slow
def test_the_sdist_carries_what_its_own_tests_and_build_need(artifacts: Artifacts) -> None:
    with tarfile.open(artifacts.sdist) as opened:
        names = {member.name.split("/", 1)[-1] for member in opened.getmembers()}

    needed = {"templates/RELEASES", _SDIST_BUNDLE, "bench/_harness.py", "uv.lock", "LICENSE"}
    assert needed <= names, f"missing from {artifacts.sdist.name}: {sorted(needed - names)}"


@pytest.mark.slow
def test_a_tagless_clone_builds_every_recorded_release(versions: Versions, tmp_path: Path) -> None:
    """CI checkouts and mirrors may carry no tags: the releases are data, not tags."""
    env = _environment(UV_CACHE_DIR=str(UV_CACHE))
    clone = tmp_path / "clone"
    _run("git", "clone", "--quiet", "--no-tags", REPO.as_uri(), clone, cwd=tmp_path, env=env)
    assert _run("git", "tag", cwd=clone, env=env).stdout == ""

    _run(find_uv_bin(), "build", "--wheel", "--out-dir", tmp_path / "dist", cwd=clone, env=env)

    bundle = _extract(_wheel_bundle(_only(tmp_path / "dist", "*.whl")), tmp_path / "b.bundle")
    versions.check(_tags(_heads(bundle)))


# --- the installed chassis at work --------------------------------------------------


@pytest.fixture(scope="session")
def offline() -> list[str]:
    """The command prefix that runs a command without a network: a new network
    namespace, holding only a loopback interface that is down."""
    unshare = shutil.which("unshare") or "unshare"
    try:
        works = subprocess.run([unshare, "--net", "true"], capture_output=True, check=False)
    except FileNotFoundError:
        works = None
    if works is None or works.returncode != 0:
        message = "`unshare --net` is not available here (it needs root or user namespaces)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return [unshare, "--net"]


@pytest.mark.slow
def test_the_installed_chassis_generates_a_project_offline(
    pip_venv: Path, versions: Versions, offline: list[str], tmp_path: Path
) -> None:
    """Everything `new` needs is in the wheel; only locking dependencies needs the
    index, and without it chassis says so and still creates the project."""
    env = _user_environment(tmp_path)
    env["UV_HTTP_RETRIES"] = "0"  # the lock fails at once instead of after retries
    work = tmp_path / "projects"
    work.mkdir()

    done = _run(
        *offline, pip_venv / "bin" / "chassis", "new", "svc", "--defaults", cwd=work, env=env
    )

    project = work / "svc"
    assert (project / ".copier-answers.yml").is_file(), _shown(done)
    tags = _tags(_heads(Path(env["HOME"]) / ".cache/chassis/templates/service.bundle"))
    versions.check(tags)
    answers = _answers(project)
    assert answers["_src_path"] == "~/.cache/chassis/templates/service.bundle"
    assert answers["_commit"] == tags[-1], _shown(done)
    log = _run("git", "log", "--format=%an %s", cwd=project, env=env).stdout
    assert log.splitlines() == [f"Test Lead Generate svc from chassis template {tags[-1]}"]
    assert _run("git", "status", "--porcelain", cwd=project, env=env).stdout == ""


@pytest.mark.slow
def test_the_installed_chassis_updates_a_project_from_the_last_release(
    pip_venv: Path, versions: Versions, tmp_path: Path
) -> None:
    """The real update path: the project records the bundle in the user's cache at the
    last release; the installed chassis's bundle offers the development version."""
    chassis = pip_venv / "bin" / "chassis"
    env = _user_environment(tmp_path)
    work = tmp_path / "projects"
    work.mkdir()
    release = versions.released[-1]
    made = _run(
        chassis, "new", "svc", "--vcs-ref", release, "--defaults", "--no-lock", cwd=work, env=env
    )
    project = work / "svc"
    assert _answers(project)["_commit"] == release, _shown(made)
    cached = Path(env["HOME"]) / ".cache" / "chassis" / "templates" / "service.bundle"
    _require_development(_heads(cached), versions)

    # A section of the team's own, before the template's first: a paragraph appended at
    # the end would conflict with any paragraph the template appends there too.
    readme = project / "README.md"
    team_notes = "## On call\n\nThe team's rota and runbooks live in the wiki.\n\n"
    text = readme.read_text()
    assert "\n## " in text, f"README.md has no section:\n{text}"
    first_section = text.index("\n## ") + 1
    readme.write_text(text[:first_section] + team_notes + text[first_section:])
    settings = project / ".env.example"
    assert "LOG_LEVEL=INFO\n" in settings.read_text(), settings.read_text()
    settings.write_text(settings.read_text().replace("LOG_LEVEL=INFO\n", "LOG_LEVEL=DEBUG\n"))
    _run("git", "commit", "--quiet", "--all", "-m", "Document on-call", cwd=project, env=env)

    _run(chassis, "check", cwd=project, env=env, expect=3)
    updated = _run(chassis, "update", cwd=project, env=env)

    assert _answers(project)["_commit"] == versions.development, _shown(updated)
    assert team_notes in readme.read_text(), _shown(updated)
    assert "<<<<<<<" not in readme.read_text(), _shown(updated)
    assert "LOG_LEVEL=DEBUG\n" in settings.read_text(), _shown(updated)
    assert "LOG_LEVEL=INFO" not in settings.read_text(), _shown(updated)
    _run(chassis, "check", cwd=project, env=env, expect=0)
