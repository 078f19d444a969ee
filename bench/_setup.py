"""The material the chassis-against-Copier benchmarks share: an isolated environment, a
template repository with two versions, and projects generated from it."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from bench import _harness as h

TEMPLATE = h.REPO / "templates" / "service"
OLD, NEW = "1.0.0", "1.1.0"
PRESETS = ("minimal", "modular-monolith", "serverless-mvp")


def git(*args: str, cwd: Path, env: dict[str, str]) -> str:
    done = subprocess.run(
        ["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=True
    )
    return done.stdout


def environment(work: Path) -> dict[str, str]:
    """A private HOME with a git identity; uv's warm package cache; no interpreter downloads."""
    home = work / "home"
    home.mkdir(parents=True)
    (home / ".gitconfig").write_text(
        "[user]\n\tname = Bench Lead\n\temail = lead@example.com\n"
        "[init]\n\tdefaultBranch = main\n[advice]\n\tdetachedHead = false\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "COPIER_", "XDG_"))}
    env.pop("VIRTUAL_ENV", None)
    uv_cache = os.environ.get("UV_CACHE_DIR") or str(Path.home() / ".cache" / "uv")
    # pyenv's shims fail for versions pyenv does not activate, and uv stops at the first
    # interpreter that fails: put the real interpreters first instead.
    pythons = work / "pythons"
    pythons.mkdir()
    for version in ("3.11", "3.12", "3.13"):
        installed = sorted(Path.home().glob(f".pyenv/versions/{version}.*/bin/python{version}"))
        if installed:
            (pythons / f"python{version}").symlink_to(installed[-1])
    path = [p for p in env["PATH"].split(os.pathsep) if not p.endswith("/.pyenv/shims")]
    env.update(
        HOME=str(home),
        GIT_CONFIG_NOSYSTEM="1",
        UV_CACHE_DIR=uv_cache,
        UV_PYTHON_DOWNLOADS="never",
        PATH=os.pathsep.join([str(pythons), *path]),
    )
    return env


def template_repo(work: Path, env: dict[str, str], *, extra_files: int = 0) -> Path:
    """The bundled template as a git repository tagged OLD, then NEW with a template fix:
    a changed line in a module and a new file, which no team edit touches.

    ``extra_files`` more files in the rendered project make a larger template.
    """
    repo = work / "template"
    shutil.copytree(TEMPLATE, repo)
    extra = repo / "project" / "reference"
    for index in range(extra_files):
        extra.mkdir(exist_ok=True)
        (extra / f"page_{index:04d}.md").write_text(f"# Reference page {index}\n\nText.\n" * 5)
    git("init", "--quiet", cwd=repo, env=env)
    git("add", "--all", cwd=repo, env=env)
    git("commit", "--quiet", "-m", "Template", cwd=repo, env=env)
    git("tag", OLD, cwd=repo, env=env)
    errors = next(repo.glob("project/src/*/errors.py"))
    errors.write_text(errors.read_text().replace('"""', '"""A template fix. ', 1))
    (repo / "project" / "SECURITY.md").write_text("# Security\n\nReport issues privately.\n")
    git("add", "--all", cwd=repo, env=env)
    git("commit", "--quiet", "-m", "Template fix", cwd=repo, env=env)
    git("tag", NEW, cwd=repo, env=env)
    return repo


def generate(repo: Path, dest: Path, preset: str, env: dict[str, str]) -> None:
    """A project at OLD, committed, with a team's edits committed on top."""
    chassis = h.tool("chassis")
    h.command(
        [
            chassis,
            "new",
            dest,
            "--template",
            repo,
            "--vcs-ref",
            OLD,
            "--preset",
            preset,
            "--defaults",
            "--yes",
            "--no-lock",
        ],
        env=env,
    )()
    readme = dest / "README.md"
    readme.write_text(readme.read_text().replace("\n", "\n\nOur team's introduction.\n", 1))
    package = next(p for p in (dest / "src").iterdir() if p.is_dir())
    (package / "modules" / "tags.py").write_text('"""Tags, added by the team."""\n')
    git("add", "--all", cwd=dest, env=env)
    git("commit", "--quiet", "-m", "Team edits", cwd=dest, env=env)


def add_team_files(project: Path, count: int, env: dict[str, str]) -> None:
    """``count`` more modules written by the team, committed."""
    package = next(p for p in (project / "src").iterdir() if p.is_dir())
    team = package / "modules" / "team"
    team.mkdir()
    for index in range(count):
        (team / f"feature_{index:04d}.py").write_text(
            f'"""Feature {index}."""\n\n\ndef feature_{index}() -> int:\n    return {index}\n'
        )
    git("add", "--all", cwd=project, env=env)
    git("commit", "--quiet", "-m", f"{count} team modules", cwd=project, env=env)


def add_history(project: Path, count: int, env: dict[str, str]) -> None:
    """``count`` more commits, each changing one team file, written with git fast-import
    (one process rather than ``count`` commits' worth)."""
    package = next(p for p in (project / "src").iterdir() if p.is_dir())
    relative = (package / "modules" / "changelog.py").relative_to(project).as_posix()
    head = git("rev-parse", "HEAD", cwd=project, env=env).strip()
    stream = []
    for index in range(count):
        content = f'"""Revision {index}."""\n'.encode()
        message = f"Revision {index}"
        stream.append(
            f"commit refs/heads/main\ncommitter Bench Lead <lead@example.com> "
            f"{1_700_000_000 + index} +0000\ndata {len(message)}\n{message}\n"
            + (f"from {head}\n" if index == 0 else "")
            + f"M 100644 inline {relative}\ndata {len(content)}\n"
        )
        stream.append(content.decode() + "\n")
    subprocess.run(
        ["git", "fast-import", "--quiet", "--force"],
        cwd=project,
        env=env,
        input="".join(stream).encode(),
        check=True,
    )
    git("reset", "--quiet", "--hard", "main", cwd=project, env=env)


def answers_file(project: Path, out: Path) -> Path:
    """The project's recorded answers, without Copier's own keys, as a --data-file."""
    lines = (project / ".copier-answers.yml").read_text().splitlines()
    out.write_text("".join(f"{line}\n" for line in lines if line and line[0] not in "#_"))
    return out


def reset(snapshot: Path, dest: Path) -> None:
    """Put a fresh copy of ``snapshot`` (git folder included) at ``dest``."""
    shutil.rmtree(dest, ignore_errors=True)
    shutil.copytree(snapshot, dest, symlinks=True)
