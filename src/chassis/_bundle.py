"""Build the bundled template's versioned history as one git bundle file.

Copier can only update a project whose template is a git source with PEP 440
tags. chassis keeps its template in ``templates/service`` of its own repository,
so this module replays that folder at every release recorded in
``templates/RELEASES`` (one ``VERSION COMMIT`` per line) into a fresh repository,
one commit per release tagged ``VERSION``, and writes it out as a bundle.
Releases are data rather than git tags because tags do not travel with every
clone (CI checkouts are shallow and tagless): a build that cannot reach a
recorded commit fails instead of shipping a bundle that misses a release.

Author, date and message are fixed, so a version's commit id depends only on the
template's files at that version and at the versions before it: the same on every
machine, and the same whether the version was built as a release or, before it
was recorded, as the working tree. A development checkout adds its working tree
as one more commit, tagged with the version being developed, so that what you
render is what you are editing.

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
from typing import NamedTuple

__all__ = [
    "RELEASES_FILE",
    "TEMPLATE_SUBDIR",
    "Release",
    "ReleaseHistoryError",
    "build_bundle",
    "dev_version",
    "fingerprint",
    "read_releases",
]

TEMPLATE_SUBDIR = "templates/service"
RELEASES_FILE = "templates/RELEASES"
_VERSION = re.compile(r"^\d+(?:\.\d+)*$")
_COMMIT = re.compile(r"^[0-9a-f]{40}$")
_RELEASE_PART = re.compile(r"^(\d+(?:\.\d+)*)")
_IDENTITY = {
    "GIT_AUTHOR_NAME": "chassis",
    "GIT_AUTHOR_EMAIL": "chassis@invalid",
    "GIT_COMMITTER_NAME": "chassis",
    "GIT_COMMITTER_EMAIL": "chassis@invalid",
}
# Every commit of the bundle has this date: with it, a commit's id depends only on its
# files and its parents, which also keeps cached development builds valid.
_DATE = "2000-01-01T00:00:00+00:00"


class Release(NamedTuple):
    """A released template version and the chassis commit whose template it is."""

    version: str
    commit: str


class ReleaseHistoryError(RuntimeError):
    """The recorded release history cannot be read or replayed from this clone."""

    def __init__(self, problem: str, fix: str) -> None:
        super().__init__(f"{problem}; {fix}")
        self.problem = problem
        self.fix = fix


def _git(*args: str, cwd: Path, env: dict[str, str] | None = None) -> str:
    full_env = {**os.environ, "GIT_CONFIG_NOSYSTEM": "1", **(env or {})}
    done = subprocess.run(
        ["git", *args], cwd=cwd, env=full_env, capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def read_releases(repo: Path) -> list[Release]:
    """The releases recorded in ``repo``'s ``templates/RELEASES``, oldest first."""
    path = repo / RELEASES_FILE
    if not path.is_file():
        return []
    releases: list[Release] = []
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        words = line.split("#", 1)[0].split()
        if not words:
            continue
        where = f"{RELEASES_FILE} line {number}"
        if len(words) != 2 or not _VERSION.match(words[0]) or not _COMMIT.match(words[1]):
            raise ReleaseHistoryError(
                f"{where} is not `VERSION COMMIT`",
                "write a version such as 0.1.0, a space and the commit's full 40-digit id",
            )
        release = Release(*words)
        if releases and _version_key(release.version) <= _version_key(releases[-1].version):
            raise ReleaseHistoryError(
                f"{where}: {release.version} is not newer than {releases[-1].version}",
                "keep the releases in order, oldest first",
            )
        releases.append(release)
    return releases


def dev_version(version: str, released: list[str]) -> str:
    """The tag for a working tree that differs from every release.

    Normally ``version`` is the next, unreleased version (``0.2.0.dev0``). If it
    was already released, the edited tree is a post-release development snapshot
    of it. A version older than the newest release would sort before it, and a
    project could never update to it.
    """
    if version in released:
        return f"{version}.post0.dev0"
    found = _RELEASE_PART.match(version)
    if released and (found is None or _version_key(found[1]) <= _version_key(released[-1])):
        raise ReleaseHistoryError(
            f"chassis {version} is not newer than the last recorded release {released[-1]}",
            "set __version__ in src/chassis/__init__.py to the next version",
        )
    return version


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
    for release in read_releases(repo):
        digest.update(f"{release.version}={release.commit}\n".encode())
    template = repo / TEMPLATE_SUBDIR
    for name in _working_files(repo):
        path = template / name
        digest.update(f"{name}\0{os.access(path, os.X_OK)}\0".encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _released_tree(repo: Path, release: Release) -> str:
    """The template's tree at ``release``, failing if this clone cannot give it."""
    probe = ["git", "cat-file", "-e", f"{release.commit}^{{commit}}"]
    if subprocess.run(probe, cwd=repo, capture_output=True, check=False).returncode != 0:
        raise ReleaseHistoryError(
            f"release {release.version} is recorded at commit {release.commit}, which this "
            "clone does not have",
            "fetch the full history (`git fetch --unshallow`, or clone without --depth) and "
            "build again",
        )
    try:
        return _git("rev-parse", f"{release.commit}:{TEMPLATE_SUBDIR}", cwd=repo)
    except subprocess.CalledProcessError:
        raise ReleaseHistoryError(
            f"release {release.version} is recorded at commit {release.commit}, which has no "
            f"{TEMPLATE_SUBDIR}",
            f"correct {RELEASES_FILE}",
        ) from None


def build_bundle(repo: Path, *, version: str, out: Path) -> list[str]:
    """Write the template's history from ``repo`` to the bundle file ``out``.

    Returns the versions it holds, oldest first; the last one is what a new
    project gets. Raises :class:`ReleaseHistoryError` rather than leave out a
    recorded release.
    """
    repo = repo.resolve()
    releases = read_releases(repo)
    trees = [_released_tree(repo, release) for release in releases]
    objects = Path(_git("rev-parse", "--git-common-dir", cwd=repo))
    objects = (objects if objects.is_absolute() else repo / objects) / "objects"
    with tempfile.TemporaryDirectory(prefix="chassis-bundle-") as tmp:
        work = Path(tmp)
        _git("init", "--quiet", "--initial-branch=main", cwd=work)
        # Borrow the released trees from the chassis repository instead of copying them.
        (work / ".git" / "objects" / "info" / "alternates").write_text(f"{objects}\n")
        parent: str | None = None
        versions: list[str] = []
        for release, tree in zip(releases, trees, strict=True):
            parent = _commit(work, tree, parent, release.version)
            versions.append(release.version)

        tree = _stage_working_tree(repo, work)
        if not trees or tree != trees[-1]:
            parent = _commit(work, tree, parent, dev_version(version, versions))
            versions.append(dev_version(version, versions))
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


def _commit(work: Path, tree: str, parent: str | None, version: str) -> str:
    """Commit ``tree`` as template ``version`` and tag it."""
    env = {**_IDENTITY, "GIT_AUTHOR_DATE": _DATE, "GIT_COMMITTER_DATE": _DATE}
    parents = ["-p", parent] if parent else []
    message = f"chassis template {version}"
    commit = _git("commit-tree", tree, *parents, "-m", message, cwd=work, env=env)
    _git("tag", version, commit, cwd=work)
    return commit
