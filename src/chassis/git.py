"""The few git operations chassis needs, as plain functions over subprocess.

Why not a git library: chassis needs a dozen porcelain commands with their
exact, documented output, and Copier already shells out to the same git.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

from chassis.errors import GitError

__all__ = [
    "clone",
    "commit_all",
    "config_value",
    "dirty_files",
    "has_commits",
    "init",
    "network_failure",
    "require",
    "run",
    "status",
    "toplevel",
    "version_tags",
]


def require() -> None:
    """Fail with a clear message when git is missing."""
    if shutil.which("git") is None:
        raise GitError("git is not installed or not on PATH", "install git and run chassis again")


def run(*args: str, cwd: Path | None = None, check: bool = True) -> str:
    """Run git and return its stdout; a failure becomes a GitError naming the command."""
    require()
    done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=False)
    if check and done.returncode != 0:
        lines = (done.stderr or done.stdout).strip().splitlines()
        fatal = [line for line in lines if line.startswith(("fatal:", "error:"))]
        reason = (fatal or lines or [f"exit code {done.returncode}"])[0]
        error = GitError(
            f"`git {' '.join(args)}` failed: {reason}", "fix the git problem above and retry"
        )
        error.output = done.stderr
        raise error
    return done.stdout


# What git (through curl or ssh) prints when it cannot reach a host, and the host it names.
_UNREACHABLE = [
    re.compile(r"Could not resolve host: (?P<host>[^\s:]+)"),
    re.compile(r"ssh: Could not resolve hostname (?P<host>[^\s:]+)"),
    re.compile(r"Failed to connect to (?P<host>[^\s:]+) port \d+"),
    re.compile(r"ssh: connect to host (?P<host>[^\s:]+) port \d+"),
    # curl's other ways of not getting through, never its HTTP answers (403, 404, ...)
    re.compile(
        r"unable to access '[a-z+]+://(?:[^@/']*@)?(?P<host>[^/:']+)[^']*': .*(?:"
        r"Connection (?:timed out|refused|reset)|Network is unreachable|Operation timed out"
        r"|SSL_connect|Proxy CONNECT aborted|Could not resolve proxy)"
    ),
]


def network_failure(output: str) -> str | None:
    """The host git's ``output`` says it could not reach, or None if that is not why it
    failed."""
    for pattern in _UNREACHABLE:
        found = pattern.search(output)
        if found:
            return found["host"]
    return None


def config_value(key: str, cwd: Path | None = None) -> str | None:
    """The value git config gives for ``key``, or None when unset."""
    value = run("config", "--get", key, cwd=cwd, check=False).strip()
    return value or None


def toplevel(path: Path) -> Path | None:
    """The root of the work tree that contains ``path``, or None outside a repository."""
    done = run("rev-parse", "--show-toplevel", cwd=path, check=False).strip()
    return Path(done) if done else None


def has_commits(repo: Path) -> bool:
    return bool(run("rev-parse", "--verify", "--quiet", "HEAD", cwd=repo, check=False).strip())


def status(path: Path, *, renames: bool = True) -> list[tuple[str, str]]:
    """(two-letter status code, path from the repository root) for each changed file under
    ``path``, untracked ones included. Without ``renames``, a rename is a deletion and an
    addition."""
    out = run(
        "status",
        "--porcelain=v1",
        "-z",
        "--untracked-files=all",
        *([] if renames else ["--no-renames"]),
        "--",
        ".",
        cwd=path,
    )
    entries: list[tuple[str, str]] = []
    fields = iter(out.split("\0"))
    for field in fields:
        if not field:
            continue
        entries.append((field[:2], field[3:]))
        if field[0] in "RC":
            next(fields, None)  # the rename's or copy's source path
    return entries


def dirty_files(path: Path) -> list[str]:
    """Files under ``path`` that differ from HEAD, including untracked ones."""
    return [name for _, name in status(path)]


def init(path: Path) -> None:
    branch = config_value("init.defaultBranch") or "main"
    run("init", "--quiet", f"--initial-branch={branch}", cwd=path)


def commit_all(path: Path, message: str, *, name: str, email: str) -> str | None:
    """Commit everything in ``path``; ``name``/``email`` are used only if git has no identity.

    Returns the author identity used in place of the missing git config ("Name <email>"),
    or None when git had one, so the caller can say so."""
    identity: list[str] = []
    git_name = config_value("user.name", cwd=path)
    git_email = config_value("user.email", cwd=path)
    if git_name is None:
        identity += ["-c", f"user.name={name or 'chassis'}"]
    if git_email is None:
        identity += ["-c", f"user.email={email or 'chassis@invalid'}"]
    run("add", "--all", cwd=path)
    # The user's commit hooks are for their own changes, not for a generated first commit.
    run(*identity, "commit", "--quiet", "--no-verify", "-m", message, cwd=path)
    if not identity:
        return None
    return f"{git_name or name or 'chassis'} <{git_email or email or 'chassis@invalid'}>"


def clone(source: Path, dest: Path) -> None:
    # A throwaway clone may borrow the objects of its source: it never outlives it.
    run("clone", "--quiet", "--shared", str(source), str(dest))


def version_tags(source: str) -> list[str]:
    """Names of every tag of a git source (a path, a URL or a bundle)."""
    out = run("ls-remote", "--tags", "--refs", source)
    return [line.split("refs/tags/", 1)[1] for line in out.splitlines() if "refs/tags/" in line]
