"""Isolation for every test, and helpers that build throwaway templates and run the CLI."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from chassis import engine
from chassis.cli import main

REPO = Path(__file__).resolve().parent.parent
# Read before the tests isolate HOME, so every generated project shares one warm uv cache.
UV_CACHE = Path(os.environ.get("UV_CACHE_DIR") or Path.home() / ".cache" / "uv")
REAL_HOME = Path.home()
# One per pytest-xdist worker: mypy's SQLite cache is not for concurrent writers.
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "main")


@pytest.fixture(scope="session")
def shared_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One cache for the whole session, so the development bundle is built once."""
    return tmp_path_factory.mktemp("cache")


@pytest.fixture(autouse=True)
def _isolate(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, shared_cache: Path) -> None:
    """A private HOME, git identity and Copier settings for each test."""
    home = tmp_path / "home"
    home.mkdir()
    gitconfig = home / ".gitconfig"
    gitconfig.write_text(
        "[user]\n\tname = Test Lead\n\temail = lead@example.com\n"
        "[init]\n\tdefaultBranch = main\n[advice]\n\tdetachedHead = false\n"
    )
    copier_settings = home / "copier-settings.yml"
    copier_settings.write_text("{}\n")  # an empty file is not valid Copier settings
    for name in list(os.environ):
        if name.startswith(("GIT_", "COPIER_", "XDG_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(gitconfig))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("COPIER_SETTINGS_PATH", str(copier_settings))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(shared_cache))
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)


@dataclass(frozen=True)
class Result:
    exit_code: int
    stdout: str
    stderr: str


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Callable[..., Result]:
    """Run ``chassis ARGS`` in-process, as the console script would."""

    def run(*args: str | Path) -> Result:
        capsys.readouterr()
        with pytest.raises(SystemExit) as exited:
            main([str(a) for a in args])
        captured = capsys.readouterr()
        code = exited.value.code
        return Result(code if isinstance(code, int) else 1, captured.out, captured.err)

    return run


def git(*args: str, cwd: Path) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True
    ).stdout


def write_tree(root: Path, files: Mapping[str, str | None]) -> None:
    """Write ``files`` under ``root``; a value of None deletes that file."""
    for name, content in files.items():
        path = root / name
        if content is None:
            path.unlink()
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(content))


def commit_all(repo: Path, message: str = "change") -> None:
    git("add", "--all", cwd=repo)
    git("commit", "--quiet", "-m", message, cwd=repo)


def render_bundled(
    parent: Path, answers: Mapping[str, Any], *, lock: bool = True
) -> tuple[Path, engine.NewResult]:
    """Generate `parent/svc` from the bundled template with ``answers`` and every other
    answer at its default, as `chassis new --defaults --no-git` would."""
    template = engine.open_template()
    project = parent / "svc"
    resolved = template.spec.resolve(
        answers, defaults=template.spec.new_defaults(), context={"_folder_name": "svc"}
    )
    result = engine.new(template=template, dest=project, answers=resolved, commit=False, lock=lock)
    return project, result


def _without_pyenv_shims(path: str) -> str:
    """PATH minus pyenv's shims: they fail for versions pyenv does not activate, and uv
    stops at the first interpreter that fails."""
    kept = [d for d in path.split(os.pathsep) if not ("/.pyenv/" in d and d.endswith("shims"))]
    return os.pathsep.join(kept)


@pytest.fixture(scope="session")
def interpreters(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory of pythonX.Y links for uv, which may not download interpreters here."""
    links = tmp_path_factory.mktemp("pythons")
    search = _without_pyenv_shims(os.environ["PATH"])
    for version in ("3.11", "3.12", "3.13"):
        installed = sorted(REAL_HOME.glob(f".pyenv/versions/{version}.*/bin/python{version}"))
        found = str(installed[-1]) if installed else shutil.which(f"python{version}", path=search)
        if found is None:
            message = f"Python {version} is not installed; generated projects need it"
            if os.environ.get("CI"):
                pytest.fail(message)
            pytest.skip(message)
        (links / f"python{version}").symlink_to(found)
    return links


@pytest.fixture
def uv_environment(interpreters: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """What uv needs to lock, sync and run a generated project here, without downloads;
    mypy shares one cache across generated projects (it revalidates by content hash).

    A generated project's pytest gets its own temporary root: left on the shared
    /tmp/pytest-of-<user>, its clean-up of old numbered folders races the other workers'
    runs and fails the session with "Directory not empty"."""
    monkeypatch.setenv(
        "PATH", f"{interpreters}{os.pathsep}{_without_pyenv_shims(os.environ['PATH'])}"
    )
    monkeypatch.setenv("UV_CACHE_DIR", str(UV_CACHE))
    monkeypatch.setenv("UV_PYTHON_DOWNLOADS", "never")
    monkeypatch.setenv("MYPY_CACHE_DIR", str(UV_CACHE.parent / f"chassis-mypy-{WORKER}"))
    monkeypatch.delenv("VIRTUAL_ENV", raising=False)
    temproot = tmp_path / "pytest-temproot"
    temproot.mkdir()
    monkeypatch.setenv("PYTEST_DEBUG_TEMPROOT", str(temproot))


def tool_dir(path: Path, **stubs: str) -> Path:
    """A directory to put first on PATH: `chassis` (this checkout's) and ``stubs``, each a
    script by its command name."""
    path.mkdir()
    scripts = {"chassis": f'#!/bin/sh\nexec "{sys.executable}" -m chassis "$@"\n', **stubs}
    for name, script in scripts.items():
        (path / name).write_text(script)
        (path / name).chmod(0o755)
    return path


# A tiny template in the same shape as the bundled one: settings, then questions.
TINY_SETTINGS = """\
_subdirectory: project
_templates_suffix: .jinja
_answers_file: .copier-answers.yml

project_name:
  type: str
  default: "{{ _folder_name }}"
"""
TINY_COPIER_YML = (
    TINY_SETTINGS
    + """\
greeting:
  type: str
  default: hello
  choices: [hello, hi]
"""
)

TINY_V1 = {
    "copier.yml": TINY_COPIER_YML,
    "project/{{ _copier_conf.answers_file }}.jinja": "{{ _copier_answers|to_nice_yaml }}",
    "project/README.md.jinja": """\
        # {{ project_name }}

        Intro from the template.

        ## Usage

        Say {{ greeting }}.
        """,
    "project/config.toml": "[service]\nport = 8000\ntimeout = 5\n",
    "project/optional.txt": "an optional file\n",
}


@pytest.fixture
def template_repo(tmp_path: Path) -> Path:
    """A git template repository tagged 1.0.0."""
    repo = tmp_path / "template"
    repo.mkdir()
    git("init", "--quiet", cwd=repo)
    write_tree(repo, TINY_V1)
    commit_all(repo, "v1")
    git("tag", "1.0.0", cwd=repo)
    return repo


def release(repo: Path, version: str, files: Mapping[str, str | None]) -> None:
    """Commit ``files`` to a template repository and tag the result ``version``."""
    write_tree(repo, files)
    commit_all(repo, version)
    git("tag", version, cwd=repo)


def answers_of(project: Path, name: str = ".copier-answers.yml") -> dict[str, object]:
    data = yaml.safe_load((project / name).read_text())
    assert isinstance(data, dict)
    return data


def update_locked(project: Path) -> bool:
    """Whether a chassis update holds ``project``'s lock. The lock file stays in .git once
    made (filelock keeps it, so that waiters never split across inodes): only trying the
    lock tells. Tried for an instant, so it can only delay an update, never block one
    that already holds it."""
    from filelock import FileLock, Timeout  # noqa: PLC0415

    lock = FileLock(project / ".git" / "chassis-update.lock", blocking=False, thread_local=False)
    try:
        lock.acquire()
    except Timeout:
        return True
    lock.release()
    return False


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` (outside .git) with its bytes."""
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".git" not in p.relative_to(root).parts
    }


def chassis_subprocess(*args: str, cwd: Path, **kwargs: Any) -> subprocess.Popen[str]:
    """``python -m chassis ARGS`` as a real process."""
    options: dict[str, Any] = {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE, **kwargs}
    return subprocess.Popen([sys.executable, "-m", "chassis", *args], cwd=cwd, text=True, **options)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--reuse-passes",
        action="store_true",
        help="skip a template variant whose rendered files, checks and tools are those of "
        "one that passed before (tests/passes.py); for re-runs of -m matrix, never for CI",
    )


@pytest.fixture
def reuse_passes(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--reuse-passes"))


def pytest_configure(config: pytest.Config) -> None:
    """Point pytest-copie at the bundled template unless --template says otherwise."""
    given = getattr(config.option, "template", None)
    if given is None or not (Path(given) / "copier.yml").is_file():
        config.option.template = str(REPO / "templates" / "service")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The combinations beyond the covering set take hours: run them only when `-m`
    names `matrix` (which then selects the covering set too: the whole cross-product)."""
    if "matrix" in (config.option.markexpr or ""):
        return
    deselected = [item for item in items if item.get_closest_marker("beyond_covering")]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = [item for item in items if not item.get_closest_marker("beyond_covering")]
