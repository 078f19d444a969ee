"""Releases that change what kind of thing a path is: a file becomes a symlink or back
(Copier's `_preserve_symlinks: true`), a file's executable bit changes, a folder becomes
a file or back.

Each case runs `chassis update` and, on an identical copy of the project, plain `copier
update --defaults`, and compares the two trees: contents, symlink targets, modes. Each
is also made to fail after its changes are in the project, which must then be exactly
as it was. A folder becoming a file (or back) is a change Copier itself cannot apply:
chassis says so and changes nothing.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import TINY_COPIER_YML, Result, commit_all, git, write_tree

Cli = Callable[..., Result]

COPIER = Path(sys.executable).parent / "copier"

# What 1.0.0 has at `x`, and how 2.0.0 changes it, by case.
CASES = ["file-to-symlink", "symlink-to-file", "made-executable", "no-longer-executable"]
UNSUPPORTED = ["folder-to-file", "file-to-folder"]


def _v1(project: Path, case: str) -> None:
    if case == "symlink-to-file":
        (project / "x").symlink_to("target.txt")
    elif case == "folder-to-file":
        write_tree(project, {"x/a.txt": "in a folder\n"})
    else:
        (project / "x").write_text("a file\n")
        if case == "no-longer-executable":
            (project / "x").chmod(0o755)


def _v2(project: Path, case: str) -> None:
    x = project / "x"
    if case in {"file-to-symlink", "symlink-to-file", "folder-to-file", "file-to-folder"}:
        if x.is_dir() and not x.is_symlink():
            shutil.rmtree(x)
        else:
            x.unlink()
    if case == "file-to-symlink":
        x.symlink_to("target.txt")
    elif case in {"symlink-to-file", "folder-to-file"}:
        x.write_text("now a file\n")
    elif case == "file-to-folder":
        write_tree(project, {"x/a.txt": "now in a folder\n"})
    else:
        x.chmod(0o755 if case == "made-executable" else 0o644)
    # A file the copy into the project writes after `x`, to fail on in the restore tests.
    (project / "zz.txt").write_text("added last\n")


def _template(tmp_path: Path, case: str) -> Path:
    """A template repository whose 1.0.0 and 2.0.0 differ by ``case`` at `x`."""
    repo = tmp_path / "template"
    (repo / "project").mkdir(parents=True)
    git("init", "--quiet", cwd=repo)
    write_tree(
        repo,
        {
            "copier.yml": TINY_COPIER_YML + "_preserve_symlinks: true\n",
            "project/{{ _copier_conf.answers_file }}.jinja": "{{ _copier_answers|to_nice_yaml }}",
            "project/target.txt": "the target\n",
        },
    )
    _v1(repo / "project", case)
    commit_all(repo, "1.0.0")
    git("tag", "1.0.0", cwd=repo)
    return repo


def _release_2(repo: Path, case: str) -> None:
    _v2(repo / "project", case)
    commit_all(repo, "2.0.0")
    git("tag", "2.0.0", cwd=repo)


def tree(root: Path) -> dict[str, tuple[str, str | bytes, int]]:
    """Every path under ``root`` outside .git: a folder, a symlink and its target, or a
    file, its bytes and its mode."""
    found: dict[str, tuple[str, str | bytes, int]] = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if rel.parts[0] == ".git":
            continue
        if path.is_symlink():
            found[rel.as_posix()] = ("symlink", str(path.readlink()), 0)
        elif path.is_dir():
            found[rel.as_posix()] = ("folder", "", 0)
        else:
            found[rel.as_posix()] = ("file", path.read_bytes(), path.stat().st_mode & 0o777)
    return found


def _project(cli: Cli, tmp_path: Path, case: str) -> tuple[Path, Path]:
    """The project made from 1.0.0 and committed, and the template with 2.0.0 released."""
    repo = _template(tmp_path, case)
    result = cli("new", "proj", "--template", repo, "--defaults")
    assert result.exit_code == 0, result.stderr
    _release_2(repo, case)
    return Path("proj").resolve(), repo


def _plain_copier(project: Path, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """`copier update --defaults` (with the tests' empty Copier settings) on an identical
    copy of ``project`` at ``tmp_path/plain``."""
    copy = tmp_path / "plain" / project.name
    shutil.copytree(project, copy, symlinks=True)
    return subprocess.run(
        [str(COPIER), "update", "--defaults", "--quiet", str(copy)],
        capture_output=True,
        text=True,
        check=False,
    )


DETAIL = {
    "file-to-symlink": "now a symlink to target.txt, was a file",
    "symlink-to-file": "now a file, was a symlink to target.txt",
    "made-executable": "now executable",
    "no-longer-executable": "no longer executable",
}


@pytest.mark.parametrize("case", CASES)
def test_a_change_of_kind_or_mode_is_applied_as_plain_copier_applies_it(
    cli: Cli, tmp_path: Path, case: str
) -> None:
    project, _ = _project(cli, tmp_path, case)
    before = tree(project)

    planned = cli("update", project, "--plan", "--json")
    assert planned.exit_code == 0, planned.stderr
    assert tree(project) == before
    files = {f["path"]: (f["status"], f["detail"]) for f in json.loads(planned.stdout)["files"]}
    assert files["x"] == ("updated", DETAIL[case])
    shown = cli("update", project, "--plan")
    assert f"x ({DETAIL[case]})" in shown.stdout

    plain = _plain_copier(project, tmp_path)
    assert plain.returncode == 0, plain.stderr
    result = cli("update", project)

    assert result.exit_code == 0, result.stderr
    after = tree(project)
    assert after == tree(tmp_path / "plain" / "proj")
    assert after != before
    x = project / "x"
    if case == "file-to-symlink":
        assert x.is_symlink()
        assert x.readlink() == Path("target.txt")
    elif case == "symlink-to-file":
        assert not x.is_symlink()
        assert x.read_text() == "now a file\n"
        assert (project / "target.txt").read_text() == "the target\n"  # not written through
    else:
        assert os.access(x, os.X_OK) == (case == "made-executable")
    assert git("status", "--porcelain", "--", "x", cwd=project).strip() in {"T x", "M x"}


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("failure", [KeyboardInterrupt, OSError])
def test_a_change_of_kind_or_mode_is_undone_when_the_update_fails_after_it(
    cli: Cli,
    tmp_path: Path,
    case: str,
    failure: type[BaseException],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    project, _ = _project(cli, tmp_path, case)
    before = tree(project)
    copied: list[str] = []
    real_copy = shutil.copy2

    def copy_then_fail(src: Path, dst: Path, **kwargs: bool) -> object:
        done = real_copy(src, dst, **kwargs)
        copied.append(Path(dst).name)
        if Path(dst).name == "zz.txt":  # the last file: `x` is already changed
            raise failure
        return done

    monkeypatch.setattr(shutil, "copy2", copy_then_fail)

    result = cli("update", project)

    assert "x" in copied
    assert copied[-1] == "zz.txt"
    assert result.exit_code == (130 if failure is KeyboardInterrupt else 1)
    assert tree(project) == before
    assert git("status", "--porcelain", "--ignored", cwd=project) == ""


# Copier's own failure leaves a directory iterator unclosed, which Python reports when it
# is collected; the failure being tested is Copier's, not a leak of chassis.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
@pytest.mark.parametrize("case", UNSUPPORTED)
def test_a_folder_that_becomes_a_file_or_back_fails_as_in_plain_copier_and_changes_nothing(
    cli: Cli, tmp_path: Path, case: str
) -> None:
    project, _ = _project(cli, tmp_path, case)
    before = tree(project)

    plain = _plain_copier(project, tmp_path)
    result = cli("update", project)

    assert plain.returncode != 0
    assert result.exit_code == 1
    error = {"folder-to-file": "AssertionError", "file-to-folder": "FileExistsError at x"}[case]
    assert result.stderr.strip() == (
        f"error: Copier cannot update to template 2.0.0 ({error}), nor can plain `copier "
        "update`: a release that turns a folder into a file, or a file into a folder, is "
        "beyond it; nothing was changed; update --to the release before that change, and "
        "ask the template's maintainers to rename the path instead"
    )
    assert tree(project) == before
    assert git("status", "--porcelain", "--ignored", cwd=project) == ""
