"""Every bad input: one clear line naming the problem and the fix, its exit code, no traceback,
and nothing created or changed."""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest
from conftest import REPO, TINY_V1, Result, commit_all, git, snapshot, write_tree

from chassis import __version__, _bundle
from chassis.errors import ExitCode

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


@cache
def _bundled_versions() -> str:
    """The versions the bundled template offers, as error messages list them."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "service.bundle"
        return ", ".join(_bundle.build_bundle(REPO, version=__version__, out=out))


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


def _answers(content: str) -> Callable[[Path], None]:
    """A project at work/proj whose answers file holds ``content``, committed."""

    def setup(work: Path) -> None:
        _project(work, commit=False)
        write_tree(work, {"proj/.copier-answers.yml": content})
        commit_all(work / "proj")

    return setup


def _template_with_an_unreachable_submodule(work: Path) -> None:
    """A released template with a submodule on a host that cannot be reached."""
    write_tree(work / "tpl", {**TINY_V1, ".gitmodules": (
        '[submodule "vendor/lib"]\n\tpath = vendor/lib\n\turl = https://127.0.0.1:9/lib.git\n'
    )})  # fmt: skip
    git("init", "--quiet", cwd=work / "tpl")
    commit_all(work / "tpl")
    head = git("rev-parse", "HEAD", cwd=work / "tpl").strip()
    git("update-index", "--add", "--cacheinfo", f"160000,{head},vendor/lib", cwd=work / "tpl")
    git("commit", "--quiet", "-m", "vendor lib", cwd=work / "tpl")
    git("tag", "1.0.0", cwd=work / "tpl")


def _released_twice(work: Path) -> None:
    """A template tagged 1.0.0 and 2.0.0, and a project generated from 2.0.0."""
    write_tree(work / "tpl", TINY_V1)
    git("init", "--quiet", cwd=work / "tpl")
    commit_all(work / "tpl")
    git("tag", "1.0.0", cwd=work / "tpl")
    write_tree(work / "tpl", {"project/CHANGES.md": "2.0.0\n"})
    commit_all(work / "tpl")
    git("tag", "2.0.0", cwd=work / "tpl")
    _generated(("--template", "tpl", "--no-lock"))(work)


def _adr_repo(files: dict[str, str] | None = None) -> Callable[[Path], None]:
    """A git repository at work with docs/adr/ holding ``files``."""

    def setup(work: Path) -> None:
        _git_init(work)
        (work / "docs" / "adr").mkdir(parents=True)
        write_tree(work / "docs" / "adr", files or {})

    return setup


TWO_ADRS = {
    "0001-use-sqlite.md": "---\nstatus: accepted\ndate: 2026-01-02\n---\n\n# Use SQLite\n",
    "0002-use-github-actions.md": "# 2. Use GitHub Actions\n\n## Status\n\nAccepted\n",
}
SUPERSEDED = {
    "0001-use-sqlite.md": (
        "---\nstatus: superseded by ADR-0002\ndate: 2026-01-02\n---\n\n# Use SQLite\n"
    ),
    "0002-use-postgresql.md": "---\nstatus: accepted\ndate: 2026-02-03\n---\n\n# Use PostgreSQL\n",
}


def _git_init(work: Path) -> None:
    git("init", "--quiet", cwd=work)


def _bytes(name: str, content: bytes) -> Callable[[Path], None]:
    def setup(work: Path) -> None:
        (work / name).parent.mkdir(parents=True, exist_ok=True)
        (work / name).write_bytes(content)

    return setup


def _then(*setups: Callable[[Path], None]) -> Callable[[Path], None]:
    def setup(work: Path) -> None:
        for step in setups:
            step(work)

    return setup


NOT_UTF8 = b"# Title\n\xff\xfe\n"
NO_ADR_DIR = (
    "error: no ADR folder in {work} or above it (looked for docs/adr, docs/decisions, "
    "doc/adr, docs/architecture/decisions); run this inside a project that has one, create "
    "docs/adr/, or pass --dir"
)
FIX_SUPERSEDES = "pass the number of an existing ADR to --supersedes (see `chassis adr list`)"
NOT_A_DIRECTORY = (
    "error: {work}/%s is not a directory; run the command in, or pass, a generated project's root"
)


FIX_ANSWER = "fix it with --set KEY=VALUE or an answers file"
NOT_A_VERSION = (
    "error: {work}/proj/.copier-answers.yml records _commit 'banana', which is not a template "
    "version; restore it from git history (git log -p -- .copier-answers.yml)"
)

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
        "database, auth, ci, iac, sentry, adr_numbers, notes_in_project); "
        f"{FIX_ANSWER}",
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
        "be a mapping of question names to answers; fix the file (see docs/getting-started.md: "
        "a `defaults:` mapping and a `trust:` list) or remove it",
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
        "error: cannot reach 127.0.0.1 to read template source https://127.0.0.1:9/t.git: the "
        "network is unreachable from here; check your connection (or proxy), or pass a local "
        "clone to --template",
    ),
    Case(
        "template-host-unknown",
        ("new", "svc", "--template", "https://no-such-host.invalid/org/t.git"),
        1,
        "error: cannot reach no-such-host.invalid to read template source "
        "https://no-such-host.invalid/org/t.git: the network is unreachable from here; check "
        "your connection (or proxy), or pass a local clone to --template",
    ),
    Case(
        "template-submodule-unreachable",
        ("new", "svc", "--template", "tpl", "--defaults"),
        1,
        "error: cannot reach 127.0.0.1 to fetch a submodule of template {work}/tpl: the network "
        "is unreachable from here; check your connection (or proxy); every render of a "
        "template with submodules needs their hosts",
        _template_with_an_unreachable_submodule,
    ),
    Case(
        "unknown-version",
        ("new", "svc", "--defaults", "--vcs-ref", "9.9.9"),
        2,
        f"error: template version '9.9.9' does not exist in {BUNDLE}; choose one of: {{versions}}",
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
        f"error: template version '7.0.0' does not exist in {BUNDLE}; choose one of: {{versions}}",
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
        "has {versions}); upgrade chassis: this project was generated by a newer version",
        _project_from_the_future,
    ),
    Case(
        "update-version-missing-from-history",
        ("update", "proj"),
        1,
        f"error: the project records template version 0.0.7, which {BUNDLE} does not have (it "
        "has {versions}); install a chassis release whose template history includes 0.0.7",
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
    # --- new: more of the command line
    Case(
        "new-option-without-value",
        ("new", "svc", "--preset"),
        2,
        "error: Option '--preset' requires an argument; run `chassis new --help` for usage",
    ),
    Case(
        "new-extra-argument",
        ("new", "svc", "billing"),
        2,
        "error: Got unexpected extra argument(s) (billing); run `chassis new --help` for usage",
    ),
    Case(
        "set-empty-key",
        ("new", "svc", "--defaults", "--set", "=sqlite"),
        2,
        "error: --set '=sqlite' is not KEY=VALUE; write it as --set database=postgresql",
    ),
    Case(
        "set-unknown-architecture",
        ("new", "svc", "--defaults", "--set", "architecture=microservices"),
        2,
        "error: invalid answer architecture: 'microservices' is not one of monolith, "
        f"serverless; {FIX_ANSWER}",
    ),
    Case(
        "answers-file-unknown-key",
        ("new", "svc", "--defaults", "--answers-file", "a.yml"),
        2,
        "error: invalid answer colour: no such question (known: project_name, project_slug, "
        "package_name, description, author_name, author_email, python_version, architecture, "
        "database, auth, ci, iac, sentry, adr_numbers, notes_in_project); "
        f"{FIX_ANSWER}",
        _file("a.yml", "colour: blue\n"),
    ),
    Case(
        "answers-file-not-utf8",
        ("new", "svc", "--defaults", "--answers-file", "a.yml"),
        2,
        "error: cannot use answers file a.yml: 'utf-8' codec can't decode byte 0xff in "
        "position 0: invalid start byte; pass a YAML file that maps question names to answers",
        _bytes("a.yml", b"\xff\xfe"),
    ),
    Case(
        "template-unknown-version",
        ("new", "svc", "--template", "tpl", "--defaults", "--vcs-ref", "3.0.0"),
        2,
        "error: template version '3.0.0' does not exist in {work}/tpl; choose one of: 1.0.0",
        _template_with_a_future_choice,
    ),
    # --- update: more
    Case(
        "update-path-is-a-file",
        ("update", "notes.txt"),
        1,
        NOT_A_DIRECTORY % "notes.txt",
        _file("notes.txt", "not a project\n"),
    ),
    Case(
        "update-extra-argument",
        ("update", "proj", "other"),
        2,
        "error: Got unexpected extra argument(s) (other); run `chassis update --help` for usage",
    ),
    Case(
        "update-option-without-value",
        ("update", "--to"),
        2,
        "error: Option '--to' requires an argument; run `chassis update --help` for usage",
    ),
    Case(
        "update-set-without-equals",
        ("update", "proj", "--set", "ci"),
        2,
        "error: --set 'ci' is not KEY=VALUE; write it as --set database=postgresql",
        _generated(),
    ),
    Case(
        "update-set-unknown-key",
        ("update", "proj", "--set", "colour=blue"),
        2,
        "error: invalid answer colour: no such question (known: project_name, project_slug, "
        "package_name, description, author_name, author_email, python_version, architecture, "
        "database, auth, ci, iac, sentry, adr_numbers, notes_in_project); "
        f"{FIX_ANSWER}",
        _generated(),
    ),
    Case(
        "update-set-notes-in-project",
        ("update", "proj", "--set", "notes_in_project=true"),
        2,
        "error: --set notes_in_project would move module notes between the project's render "
        "and its own, and the update would delete its files; leave notes_in_project as it "
        "is; `chassis new` sets it for new projects",
        _generated(),
    ),
    Case(
        "update-answers-a-list",
        ("update", "proj"),
        1,
        "error: {work}/proj/.copier-answers.yml records no _src_path, so its template version "
        "is unknown; restore it from git history (git log -p -- .copier-answers.yml)",
        _answers("- 0.1.0\n"),
    ),
    Case(
        "update-backwards",
        ("update", "proj", "--to", "1.0.0"),
        1,
        "error: cannot update from template 2.0.0 back to 1.0.0; pass a --to version newer "
        "than the project's, or revert with git",
        _released_twice,
    ),
    Case(
        "update-template-source-gone",
        ("update", "proj"),
        1,
        "error: the project's template source /no/such/template does not exist; restore the "
        "template there, or set _src_path in .copier-answers.yml to where it is now",
        _answers("_commit: 1.0.0\n_src_path: /no/such/template\n"),
    ),
    # --- check
    Case(
        "check-path-missing",
        ("check", "gone"),
        1,
        NOT_A_DIRECTORY % "gone",
    ),
    Case(
        "check-path-is-a-file",
        ("check", "notes.txt"),
        1,
        NOT_A_DIRECTORY % "notes.txt",
        _file("notes.txt", "not a project\n"),
    ),
    Case(
        "check-extra-argument",
        ("check", "proj", "other"),
        2,
        "error: Got unexpected extra argument(s) (other); run `chassis check --help` for usage",
    ),
    Case(
        "check-tampered-answers",
        ("check", "proj"),
        1,
        "error: {work}/proj/.copier-answers.yml records no _commit, so its template version is "
        "unknown; restore it from git history (git log -p -- .copier-answers.yml)",
        _answers(f"_src_path: {BUNDLE}\n"),
    ),
    Case(
        "check-unreadable-answers",
        ("check", "proj"),
        1,
        "error: {work}/proj/.copier-answers.yml cannot be read (while parsing a flow sequence); "
        "restore it from git: git checkout HEAD -- .copier-answers.yml",
        _file("proj/.copier-answers.yml", "_commit: [0.1\n"),
    ),
    Case(
        "check-answers-file-is-a-directory",
        ("check", "proj"),
        1,
        "error: {work}/proj has no .copier-answers.yml, so chassis did not generate it; run the "
        "command in a generated project's root, or create one with `chassis new`",
        lambda work: (work / "proj" / ".copier-answers.yml").mkdir(parents=True),
    ),
    Case(
        "check-template-source-gone",
        ("check", "proj"),
        1,
        "error: the project's template source /no/such/template does not exist; restore the "
        "template there, or set _src_path in .copier-answers.yml to where it is now",
        _answers("_commit: 1.0.0\n_src_path: /no/such/template\n"),
    ),
    Case(
        "check-template-source-not-git",
        ("check", "proj"),
        1,
        "error: cannot read template source {work}/plain: fatal: '{work}/plain' does not "
        "appear to be a git repository; check the path or URL (and your network) and that it "
        "is a git repository",
        _then(
            _file("plain/copier.yml", "name: {type: str}\n"),
            lambda work: _answers(f"_commit: 1.0.0\n_src_path: {work}/plain\n")(work),
        ),
    ),
    Case(
        "check-unknown-recorded-version",
        ("check", "proj"),
        1,
        f"error: the project records template version 0.9.0, which {BUNDLE} does not have (it "
        "has {versions}); upgrade chassis: this project was generated by a newer version",
        _project_from_the_future,
    ),
    Case(
        "check-recorded-tag-gone",
        ("check", "proj"),
        1,
        "error: the project records template version 1.5.0, which {work}/tpl does not have (it "
        "has 1.0.0, 2.0.0); check that the template source still has that tag",
        _then(
            _released_twice,
            lambda work: write_tree(
                work, {"proj/.copier-answers.yml": f"_commit: 1.5.0\n_src_path: {work}/tpl\n"}
            ),
        ),
    ),
    # --- template
    Case(
        "template-export-unknown-option",
        ("template", "export", "--to", "x"),
        2,
        "error: No such option: --to (Possible options: --json); run `chassis template export "
        "--help` for usage",
    ),
    Case(
        "template-unknown-command",
        ("template", "exprt"),
        2,
        "error: No such command 'exprt'. Did you mean 'export'?; run `chassis template --help` "
        "for usage",
    ),
    # --- presets
    Case(
        "presets-unknown-option",
        ("presets", "--colour"),
        2,
        "error: No such option: --colour; run `chassis presets --help` for usage",
    ),
    Case(
        "presets-extra-argument",
        ("presets", "minimal"),
        2,
        "error: Got unexpected extra argument(s) (minimal); run `chassis presets --help` for usage",
    ),
    Case(
        "presets-template-without-value",
        ("presets", "--template"),
        2,
        "error: Option '--template' requires an argument; run `chassis presets --help` for usage",
    ),
    Case(
        "presets-template-not-git",
        ("presets", "--template", "plain"),
        1,
        "error: cannot read template source plain: fatal: '{work}/plain' does not appear to be "
        "a git repository; check the path or URL (and your network) and that it is a git "
        "repository",
        _file("plain/copier.yml", "name: {type: str}\n"),
    ),
    Case(
        "presets-template-without-tags",
        ("presets", "--template", "tpl"),
        1,
        "error: template source tpl has no version tags; tag a release of the template (for "
        "example `git tag 0.1.0`): chassis update needs versions to update between",
        _tagless_repo,
    ),
    Case(
        "presets-template-is-a-file",
        ("presets", "--template", "notes.txt"),
        1,
        "error: cannot read template source notes.txt: fatal: invalid gitfile format: "
        "{work}/notes.txt; check the path or URL (and your network) and that it is a git "
        "repository",
        _file("notes.txt", "not a template\n"),
    ),
    # --- adr new
    Case(
        "adr-unknown-command",
        ("adr", "delete", "1"),
        2,
        "error: No such command 'delete'; run `chassis adr --help` for usage",
    ),
    Case(
        "adr-new-no-title",
        ("adr", "new"),
        2,
        "error: Missing argument 'title'; run `chassis adr new --help` for usage",
    ),
    Case(
        "adr-new-unquoted-title",
        ("adr", "new", "Use", "PostgreSQL"),
        2,
        "error: Got unexpected extra argument(s) (PostgreSQL); run `chassis adr new --help` "
        "for usage",
        _adr_repo(),
    ),
    Case(
        "adr-new-unknown-option",
        ("adr", "new", "Use PostgreSQL", "--colour"),
        2,
        "error: No such option: --colour; run `chassis adr new --help` for usage",
        _adr_repo(),
    ),
    Case("adr-new-outside-a-project", ("adr", "new", "Use PostgreSQL"), 1, NO_ADR_DIR),
    Case(
        "adr-new-repository-without-adr-folder",
        ("adr", "new", "Use PostgreSQL"),
        1,
        NO_ADR_DIR,
        _git_init,
    ),
    Case(
        "adr-new-adr-folder-is-a-file",
        ("adr", "new", "Use PostgreSQL"),
        1,
        NO_ADR_DIR,
        _then(_git_init, _file("docs/adr", "a file\n")),
    ),
    Case(
        "adr-new-empty-title",
        ("adr", "new", ""),
        2,
        'error: the ADR title is empty; give a title such as "Use PostgreSQL"',
        _adr_repo(),
    ),
    Case(
        "adr-new-blank-title",
        ("adr", "new", "  \t "),
        2,
        'error: the ADR title is empty; give a title such as "Use PostgreSQL"',
        _adr_repo(),
    ),
    Case(
        "adr-new-title-without-letters",
        ("adr", "new", "?!"),
        2,
        "error: the title '?!' has no letters or digits to name the file with; give a title "
        'such as "Use PostgreSQL for reporting"',
        _adr_repo(TWO_ADRS),
    ),
    Case(
        "adr-supersedes-missing",
        ("adr", "new", "Use PostgreSQL", "--supersedes", "9"),
        2,
        "error: there is no ADR 9 in {work}/docs/adr (the highest is 0002); " + FIX_SUPERSEDES,
        _adr_repo(TWO_ADRS),
    ),
    Case(
        "adr-supersedes-in-an-empty-folder",
        ("adr", "new", "Use PostgreSQL", "--supersedes", "1"),
        2,
        "error: there is no ADR 1 in {work}/docs/adr (there are none yet); " + FIX_SUPERSEDES,
        _adr_repo(),
    ),
    Case(
        "adr-supersedes-zero",
        ("adr", "new", "Use PostgreSQL", "--supersedes", "0"),
        2,
        "error: there is no ADR 0 in {work}/docs/adr (the highest is 0002); " + FIX_SUPERSEDES,
        _adr_repo(TWO_ADRS),
    ),
    Case(
        "adr-supersedes-not-a-number",
        ("adr", "new", "Use PostgreSQL", "--supersedes", "ADR-0001"),
        2,
        "error: Invalid value for '--supersedes': Input should be a valid integer, unable to "
        "parse string as an integer; run `chassis adr new --help` for usage",
        _adr_repo(TWO_ADRS),
    ),
    Case(
        "adr-supersedes-without-value",
        ("adr", "new", "Use PostgreSQL", "--supersedes"),
        2,
        "error: Option '--supersedes' requires an argument; run `chassis adr new --help` for usage",
        _adr_repo(TWO_ADRS),
    ),
    Case(
        "adr-supersedes-an-already-superseded-record",
        ("adr", "new", "Use DynamoDB", "--supersedes", "1"),
        2,
        "error: ADR 1 (Use SQLite) is already superseded by ADR-0002; supersede the ADR that "
        "replaced it instead",
        _adr_repo(SUPERSEDED),
    ),
    Case(
        "adr-supersedes-a-record-that-is-not-utf8",
        ("adr", "new", "Use PostgreSQL", "--supersedes", "1"),
        1,
        "error: {work}/docs/adr/0001-use-sqlite.md is not UTF-8 text; save it as UTF-8, then "
        "run the command again",
        _then(_adr_repo(), _bytes("docs/adr/0001-use-sqlite.md", NOT_UTF8)),
    ),
    Case(
        "adr-template-not-utf8",
        ("adr", "new", "Use PostgreSQL"),
        1,
        "error: {work}/docs/adr/template.md is not UTF-8 text; save it as UTF-8, then run the "
        "command again",
        _then(_adr_repo(), _bytes("docs/adr/template.md", NOT_UTF8)),
    ),
    Case(
        "adr-unknown-status",
        ("adr", "new", "Use PostgreSQL", "--status", "rejected"),
        2,
        "error: Invalid value for '--status': 'rejected' is not one of 'proposed', 'accepted'; "
        "run `chassis adr new --help` for usage",
        _adr_repo(),
    ),
    Case(
        "adr-impossible-date",
        ("adr", "new", "Use PostgreSQL", "--date", "2026-02-30"),
        2,
        "error: Invalid value for '--date': '2026-02-30' does not match the formats "
        "'%Y-%m-%d'; run `chassis adr new --help` for usage",
        _adr_repo(),
    ),
    Case(
        "adr-date-in-another-format",
        ("adr", "new", "Use PostgreSQL", "--date", "04/03/2026"),
        2,
        "error: Invalid value for '--date': '04/03/2026' does not match the formats "
        "'%Y-%m-%d'; run `chassis adr new --help` for usage",
        _adr_repo(),
    ),
    Case(
        "adr-new-dir-missing",
        ("adr", "new", "Use PostgreSQL", "--dir", "decisions"),
        1,
        "error: the ADR folder decisions does not exist; create it, or pass an existing --dir",
    ),
    Case(
        "adr-new-dir-is-a-file",
        ("adr", "new", "Use PostgreSQL", "--dir", "README.md"),
        1,
        "error: the ADR folder README.md is not a directory; create it, or pass an existing --dir",
        _file("README.md", "# svc\n"),
    ),
    # --- adr list
    Case("adr-list-outside-a-project", ("adr", "list"), 1, NO_ADR_DIR),
    Case(
        "adr-list-extra-argument",
        ("adr", "list", "docs/adr"),
        2,
        "error: Got unexpected extra argument(s) (docs/adr); run `chassis adr list --help` for "
        "usage",
        _adr_repo(TWO_ADRS),
    ),
    Case(
        "adr-list-unknown-option",
        ("adr", "list", "--jsn"),
        2,
        "error: No such option: --jsn (Possible options: --json); run `chassis adr list --help` "
        "for usage",
        _adr_repo(TWO_ADRS),
    ),
    Case(
        "adr-list-dir-missing",
        ("adr", "list", "--dir", "decisions"),
        1,
        "error: the ADR folder decisions does not exist; create it, or pass an existing --dir",
    ),
    Case(
        "adr-list-dir-is-a-file",
        ("adr", "list", "--dir", "README.md"),
        1,
        "error: the ADR folder README.md is not a directory; create it, or pass an existing --dir",
        _file("README.md", "# svc\n"),
    ),
    Case(
        "adr-list-adr-dir-marker-not-utf8",
        ("adr", "list"),
        1,
        "error: {work}/.adr-dir is not UTF-8 text; save it as UTF-8, then run the command again",
        _then(_git_init, _bytes(".adr-dir", b"\xff\xfe\n")),
    ),
    Case(
        "check-recorded-version-not-pep440",
        ("check", "proj"),
        1,
        NOT_A_VERSION,
        _answers(f"_commit: banana\n_src_path: {BUNDLE}\n"),
    ),
    Case(
        "update-recorded-version-not-pep440",
        ("update", "proj"),
        1,
        NOT_A_VERSION,
        _answers(f"_commit: banana\n_src_path: {BUNDLE}\n"),
    ),
]

# An empty value, as `chassis new "$DIR"` gives when DIR is unset: refused, never read as
# the current directory, the bundled template or no preset.
OPTIONAL = "give a value, or leave the option out for its default"
PROJECT = "give the project's directory, or leave it out for the current one"
EMPTY = [
    ("new", "dest", ("new", ""), "name the directory to create"),
    ("new", "--template", ("new", "svc", "--defaults", "--template", ""), OPTIONAL),
    ("new", "--preset", ("new", "svc", "--defaults", "--preset="), OPTIONAL),
    ("new", "--vcs-ref", ("new", "svc", "--defaults", "--vcs-ref", ""), OPTIONAL),
    ("new", "--answers-file", ("new", "svc", "--defaults", "--answers-file", ""), OPTIONAL),
    ("update", "path", ("update", ""), PROJECT),
    ("update", "--to", ("update", "--to", ""), OPTIONAL),
    ("check", "path", ("check", " "), PROJECT),
    ("presets", "--template", ("presets", "--template", ""), OPTIONAL),
    ("adr list", "--dir", ("adr", "list", "--dir", ""), OPTIONAL),
]
CASES += [
    Case(
        f"{command.replace(' ', '-')}-empty-{name.lstrip('-')}",
        args,
        2,
        f"error: Invalid value for '{name}': it is empty; {fix}; "
        f"run `chassis {command} --help` for usage",
    )
    for command, name, args, fix in EMPTY
]


def _documented_exit_codes() -> set[int]:
    """The codes in the table of docs/exit-codes.md."""
    text = (REPO / "docs" / "exit-codes.md").read_text()
    return {int(m.group(1)) for m in re.finditer(r"^\| (\d+) \|", text, re.MULTILINE)}


DOCUMENTED_EXIT_CODES = _documented_exit_codes()


def _directories(root: Path) -> list[str]:
    """Every directory under ``root`` outside .git: an empty one left behind counts too."""
    return sorted(
        str(p.relative_to(root))
        for p in root.rglob("*")
        if p.is_dir() and ".git" not in p.relative_to(root).parts
    )


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input(cli: Cli, case: Case) -> None:
    work = Path.cwd()
    case.setup(work)
    before = snapshot(work), _directories(work)

    result = cli(*case.args)

    expected = case.message.format(work=work, home=Path.home(), versions=_bundled_versions())
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines[:1] == [expected]
    # One line; only invalid answers are listed under it, one per line (docs/exit-codes.md).
    assert all(line.startswith("  - ") for line in lines[1:]), result.stderr
    assert not lines[1:] or re.match(r"error: \d+ answers are invalid; ", expected)
    assert "; " in expected  # what went wrong; what to do
    assert result.exit_code == case.code
    assert case.code in DOCUMENTED_EXIT_CODES - {0}
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
    assert (snapshot(work), _directories(work)) == before
    assert not any(p.name.startswith(".svc.chassis-") for p in work.rglob("*"))


def test_the_catalogue_is_large_enough() -> None:
    assert len(CASES) >= 60
    assert len({c.id for c in CASES}) == len(CASES)


def test_the_catalogue_covers_every_command() -> None:
    commands = {c.args[0] for c in CASES}
    assert commands >= {"new", "update", "check", "adr", "presets"}
    assert {c.args[1] for c in CASES if c.args[0] == "adr"} >= {"new", "list"}


def test_the_documented_exit_codes_are_chassis_exit_codes() -> None:
    assert {int(code) for code in ExitCode} == DOCUMENTED_EXIT_CODES


@pytest.mark.parametrize("group", [(), ("adr",)], ids=["chassis", "adr"])
def test_a_group_without_a_command_shows_its_help(cli: Cli, group: tuple[str, ...]) -> None:
    result = cli(*group)

    assert result.exit_code == 2
    assert result.stderr.startswith(f"Usage: {' '.join(('chassis', *group))} [OPTIONS] COMMAND")
    assert "error:" not in result.stderr
    assert result.stdout == ""
    assert list(Path.cwd().iterdir()) == []


@pytest.mark.parametrize(
    ("args", "setup"),
    [
        (("new", "svc", "--defaults"), None),
        (("update", "proj"), _generated()),
        (("check", "proj"), _generated()),
        (("presets",), None),
        (("presets", "--template", "tpl"), _tagless_repo),
    ],
    ids=["new", "update", "check", "presets", "presets-template"],
)
def test_missing_git_is_reported(
    cli: Cli,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    args: tuple[str, ...],
    setup: Callable[[Path], None] | None,
) -> None:
    work = Path.cwd()
    if setup:
        setup(work)
    before = snapshot(work), _directories(work)
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))

    result = cli(*args)

    assert result.exit_code == 1
    assert result.stderr.strip() == (
        "error: git is not installed or not on PATH; install git and run chassis again"
    )
    assert (snapshot(work), _directories(work)) == before


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
