"""Build the bundled template's versioned history as one git bundle file.

Copier can only update a project whose template is a git source with PEP 440
tags. chassis keeps its template in ``templates/service`` of its own repository,
so this module replays that folder at every release tag (``vX.Y.Z``) into a fresh
repository, one commit per release tagged ``X.Y.Z``, and writes it out as a
bundle. Author and dates are fixed, so the same releases always give the same
commit ids on every machine. A development checkout adds its working tree as one
more commit, tagged with the version being developed, so that what you render is
what you are editing.

Standard library only: the wheel build hook imports this file by path, before
chassis or its dependencies are installed.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

__all__ = ["TEMPLATE_SUBDIR", "build_bundle", "dev_version", "fingerprint"]

TEMPLATE_SUBDIR = "templates/service"
_RELEASE_TAG = re.compile(r"^v(\d+(?:\.\d+)*)$")
_IDENTITY = {
    "GIT_AUTHOR_NAME": "chassis",
    "GIT_AUTHOR_EMAIL": "chassis@invalid",
    "GIT_COMMITTER_NAME": "chassis",
    "GIT_COMMITTER_EMAIL": "chassis@invalid",
}
# The working-tree commit of a development checkout gets a fixed date too: its id
# then depends only on the files, which keeps cached builds valid.
_DEV_DATE = "2000-01-01T00:00:00+00:00"


def _git(*args: str, cwd: Path, env: dict[str, str] | None = None) -> str:
    full_env = {**os.environ, "GIT_CONFIG_NOSYSTEM": "1", **(env or {})}
    done = subprocess.run(
        ["git", *args], cwd=cwd, env=full_env, capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def release_tags(repo: Path) -> list[tuple[str, str]]:
    """(version, tag) for every ``vX.Y.Z`` tag of ``repo``, oldest first."""
    tags = _git("tag", "--list", "v*", cwd=repo).splitlines()
    found = [(m.group(1), tag) for tag in tags if (m := _RELEASE_TAG.match(tag))]
    return sorted(found, key=lambda item: _version_key(item[0]))


def dev_version(version: str, released: list[str]) -> str:
    """The tag for a working tree that differs from every release.

    Normally ``version`` is the next, unreleased version. If it was already
    released, the edited tree is a post-release development snapshot of it.
    """
    return f"{version}.post0.dev0" if version in released else version


def _working_files(repo: Path) -> list[str]:
    listed = _git(
        "ls-files",
        "-z",
        "--cached",
        "--others",
        "--exclude-standard",
        "--",
        TEMPLATE_SUBDIR,
        cwd=repo,
    )
    prefix = TEMPLATE_SUBDIR + "/"
    return sorted(
        name[len(prefix) :]
        for name in listed.split("\0")
        if name and (repo / name).is_file()  # a tracked file deleted in the working tree
    )


def fingerprint(repo: Path, version: str) -> str:
    """A key that changes whenever the bundle built from ``repo`` would change."""
    digest = hashlib.sha256(version.encode())
    for _, tag in release_tags(repo):
        digest.update(f"{tag}={_git('rev-parse', tag + '^{commit}', cwd=repo)}\n".encode())
    template = repo / TEMPLATE_SUBDIR
    for name in _working_files(repo):
        path = template / name
        digest.update(f"{name}\0{os.access(path, os.X_OK)}\0".encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def build_bundle(repo: Path, *, version: str, out: Path) -> list[str]:
    """Write the template's history from ``repo`` to the bundle file ``out``.

    Returns the versions it holds, oldest first; the last one is what a new
    project gets.
    """
    repo = repo.resolve()
    objects = Path(_git("rev-parse", "--git-common-dir", cwd=repo))
    objects = (objects if objects.is_absolute() else repo / objects) / "objects"
    with tempfile.TemporaryDirectory(prefix="chassis-bundle-") as tmp:
        work = Path(tmp)
        _git("init", "--quiet", "--initial-branch=main", cwd=work)
        # Borrow the released trees from the chassis repository instead of copying them.
        (work / ".git" / "objects" / "info" / "alternates").write_text(f"{objects}\n")
        parent: str | None = None
        released_tree: str | None = None
        versions: list[str] = []
        for number, tag in release_tags(repo):
            try:
                tree = _git("rev-parse", f"{tag}^{{commit}}:{TEMPLATE_SUBDIR}", cwd=repo)
            except subprocess.CalledProcessError:
                continue  # a release from before the template existed
            date = _git("log", "-1", "--format=%cI", tag, cwd=repo)
            parent = _commit(work, tree, parent, f"chassis template {number}", date)
            _git("tag", number, parent, cwd=work)
            versions.append(number)
            released_tree = tree

        tree = _stage_working_tree(repo, work)
        if tree != released_tree:
            number = dev_version(version, versions)
            parent = _commit(work, tree, parent, f"chassis template {number}", _DEV_DATE)
            _git("tag", number, parent, cwd=work)
            versions.append(number)
        if parent is None:  # unreachable: the working tree gave a commit or matched a release
            msg = "the template bundle has no commit"
            raise RuntimeError(msg)
        _git("update-ref", "refs/heads/main", parent, cwd=work)
        out.parent.mkdir(parents=True, exist_ok=True)
        partial = out.with_name(f".{out.name}.{os.getpid()}.tmp")
        _git("bundle", "create", "--quiet", str(partial), "main", "--tags", cwd=work)
        partial.replace(out)
    return versions


def _stage_working_tree(repo: Path, work: Path) -> str:
    source = repo / TEMPLATE_SUBDIR
    names = _working_files(repo)
    if not names:
        msg = f"no template found at {source}"
        raise FileNotFoundError(msg)
    for name in names:
        target = work / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source / name, target)
    _git("add", "--all", "--force", ".", cwd=work)
    return _git("write-tree", cwd=work)


def _commit(work: Path, tree: str, parent: str | None, message: str, date: str) -> str:
    env = {**_IDENTITY, "GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date}
    parents = ["-p", parent] if parent else []
    return _git("commit-tree", tree, *parents, "-m", message, cwd=work, env=env)
