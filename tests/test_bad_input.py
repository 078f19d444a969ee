"""Every bad input: one clear line naming the problem and the fix, its exit code, no traceback,
and nothing created or changed."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import Result, commit_all, git, snapshot, write_tree

Cli = Callable[..., Result]


@dataclass(frozen=True)
class Case:
    id: str
    args: tuple[str, ...]
    code: int
    message: str  # the whole first line of stderr; {work} and {home} are filled in
    setup: Callable[[Path], None] = lambda work: None


def _project(work: Path, *, git_init: bool = True, commit: bool = True) -> None:
    """A tiny generated-looking project at work/proj."""
    write_tree(
        work,
        {
            "proj/.copier-answers.yml": (
                "_commit: 0.1.0\n_src_path: ~/.cache/chassis/templates/service.bundle\n"
                "project_name: proj\n"
            ),
            "proj/README.md": "# proj\n",
        },
    )
    if git_init:
        git("init", "--quiet", cwd=work / "proj")
        if commit:
            commit_all(work / "proj")


def _generated(cli_args: tuple[str, ...] = ()) -> Callable[[Path], None]:
    def setup(work: Path) -> None:
        from chassis.cli import main  # noqa: PLC0415

        with pytest.raises(SystemExit) as exited:
            main(["new", str(work / "proj"), "--defaults", *cli_args])
        assert exited.value.code == 0

    return setup


def _file(name: str, content: str) -> Callable[[Path], None]:
    return lambda work: write_tree(work, {name: content})


def _tagless_repo(work: Path) -> None:
    write_tree(work, {"tpl/copier.yml": "name: {type: str}\n"})
    git("init", "--quiet", cwd=work / "tpl")
    commit_all(work / "tpl")


def _template_with_a_future_choice(work: Path) -> None:
    """A released template whose choice `jenkins`, and the preset using it, are not
    implemented yet."""
    write_tree(
        work,
        {
            "tpl/copier.yml": (
                "_subdirectory: project\n"
                "ci:\n  type: str\n  default: none\n  choices:\n    None: none\n"
                "    Jenkins:\n      value: jenkins\n"
                "      validator: not implemented in this template version yet; choose none\n"
            ),
            "tpl/project/README.md": "# service\n",
            "tpl/presets/everything.yml": "description: Every tool.\nanswers:\n  ci: jenkins\n",
        },
    )
    git("init", "--quiet", cwd=work / "tpl")
    commit_all(work / "tpl")
    git("tag", "1.0.0", cwd=work / "tpl")


def _broken_user_config(work: Path) -> None:
    write_tree(Path.home(), {".config/chassis/config.yml": "defaults: [not, a, mapping]\n"})


BUNDLE = "~/.cache/chassis/templates/service.bundle"


def _dirty_project(work: Path) -> None:
    _generated()(work)
    write_tree(work, {"proj/README.md": "edited\n"})


def _project_from_the_past(work: Path) -> None:
    _project(work, commit=False)
    write_tree(work, {"proj/.copier-answers.yml": f"_commit: 0.0.7\n_src_path: {BUNDLE}\n"})
    commit_all(work / "proj")


def _project_from_the_future(work: Path) -> None:
    _project(work, commit=False)
    write_tree(work, {"proj/.copier-answers.yml": f"_commit: 0.9.0\n_src_path: {BUNDLE}\n"})
    commit_all(work / "proj")


FIX_ANSWER = "fix it with --set KEY=VALUE or an answers file"

CASES = [
    # --- new: the command line
    Case(
        "new-no-dest",
        ("new",),
        2,
        "error: Missing argument 'dest'; run `chassis new --help` for usage",
    ),
    Case(
        "new-unknown-option",
        ("new", "svc", "--colour"),
        2,
        "error: No such option: --colour; run `chassis new --help` for usage",
    ),
    Case(
        "unknown-command",
        ("create", "svc"),
        2,
        "error: No such command 'create'; run `chassis --help` for usage",
    ),
    Case(
        "set-without-equals",
        ("new", "svc", "--defaults", "--set", "database"),
        2,
        "error: --set 'database' is not KEY=VALUE; write it as --set database=postgresql",
    ),
    Case(
        "set-unknown-key",
        ("new", "svc", "--defaults", "--set", "colour=blue"),
        2,
        "error: invalid answer colour: no such question (known: project_name, project_slug, "
        "package_name, description, author_name, author_email, python_version, architecture, "
        f"database, auth, ci, iac, sentry); {FIX_ANSWER}",
    ),
    Case(
        "set-unknown-choice",
        ("new", "svc", "--defaults", "--set", "database=mysql"),
        2,
        "error: invalid answer database: 'mysql' is not one of sqlite, postgresql, dynamodb, "
        f"none; {FIX_ANSWER}",
    ),
    Case(
        "set-not-a-bool",
        ("new", "svc", "--defaults", "--set", "sentry=maybe"),
        2,
        f"error: invalid answer sentry: 'maybe' is not a yes/no value (use true or false); "
        f"{FIX_ANSWER}",
    ),
    Case(
        "unsupported-python",
        ("new", "svc", "--defaults", "--set", "python_version=3.9"),
        2,
        f"error: invalid answer python_version: '3.9' is not one of 3.11, 3.12, 3.13; {FIX_ANSWER}",
    ),
    Case(
        "slug-with-underscore",
        ("new", "svc", "--defaults", "--set", "project_slug=my_svc"),
        2,
        'error: invalid answer project_slug: "my_svc" is not kebab-case starting with a letter '
        f"(like my-service); {FIX_ANSWER}",
    ),
    # The derived package name is as invalid as the slug it comes from: both are listed.
    Case(
        "slug-starts-with-digit",
        ("new", "svc", "--defaults", "--set", "project_slug=1st"),
        2,
        "error: 2 answers are invalid; fix them with --set KEY=VALUE or an answers file",
    ),
    Case(
        "slug-with-capitals",
        ("new", "svc", "--defaults", "--set", "project_slug=MySvc"),
        2,
        'error: invalid answer project_slug: "MySvc" is not kebab-case starting with a letter '
        f"(like my-service); {FIX_ANSWER}",
    ),
    Case(
        "package-keyword",
        ("new", "svc", "--defaults", "--set", "package_name=import"),
        2,
        f'error: invalid answer package_name: "import" is a Python keyword; {FIX_ANSWER}',
    ),
    Case(
        "package-not-identifier",
        ("new", "svc", "--defaults", "--set", "package_name=my-pkg"),
        2,
        'error: invalid answer package_name: "my-pkg" is not a valid Python identifier '
        f"(like my_service); {FIX_ANSWER}",
    ),
    Case(
        "bad-email",
        ("new", "svc", "--defaults", "--set", "author_email=lead.example.com"),
        2,
        'error: invalid answer author_email: "lead.example.com" is not an email address '
        f"(like team@example.com); {FIX_ANSWER}",
    ),
    Case(
        "blank-name",
        ("new", "svc", "--defaults", "--set", "project_name= "),
        2,
        "error: 3 answers are invalid; fix them with --set KEY=VALUE or an answers file",
    ),
    Case(
        "slug-too-long",
        ("new", "svc", "--defaults", "--set", "project_slug=customer-onboarding-service"),
        2,
        "error: 2 answers are invalid; fix them with --set KEY=VALUE or an answers file",
    ),
    Case(
        "name-with-quote",
        ("new", "svc", "--defaults", "--set", 'project_name=The "Best" API'),
        2,
        "error: invalid answer project_name: must not contain double quotes or backslashes; "
        f"{FIX_ANSWER}",
    ),
    Case(
        "not-implemented-choice",
        ("new", "svc", "--template", "tpl", "--defaults", "--set", "ci=jenkins"),
        2,
        "error: invalid answer ci: jenkins is not available: not implemented in this "
        f"template version yet; choose none; {FIX_ANSWER}",
        _template_with_a_future_choice,
    ),
    Case(
        "impossible-combination",
        ("new", "svc", "--defaults", "--set", "architecture=serverless"),
        2,
        "error: invalid answer database: sqlite is not available: a serverless service has no "
        "durable disk for a SQLite file (Lambda's storage is wiped between invocations); "
        f"choose dynamodb or postgresql; {FIX_ANSWER}",
    ),
    Case(
        "unknown-preset",
        ("new", "svc", "--preset", "huge"),
        2,
        "error: unknown preset 'huge'; choose one of minimal, modular-monolith, serverless-mvp "
        "(see `chassis presets`)",
    ),
    Case(
        "unavailable-preset",
        ("new", "svc", "--template", "tpl", "--preset", "everything"),
        1,
        "error: preset 'everything' is not available in template 1.0.0: ci: jenkins is not "
        "available: not implemented in this template version yet; choose none; choose an "
        "available preset (see `chassis presets`)",
        _template_with_a_future_choice,
    ),
    # --- new: answers files and config
    Case(
        "answers-file-missing",
        ("new", "svc", "--answers-file", "nope.yml"),
        2,
        "error: cannot use answers file nope.yml: the file does not exist; pass a YAML file "
        "that maps question names to answers",
    ),
    Case(
        "answers-file-broken",
        ("new", "svc", "--answers-file", "a.yml"),
        2,
        "error: cannot use answers file a.yml: it is not valid YAML at line 2; pass a YAML "
        "file that maps question names to answers",
        _file("a.yml", "database: sqlite\nci: [github\n"),
    ),
    Case(
        "answers-file-a-list",
        ("new", "svc", "--answers-file", "a.yml"),
        2,
        "error: cannot use answers file a.yml: it holds a list, not a mapping; pass a YAML "
        "file that maps question names to answers",
        _file("a.yml", "- sqlite\n"),
    ),
    Case(
        "answers-file-a-directory",
        ("new", "svc", "--answers-file", "."),
        2,
        "error: cannot use answers file .: it is a directory; pass a YAML file that maps "
        "question names to answers",
    ),
    Case(
        "broken-user-config",
        ("new", "svc", "--defaults"),
        1,
        "error: cannot read chassis config {home}/.config/chassis/config.yml: `defaults` must "
        "be a mapping of question names to answers; fix the file (a YAML mapping with a "
        "`defaults:` mapping) or remove it",
        _broken_user_config,
    ),
    # --- new: the target
    Case(
        "target-not-empty",
        ("new", "svc", "--defaults"),
        1,
        "error: {work}/svc already exists and is not empty; choose a new directory name, or "
        "use `chassis update` inside an existing project",
        _file("svc/keep.txt", "mine\n"),
    ),
    Case(
        "target-is-a-file",
        ("new", "svc", "--defaults"),
        1,
        "error: {work}/svc is a file; choose a directory name for the new project",
        _file("svc", "a file\n"),
    ),
    Case(
        "target-parent-missing",
        ("new", "a/b/svc", "--defaults"),
        1,
        "error: the parent directory {work}/a/b does not exist; create it first: "
        "mkdir -p {work}/a/b",
    ),
    # --- new: the template source
    Case(
        "template-missing",
        ("new", "svc", "--template", "./no-such-template"),
        1,
        "error: template source ./no-such-template does not exist; pass a git repository, a "
        "git bundle or a git URL to --template",
    ),
    Case(
        "template-not-git",
        ("new", "svc", "--template", "plain"),
        1,
        "error: cannot read template source plain: fatal: '{work}/plain' does not appear to be "
        "a git repository; check the path or URL (and your network) and that it is a git "
        "repository",
        _file("plain/copier.yml", "name: {type: str}\n"),
    ),
    Case(
        "template-without-tags",
        ("new", "svc", "--template", "tpl"),
        1,
        "error: template source tpl has no version tags; tag a release of the template (for "
        "example `git tag 0.1.0`): chassis update needs versions to update between",
        _tagless_repo,
    ),
    Case(
        "template-unreachable",
        ("new", "svc", "--template", "https://127.0.0.1:9/t.git"),
        1,
        "error: cannot read template source https://127.0.0.1:9/t.git: fatal: unable to access "
        "'https://127.0.0.1:9/t.git/': Failed to connect to 127.0.0.1 port 9 after 0 ms: "
        "Couldn't connect to server; check the path or URL (and your network) and that it is "
        "a git repository",
    ),
    Case(
        "unknown-version",
        ("new", "svc", "--defaults", "--vcs-ref", "9.9.9"),
        2,
        f"error: template version '9.9.9' does not exist in {BUNDLE}; choose one of: 0.1.0",
    ),
    # --- update
    Case(
        "update-not-a-project",
        ("update",),
        1,
        "error: {work} has no .copier-answers.yml, so chassis did not generate it; run the "
        "command in a generated project's root, or create one with `chassis new`",
    ),
    Case(
        "update-path-missing",
        ("update", "gone"),
        1,
        "error: {work}/gone is not a directory; run the command in, or pass, a generated "
        "project's root",
    ),
    Case(
        "update-tampered-answers",
        ("update", "proj"),
        1,
        "error: {work}/proj/.copier-answers.yml records no _commit, so its template version is "
        "unknown; restore it from git history (git log -p -- .copier-answers.yml)",
        _file("proj/.copier-answers.yml", "_src_path: x\n"),
    ),
    Case(
        "update-unreadable-answers",
        ("update", "proj"),
        1,
        "error: {work}/proj/.copier-answers.yml cannot be read (while parsing a flow sequence); "
        "restore it from git: git checkout HEAD -- .copier-answers.yml",
        _file("proj/.copier-answers.yml", "_commit: [0.1\n"),
    ),
    Case(
        "update-no-git",
        ("update", "proj"),
        1,
        "error: {work}/proj is not inside a git repository; run `git init && git add -A && git "
        "commit -m 'Initial commit'` first: chassis update merges against your committed files",
        lambda work: _project(work, git_init=False),
    ),
    Case(
        "update-no-commits",
        ("update", "proj"),
        1,
        "error: the git repository at {work}/proj has no commits; commit the project first: "
        "chassis update merges against your committed files",
        lambda work: _project(work, commit=False),
    ),
    Case(
        "update-dirty",
        ("update", "proj"),
        1,
        "error: {work}/proj has uncommitted changes (README.md); commit or stash them first, so "
        "the update can be reviewed and undone",
        _dirty_project,
    ),
    Case(
        "update-bad-conflict-mode",
        ("update", "--conflict", "ours"),
        2,
        "error: Invalid value for '--conflict': 'ours' is not one of 'inline', 'rej'; run "
        "`chassis update --help` for usage",
    ),
    Case(
        "update-unknown-version",
        ("update", "proj", "--to", "7.0.0"),
        2,
        f"error: template version '7.0.0' does not exist in {BUNDLE}; choose one of: 0.1.0",
        _generated(),
    ),
    Case(
        "update-invalid-set",
        ("update", "proj", "--set", "ci=jenkins"),
        2,
        f"error: invalid answer ci: 'jenkins' is not one of github, gitlab, none; {FIX_ANSWER}",
        _generated(),
    ),
    Case(
        "update-unknown-recorded-version",
        ("update", "proj"),
        1,
        f"error: the project records template version 0.9.0, which {BUNDLE} does not have (it "
        "has 0.1.0); upgrade chassis: this project was generated by a newer version",
        _project_from_the_future,
    ),
    Case(
        "update-version-missing-from-history",
        ("update", "proj"),
        1,
        f"error: the project records template version 0.0.7, which {BUNDLE} does not have (it "
        "has 0.1.0); install a chassis release whose template history includes 0.0.7",
        _project_from_the_past,
    ),
    # --- check and presets
    Case(
        "check-not-a-project",
        ("check", "."),
        1,
        "error: {work} has no .copier-answers.yml, so chassis did not generate it; run the "
        "command in a generated project's root, or create one with `chassis new`",
    ),
    Case(
        "check-unknown-option",
        ("check", "--verbose-json"),
        2,
        "error: No such option: --verbose-json (Possible options: --json); run `chassis check "
        "--help` for usage",
    ),
    Case(
        "presets-missing-template",
        ("presets", "--template", "/no/such/tpl"),
        1,
        "error: template source /no/such/tpl does not exist; pass a git repository, a git "
        "bundle or a git URL to --template",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input(cli: Cli, case: Case) -> None:
    work = Path.cwd()
    case.setup(work)
    before = snapshot(work)

    result = cli(*case.args)

    expected = case.message.format(work=work, home=Path.home())
    assert result.stderr.splitlines()[:1] == [expected]
    assert result.exit_code == case.code
    assert "Traceback" not in result.stderr
    assert snapshot(work) == before
    assert not any(p.name.startswith(".svc.chassis-") for p in work.rglob("*"))


def test_the_catalogue_is_large_enough() -> None:
    assert len(CASES) >= 40


def test_missing_git_is_reported(cli: Cli, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))

    result = cli("new", "svc", "--defaults")

    assert result.exit_code == 1
    assert result.stderr.strip() == (
        "error: git is not installed or not on PATH; install git and run chassis again"
    )
    assert list(Path.cwd().iterdir()) == []


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write anywhere; permissions mean nothing")
def test_an_unwritable_parent_is_refused(cli: Cli) -> None:
    parent = Path("locked")
    parent.mkdir()
    parent.chmod(0o500)
    try:
        result = cli("new", "locked/svc", "--defaults")
    finally:
        parent.chmod(0o700)

    assert result.exit_code == 1
    assert result.stderr.strip() == (
        f"error: cannot write to {parent.resolve()}; choose a directory you can write to, or fix "
        "its permissions"
    )
