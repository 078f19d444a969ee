"""`chassis update` never silently drops a team edit: a property-based test.

Each example builds a tiny template (three plain text files, no Jinja) released as
1.0.0, generates a project from it, commits random team edits on top (lines changed,
added and removed; files added, deleted and renamed), releases a random template change
as 2.0.0 (lines changed, added and removed; files added and deleted), runs `chassis
update` in-process and checks what the user sees: the files on disk, the per-file report
and the exit code.

Every line is unique within an example (filler lines aside), so "the team's line is in
the merged file" means something. The property, file by file (docs/updating.md):

* a team line (one the team added, or a line of a file the team added or renamed) is in
  the file at the team's path after the update, outside or inside a conflict region;
  with ``--conflict rej``, in the file or as an added line of its ``.rej`` file;
* the one documented exception: a file the template deletes is deleted even if the team
  edited it, the report says "deleted", and a note names each such file and the
  `git show` that brings the team's version back;
* a file only one side changed ends up exactly as that side has it: the team's files
  where the template changed nothing (files the team added or renamed included), the
  new template's where the team changed nothing;
* a file the team deleted (or renamed away) stays deleted, even if the template changed
  it; ``--plan`` reports exactly those the template changed as ``kept-deleted``;
* a line the team removed (or changed) stays removed outside conflict regions when the
  template kept it, and the template's rewrite of such a line appears only inside a
  conflict region: the team's removal is never silently undone;
* every line of a merged file comes from the team's version or the new template's, and
  in a conflict region the "before updating" side holds only the team's lines and the
  "after updating" side only the template's;
* the report lists exactly the files that differ from the team's commit, a file as
  "conflict" exactly when it has conflict markers (or a ``.rej`` file, itself listed as
  "rejected"), and the exit code is 4 exactly when a conflict remains, else 0.

The 200 examples are split into shards so that pytest-xdist spreads them over workers.
Not covered: Jinja templates and answer changes (`--set`), binary files, files without a
final newline, file modes and symlinks, migrations and tasks.
"""

from __future__ import annotations

import contextlib
import io
import itertools
import json
import tempfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import pytest
from conftest import TINY_COPIER_YML, Result, commit_all, git, release, write_tree
from hypothesis import HealthCheck, event, given, note, settings
from hypothesis import strategies as st

from chassis.cli import main

# In CI as locally: the same 200 examples every run (derandomize), no example database
# written into the checkout, and a @reproduce_failure blob printed if one fails. The
# autouse isolation fixture (private HOME and git identity) is function-scoped and is
# shared by the examples on purpose: each example works in its own temporary directory.
SHARDS = 4  # 200 examples in all
settings.register_profile(
    "update-safety",
    max_examples=200 // SHARDS,
    deadline=None,
    derandomize=True,
    database=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

Lines = tuple[str, ...]
Tree = dict[str, Lines]  # project-relative path -> its lines, without line endings

ANSWERS = ".copier-answers.yml"
V1_FILES = ("a.txt", "b.txt", "docs/c.txt")
TEMPLATE_NEW = ("new.txt", "shared.txt", "docs/guide.txt")
TEAM_NEW = ("team.txt", "shared.txt", "docs/guide.txt")  # two may collide with the template's
FILLERS = ("", "---")  # repeated lines: ambiguous context for the merge
# Weighted choices; the first of each is what Hypothesis shrinks towards.
LINE_OPS = ("keep", "keep", "keep", "keep", "keep", "change", "delete")
INSERTS = st.sampled_from((0, 0, 0, 0, 0, 0, 1, 2))
TEMPLATE_FILE_OPS = ("same", "edit", "edit", "edit", "delete")
TEAM_FILE_OPS = ("same", "edit", "edit", "edit", "delete", "rename", "rename-edit")
MARKERS = ("<<<<<<< ", "=======", ">>>>>>> ")
# What the console report says for each status (chassis.console).
STATUS_TEXT = {
    "added": "added",
    "merged cleanly": "updated",
    "CONFLICT": "conflict",
    "your rejected hunks": "rejected",
    "deleted by the template": "deleted",
    "kept deleted (you deleted it)": "kept-deleted",
}


@dataclass(frozen=True)
class Scenario:
    v1: Tree
    v2: Tree
    team: Tree
    rewritten: Mapping[str, Mapping[str, str]]  # path -> {v1 line: the v2 line replacing it}
    conflict: Literal["inline", "rej"]
    report: Literal["json", "console"]
    plan_first: bool


def _edit(draw: st.DrawFn, lines: Lines, fresh: Callable[[], str]) -> tuple[Lines, dict[str, str]]:
    """``lines`` with random lines changed, removed and inserted, and {old: new} for each
    unique line changed."""
    out: list[str] = []
    rewritten: dict[str, str] = {}
    for line in lines:
        out += [fresh() for _ in range(draw(INSERTS))]
        op = draw(st.sampled_from(LINE_OPS))
        if op == "keep":
            out.append(line)
        elif op == "change":
            out.append(fresh())
            if line not in FILLERS:
                rewritten[line] = out[-1]
    out += [fresh() for _ in range(draw(INSERTS))]
    return tuple(out), rewritten


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    counter = itertools.count()

    def fresher(who: str) -> Callable[[], str]:
        return lambda: f"{who} line {next(counter)}"

    v1_line, v2_line, team_line = fresher("template v1"), fresher("template v2"), fresher("team")

    def v1_text() -> Lines:
        """5 to 12 lines, about one in three a filler."""
        kinds = [
            draw(st.sampled_from((None, None, None, None, *FILLERS)))
            for _ in range(draw(st.integers(5, 12)))
        ]
        return tuple(v1_line() if kind is None else kind for kind in kinds)

    v1: Tree = {path: v1_text() for path in V1_FILES}

    v2: Tree = {}
    rewritten: dict[str, dict[str, str]] = {}
    for path, lines in v1.items():
        op = draw(st.sampled_from(TEMPLATE_FILE_OPS))
        if op == "same":
            v2[path] = lines
        elif op == "edit":
            v2[path], rewritten[path] = _edit(draw, lines, v2_line)
    for path in draw(st.lists(st.sampled_from(TEMPLATE_NEW), unique=True, max_size=2)):
        v2[path] = tuple(v2_line() for _ in range(draw(st.integers(1, 6))))

    team: Tree = {}
    for path, lines in v1.items():
        op = draw(st.sampled_from(TEAM_FILE_OPS))
        kept = _edit(draw, lines, team_line)[0] if op.endswith("edit") else lines
        if op.startswith("rename"):
            moved = f"moved/{Path(path).name}"
            target = draw(st.sampled_from((moved, *TEAM_NEW)))  # maybe a template's new file
            team[moved if target in team else target] = kept
        elif op != "delete":
            team[path] = kept
    for path in draw(st.lists(st.sampled_from(TEAM_NEW), unique=True, max_size=2)):
        if path not in team:
            team[path] = tuple(team_line() for _ in range(draw(st.integers(1, 6))))

    return Scenario(
        v1,
        v2,
        team,
        rewritten,
        conflict=draw(st.sampled_from(("inline", "inline", "rej"))),
        report=draw(st.sampled_from(("json", "console"))),
        plan_first=draw(st.sampled_from((False, False, False, True))),
    )


# --- building and running -----------------------------------------------------------


def _text(lines: Lines) -> str:
    return "".join(f"{line}\n" for line in lines)


def _write(root: Path, tree: Tree) -> None:
    for path, lines in tree.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(_text(lines))


def _chassis(*args: str | Path) -> tuple[int, str, str]:
    """``chassis ARGS`` in-process, as the console script would run it."""
    out, err = io.StringIO(), io.StringIO()
    with (
        contextlib.redirect_stdout(out),
        contextlib.redirect_stderr(err),
        pytest.raises(SystemExit) as exited,
    ):
        main([str(a) for a in args])
    code = exited.value.code
    return (code if isinstance(code, int) else 1), out.getvalue(), err.getvalue()


def _files(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): p.read_text()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".git" not in p.relative_to(root).parts
    }


def _build(root: Path, s: Scenario) -> Path:
    """The template released as 1.0.0, a project from it with the team's edits committed,
    and the template change released as 2.0.0; returns the project."""
    template = root / "template"
    (template / "project").mkdir(parents=True)
    (template / "copier.yml").write_text(TINY_COPIER_YML)
    (template / "project" / "{{ _copier_conf.answers_file }}.jinja").write_text(
        "{{ _copier_answers|to_nice_yaml }}"
    )
    _write(template / "project", s.v1)
    git("init", "--quiet", cwd=template)
    commit_all(template, "v1")
    git("tag", "1.0.0", cwd=template)

    project = root / "proj"
    code, _, err = _chassis("new", project, "--template", template, "--defaults")
    assert code == 0, err
    for path in s.v1.keys() - s.team.keys():
        (project / path).unlink()
    _write(project, s.team)
    git("add", "--all", cwd=project)
    git("commit", "--quiet", "--allow-empty", "-m", "team work", cwd=project)

    for path in s.v1.keys() - s.v2.keys():
        (template / "project" / path).unlink()
    _write(template / "project", s.v2)
    git("add", "--all", cwd=template)
    git("commit", "--quiet", "--allow-empty", "-m", "v2", cwd=template)
    git("tag", "2.0.0", cwd=template)
    return project


def _report(code: int, out: str, err: str, form: str) -> dict[str, str]:
    """{path: status} from the report in either form."""
    assert code in {0, 4}, err
    if form == "json":
        data = json.loads(out)
        files = {f["path"]: f["status"] for f in data["files"]}
        assert data["conflicts"] == sorted(p for p, s in files.items() if s == "conflict")
        return files
    header, *rows = out.splitlines()
    assert header.startswith("Updated "), out
    files = {}
    for row in itertools.takewhile(bool, rows):  # a blank line, then what to do next
        text, path = row.strip().rsplit(maxsplit=1)
        files[path] = STATUS_TEXT[text]
    return files


def _stderr_notes(err: str) -> list[str]:
    return [line.removeprefix("note: ") for line in err.splitlines() if line.startswith("note: ")]


# --- the property -----------------------------------------------------------------


@dataclass(frozen=True)
class Regions:
    """A merged file's lines outside conflict regions and on each side of them."""

    outside: list[str]
    ours: list[str]  # "before updating": the team's side
    theirs: list[str]  # "after updating": the new template's side


def _regions(lines: Iterable[str]) -> Regions:
    """Split at the conflict markers, failing on malformed or unlabelled ones."""
    regions = Regions([], [], [])
    side = regions.outside
    for line in lines:
        if line.startswith(MARKERS[0]):
            assert side is regions.outside, "nested conflict markers"
            assert line == f"{MARKERS[0]}before updating"
            side = regions.ours
        elif line == MARKERS[1] and side is not regions.outside:
            assert side is regions.ours, "two ======= in one conflict"
            side = regions.theirs
        elif line.startswith(MARKERS[2]):
            assert side is regions.theirs, "a conflict closed before its ======="
            assert line == f"{MARKERS[2]}after updating"
            side = regions.outside
        else:
            side.append(line)
    assert side is regions.outside, "an unclosed conflict"
    return regions


def _has_markers(text: str) -> bool:
    return any(line.startswith(MARKERS[0]) for line in text.splitlines())


def _unique(lines: Iterable[str]) -> set[str]:
    return {line for line in lines if line not in FILLERS}


def _check_file(s: Scenario, path: str, after: str, rej: str | None) -> None:
    """The property for one file that exists after the update."""
    team, v1, v2 = s.team.get(path), s.v1.get(path), s.v2.get(path)
    if team is None:  # only the new template has it
        assert v1 is None
        assert v2 is not None
        assert after == _text(v2), "a new template file differs from the template's"
        return
    if v1 == v2:  # the template did not touch it (files the team added included)
        assert after == _text(team), "the template did not touch it, yet it changed"
        return
    if team == v1:
        assert v2 is not None
        assert after == _text(v2), "the team did not touch it, yet it is not the template's"
        return

    # Both sides changed it (or both added it): a three-way merge.
    assert v2 is not None
    lines = after.splitlines()
    regions = _regions(lines)
    rejected = rej.splitlines()[1:] if rej is not None else []  # hunks, after a header
    rejected_added = {line[1:] for line in rejected if line.startswith("+")}
    rejected_removed = {line[1:] for line in rejected if line.startswith("-")}
    event("three-way merge" + (" with a conflict" if regions.ours or rejected else ", clean"))
    if s.conflict == "rej":
        assert not any(line.startswith(MARKERS) for line in lines), "markers in rej mode"

    for line in _unique(team) - set(v1 or ()):  # what the team added or changed
        assert line in lines or line in rejected_added, f"team line {line!r} dropped"
    assert set(regions.outside) <= set(team) | set(v2), "a line from neither side"
    assert set(regions.ours) <= set(team), "a line on the team's side that is not theirs"
    assert set(regions.theirs) <= set(v2), "a line on the template's side that is not its"

    rewrites = s.rewritten.get(path, {})
    for line in _unique(v1 or ()) - set(team):  # the team removed or changed it
        # The line itself if the template kept it, else the template's rewrite of it.
        witness = line if line in v2 else rewrites.get(line)
        if witness is None:  # the template removed it too
            continue
        if s.conflict == "inline":
            assert witness not in regions.outside, f"the team's removal of {line!r} undone"
        else:
            assert witness not in lines or line in rejected_removed, (
                f"the team's removal of {line!r} undone, and no rejected hunk says so"
            )


def _expected_report(
    before: Mapping[str, str], after: Mapping[str, str], conflicts: set[str]
) -> dict[str, str]:
    """Each file that differs from the team's commit, with the status it should have."""
    expected = {ANSWERS: "updated"}
    for path in before.keys() | after.keys():
        if before.get(path) == after.get(path):
            continue
        if path in conflicts:
            expected[path] = "conflict"
        elif path.endswith(".rej") and path.removesuffix(".rej") in conflicts:
            expected[path] = "rejected"  # the team's hunks beside the file, not a new file
        elif path not in before:
            expected[path] = "added"
        elif path not in after:
            expected[path] = "deleted"
        else:
            expected[path] = "updated"
    return expected


def _check(s: Scenario, project: Path) -> None:
    before = _files(project)
    plan: dict[str, str] = {}
    plan_code = 0
    if s.plan_first:
        code, out, err = _chassis("update", project, "--conflict", s.conflict, "--plan", "--json")
        assert code in (0, 4), err
        plan = _report(code, out, err, "json")
        plan_code = code
        assert _files(project) == before, "--plan changed the project"
        assert git("status", "--porcelain", cwd=project) == ""

    args = ["update", str(project), "--conflict", s.conflict]
    code, out, err = _chassis(*args, *(["--json"] if s.report == "json" else []))
    note(f"chassis {' '.join(args)} -> exit {code}\n{out}{err}")
    reported = _report(code, out, err, s.report)
    after = _files(project)
    assert "_commit: 2.0.0\n" in after.pop(ANSWERS)
    before.pop(ANSWERS)

    rej_files = {p for p in after if p.endswith(".rej")}
    if s.conflict == "inline":
        assert not rej_files
        conflicts = {p for p, text in after.items() if _has_markers(text)}
    else:
        conflicts = {p.removesuffix(".rej") for p in rej_files}

    gone = s.v1.keys() - s.v2.keys()  # the template deletes these
    survivors = {p for p in s.team if p not in gone} | (s.v2.keys() - s.v1.keys())
    assert after.keys() - rej_files == survivors, "files appeared or vanished"
    assert conflicts <= survivors
    for path in sorted(survivors):
        _check_file(s, path, after[path], after.get(f"{path}.rej"))

    # The files the template changes that the team deleted stay deleted, and are listed.
    kept_deleted = {p for p in s.v1.keys() & s.v2.keys() if p not in s.team and s.v1[p] != s.v2[p]}
    shown = {p: status for p, status in reported.items() if status != "kept-deleted"}
    assert shown == _expected_report(before, after, conflicts)
    assert reported.keys() - shown.keys() == kept_deleted
    assert code == (4 if conflicts else 0)
    # The exception's safety net: each deleted file that held team edits is named, with
    # where its edits are.
    notes = json.loads(out)["notes"] if s.report == "json" else _stderr_notes(err)
    named = {n.split(" had your edits, ")[0] for n in notes}
    assert named == _edited_and_deleted(s), notes
    assert all(n.endswith(f"git show HEAD:{n.split(' ')[0]}") for n in notes), notes
    event(f"{s.conflict}: {'conflicts, exit 4' if conflicts else 'clean, exit 0'}")

    if s.plan_first:
        assert plan == reported  # the plan and the update report the same files
        assert plan_code == code  # and predict the same exit code
        event("--plan first" + (", with kept-deleted files" if kept_deleted else ""))


def _events(s: Scenario) -> None:
    """Label the example for --hypothesis-show-statistics."""
    renamed = {p for p in s.team if p not in s.v1 and any(s.team[p] == s.v1[q] for q in s.v1)}
    if s.team.keys() - s.v1.keys():
        event("the team added or renamed a file")
    if s.team.keys() & (s.v2.keys() - s.v1.keys()):
        event("the team and the template both add a file")
    if s.v1.keys() - s.team.keys():
        event("the team deleted or renamed away a file")
    if _edited_and_deleted(s):
        event("the template deletes a file the team edited")
    if renamed:
        event("the team renamed a file without editing it")


@pytest.mark.slow
@pytest.mark.parametrize("shard", range(SHARDS))
@settings(settings.get_profile("update-safety"))
@given(s=scenarios())
def test_an_update_never_silently_drops_a_team_edit(shard: int, s: Scenario) -> None:
    """``shard`` only splits the examples for pytest-xdist: Hypothesis derives each
    shard's (deterministic) examples from its test id, so the shards differ."""
    note(f"v1={s.v1}\nv2={s.v2}\nteam={s.team}")
    _events(s)
    with tempfile.TemporaryDirectory(prefix="update-safety-") as tmp:
        _check(s, _build(Path(tmp), s))


def _edited_and_deleted(s: Scenario) -> set[str]:
    """Files the team edited in place and the template deletes."""
    return {p for p in s.v1.keys() - s.v2.keys() if p in s.team and s.team[p] != s.v1[p]}


def test_rej_mode_removes_an_edited_file_the_template_deletes(
    cli: Callable[..., Result], template_repo: Path
) -> None:
    """As inline mode does and docs/updating.md says: the file goes, reported "deleted"."""
    assert cli("new", "proj", "--template", template_repo, "--defaults").exit_code == 0
    project = Path("proj").resolve()
    write_tree(project, {"optional.txt": "an optional file\nthe team's line\n"})
    commit_all(project)
    release(template_repo, "2.0.0", {"project/optional.txt": None})

    result = cli("update", project, "--conflict", "rej", "--json")

    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["files"] == [
        {"path": ".copier-answers.yml", "status": "updated", "detail": ""},
        {"path": "optional.txt", "status": "deleted", "detail": ""},
    ]
    assert not (project / "optional.txt").exists()
    assert not (project / "optional.txt.rej").exists()
