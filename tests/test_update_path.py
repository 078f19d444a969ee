"""A team's work survives template updates and changed decisions.

Update path: for each preset, a project generated from the last recorded release of
the bundled template (templates/RELEASES) gets realistic team edits (a new module added
the way the onboarding guide says, an edited README section, a changed setting, a
deleted optional file), then `chassis update` brings it to the development version,
the working tree, through the same bundle users get. The result must be exactly the
current template plus the team's edits, with no conflict, and pass the project's own
checks.

Answer changes: `chassis update --set` switches CI, auth, database and architecture
in a project with a team module; the domain code stays byte for byte, a new ADR
supersedes the old one, and the project's own checks pass.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml
from checks import check_infra, check_no_markers, check_project
from conftest import REPO, Result, commit_all, git
from uv import find_uv_bin

from chassis import __version__, _bundle, sources

Cli = Callable[..., Result]

PRESETS = ["minimal", "modular-monolith", "serverless-mvp"]


@dataclass(frozen=True)
class History:
    """The bundled template's last recorded release, and the version being developed."""

    previous: str
    current: str


@pytest.fixture(scope="session")
def history(tmp_path_factory: pytest.TempPathFactory) -> History:
    """What a team sees when this chassis is released: its project is at the last
    release, and the bundle offers the working tree as the next version."""
    out = tmp_path_factory.mktemp("bundle") / "service.bundle"
    try:
        versions = _bundle.build_bundle(REPO, version=__version__, out=out)
    except _bundle.ReleaseHistoryError as error:
        pytest.fail(str(error))
    released = [r.version for r in _bundle.read_releases(REPO)]
    if not released:
        pytest.fail(f"{_bundle.RELEASES_FILE} records no release to update from")
    if versions[-1] == released[-1]:
        pytest.skip(f"the template has not changed since release {released[-1]}: no update")
    return History(released[-1], versions[-1])


# --- the team's edits ---------------------------------------------------------


@dataclass
class TeamEdits:
    """What the team changed after generating: files it added, text it replaced in the
    template's files, files it deleted. Applied again to a fresh render of the new
    template, they give what the update must produce.

    ``superseded``: the files whose edits the new template makes needless, and rewrites
    where the team made them (since 0.2.0 the app finds its modules: registering one by
    hand in app.py and migrations/env.py, and the README's copy-and-rename sentence).
    The update reports them as conflicts, and the team takes the template's side."""

    added: dict[str, bytes] = field(default_factory=dict)
    replaced: list[tuple[str, str, str]] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    superseded: set[str] = field(default_factory=set)

    def replace(self, path: str, old: str, new: str, *, superseded: bool = False) -> None:
        self.replaced.append((path, old, new))
        if superseded:
            self.superseded.add(path)

    def apply(self, project: Path, *, superseded: bool = True) -> None:
        """Make the edits in ``project``; without ``superseded``, those the team drops."""
        for path, old, new in self.replaced:
            if path in self.superseded and not superseded:
                continue
            file = project / path
            text = file.read_text()
            assert old in text, f"{path} no longer has {old!r}"
            file.write_text(text.replace(old, new))
        for path, data in self.added.items():
            (project / path).parent.mkdir(parents=True, exist_ok=True)
            (project / path).write_bytes(data)
        for path in self.deleted:
            (project / path).unlink()


def _as_tags(text: str) -> str:
    return text.replace("note", "tag").replace("Note", "Tag").replace("NOTE", "TAG")


def _run_in(project: Path, *argv: str) -> None:
    """``argv`` with the project's locked tools."""
    done = subprocess.run(
        [find_uv_bin(), "run", "--locked", *argv],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, f"{argv} failed:\n{done.stdout}{done.stderr}"


def _add_tags_module(project: Path, edits: TeamEdits) -> None:
    """A `tags` module, added as the onboarding guide says: copy `notes` and rename, a
    migration (SQL) or a key prefix (DynamoDB), the router in app.py, the tests and the
    clock override, and for routes guarded by a permission, the permission granted."""
    answers = yaml.safe_load((project / ".copier-answers.yml").read_text())
    pkg = f"src/{answers['package_name']}"
    module = f"{answers['package_name']}.modules"
    notes = project / pkg / "modules" / "notes"
    added = {
        f"{pkg}/modules/tags/{file.name}": _as_tags(file.read_text())
        for file in sorted(notes.glob("*.py"))
    }
    added[f"{pkg}/modules/tags/__init__.py"] = '"""Tags: labels the team puts on things."""\n'
    added["tests/test_tags_api.py"] = _as_tags((project / "tests/test_notes_api.py").read_text())
    if answers["database"] in {"sqlite", "postgresql"}:
        versions = project / pkg / "migrations" / "versions"
        migration = _as_tags((versions / "0001_create_notes.py").read_text())
        for old, new in [
            ("Revision ID: 0001\nRevises:", "Revision ID: 0002\nRevises: 0001"),
            ('revision: str = "0001"', 'revision: str = "0002"'),
            ("down_revision: str | None = None", 'down_revision: str | None = "0001"'),
        ]:
            assert old in migration
            migration = migration.replace(old, new)
        added[f"{pkg}/migrations/versions/0002_create_tags.py"] = migration
        edits.replace(
            f"{pkg}/migrations/env.py",
            "registers the notes table\n",
            "registers the notes table\n"
            f"from {module}.tags import models as tags_models  # noqa: F401\n",
            superseded=True,
        )
    if answers["database"] == "dynamodb":
        edits.replace(
            f"{pkg}/dynamo.py",
            "owner or tenant instead of one ``pk`` for all its items.\n",
            "owner or tenant instead of one ``pk`` for all its items.\n\n"
            'Tags: ``pk="TAG"``, ``sk="TAG#<id, zero-padded>"``, ids from the counter item\n'
            '``pk="COUNTER"``, ``sk="tags"``.\n',
        )
    for path, text in added.items():
        (project / path).parent.mkdir(parents=True, exist_ok=True)
        (project / path).write_text(text)
    # `make fmt`: the renamed lines are shorter, and the formatter may join some.
    _run_in(project, "ruff", "check", "--fix", "--quiet", *added)
    _run_in(project, "ruff", "format", "--quiet", *added)
    edits.added.update({path: (project / path).read_bytes() for path in added})

    edits.replace(
        f"{pkg}/app.py",
        f"from {module}.notes import api as notes_api\n",
        f"from {module}.notes import api as notes_api\nfrom {module}.tags import api as tags_api\n",
        superseded=True,
    )
    edits.replace(
        f"{pkg}/app.py",
        "    app.include_router(notes_api.router)\n",
        "    app.include_router(notes_api.router)\n    app.include_router(tags_api.router)\n",
        superseded=True,
    )
    edits.replace(
        "tests/conftest.py",
        f"from {module}.notes.api import get_clock\n",
        f"from {module}.notes.api import get_clock\n"
        f"from {module}.tags.api import get_clock as get_tags_clock\n",
    )
    edits.replace(
        "tests/conftest.py",
        "    app.dependency_overrides[get_clock] = lambda: lambda: NOW\n",
        "    app.dependency_overrides[get_clock] = lambda: lambda: NOW\n"
        "    app.dependency_overrides[get_tags_clock] = lambda: lambda: NOW\n",
    )
    if answers["auth"] != "none":  # the copied routes need `tags:write` to change data
        conftest = "tests/conftest.py"
        edits.replace(conftest, "may read and write notes.", "may read and write notes and tags.")
        edits.replace(conftest, "token(['notes:write'])", "token(['notes:write', 'tags:write'])")
    if answers["auth"] == "keycloak":
        edits.replace(
            "keycloak/realm.json",
            '{"name": "notes:write", "description": "Create, change and delete notes"}',
            '{"name": "notes:write", "description": "Create, change and delete notes"},\n'
            '        {"name": "tags:write", "description": "Create, change and delete tags"}',
        )
        edits.replace("keycloak/realm.json", '["notes:write"]', '["notes:write", "tags:write"]')
    if answers["auth"] == "cognito":
        infra = f"infra/{answers['package_name']}_infra"
        edits.replace(
            f"{infra}/user_pool.py",
            '            description="May create, change and delete notes",\n        )\n',
            '            description="May create, change and delete notes",\n        )\n'
            "        self.user_pool.add_group(\n"
            '            "TagsWrite",\n'
            '            group_name="tags:write",\n'
            '            description="May create, change and delete tags",\n'
            "        )\n",
        )


def _team_edits(project: Path) -> TeamEdits:
    """A new module, an edited README section, a changed setting, a deleted file."""
    edits = TeamEdits(deleted=[".pre-commit-config.yaml"])
    _add_tags_module(project, edits)
    edits.replace(
        "README.md",
        "To add one, copy `modules/notes/`, rename it, and\ninclude its router in `app.py`.",
        "To add one, copy `modules/tags/`, the\nteam's reference module, "
        "rename it, include its router in `app.py`, and ask\n#svc-dev for a review.",
        superseded=True,
    )
    edits.replace(".env.example", "LOG_LEVEL=INFO\n", "LOG_LEVEL=DEBUG\n")
    edits.apply(project)
    return edits


def _files(root: Path) -> dict[str, bytes]:
    """The files git would track under ``root`` (all of them outside a repository)."""
    if (root / ".git").exists():
        listed = git("ls-files", "-z", "--cached", "--others", "--exclude-standard", cwd=root)
        names = [name for name in listed.split("\0") if name and (root / name).is_file()]
    else:
        names = [str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()]
    return {name: (root / name).read_bytes() for name in sorted(names)}


# --- the update path ----------------------------------------------------------


@pytest.mark.slow
@pytest.mark.usefixtures("uv_environment")
@pytest.mark.parametrize("preset", PRESETS)
def test_updating_from_the_previous_release_keeps_every_team_edit(
    cli: Cli, history: History, preset: str
) -> None:
    """A project generated from the previous release, then edited by its team, updates
    to exactly the current template plus the team's edits: nothing lost, no conflict,
    the team's deleted file still deleted, and the project's own checks pass."""
    made = cli("new", "svc", "--vcs-ref", history.previous, "--preset", preset, "--defaults")
    assert made.exit_code == 0, made.stderr
    project = Path.cwd() / "svc"
    recorded = yaml.safe_load((project / ".copier-answers.yml").read_text())
    assert (recorded["_src_path"], recorded["_commit"]) == (sources.BUNDLED_SRC, history.previous)
    edits = _team_edits(project)
    commit_all(project, "Add tags, document them, log more, drop pre-commit")

    plan = cli("update", project, "--plan", "--json")
    assert plan.exit_code == (4 if edits.superseded else 0), plan.stdout + plan.stderr
    planned = json.loads(plan.stdout)
    assert sorted(planned["conflicts"]) == sorted(edits.superseded)
    # A file the team deleted and the template changed stays deleted, and the plan says so.
    kept = [f["path"] for f in planned["files"] if f["status"] == "kept-deleted"]
    assert set(kept) <= set(edits.deleted)
    assert git("status", "--porcelain", cwd=project) == ""

    updated = cli("update", project, "--json")

    assert updated.exit_code == (4 if edits.superseded else 0), updated.stdout + updated.stderr
    report = json.loads(updated.stdout)
    assert (report["from"], report["to"]) == (history.previous, history.current)
    assert sorted(report["conflicts"]) == sorted(edits.superseded)
    # What the update must produce: the current template with the same answers, plus
    # the team's edits (uv.lock is the team's: the reference render is not locked).
    expected = Path.cwd() / "expected" / "svc"
    expected.parent.mkdir()
    # Its answers keep notes in the project's render, as they do for every project from
    # before notes was a module; `new` takes that only when told (docs/commands.md).
    fresh = cli(
        "new", expected, "--vcs-ref", history.current, "--answers-file",
        project / ".copier-answers.yml", "--set", "notes_in_project=true",
        "--defaults", "--no-git", "--no-lock",
    )  # fmt: skip
    assert fresh.exit_code == 0, fresh.stderr
    edits.apply(expected, superseded=False)
    for path in edits.superseded:  # the team resolves each conflict with the template's side
        (project / path).write_bytes((expected / path).read_bytes())
    got = {k: v for k, v in _files(project).items() if not k.endswith("uv.lock")}
    want = _files(expected)
    assert sorted(got) == sorted(want)
    assert [name for name in want if got[name] != want[name]] == []
    assert not (project / ".pre-commit-config.yaml").exists()
    check_no_markers(project)
    _follow_the_changelog(project)
    check_project(project)


def _follow_the_changelog(project: Path) -> None:
    """What the changelog asks of a team that copied `notes` before its ids were bounded:
    bound the copy's ids too. The update's new API contract test (Schemathesis) finds
    the 500 a huge id gives otherwise, which is the point of it.

    And since 0.2.0 every route declares who may use it: the all-routes test names the
    routes of the team's copy that declare nothing (its reads, which relied on the
    app-wide token check), and the team declares them as its message says."""
    answers = yaml.safe_load((project / ".copier-answers.yml").read_text())
    modules = project / "src" / answers["package_name"] / "modules"
    notes_api = (modules / "notes" / "api.py").read_text()
    if "MAX_ID" in notes_api and "MAX_ID" not in (modules / "tags" / "api.py").read_text():
        (modules / "tags" / "api.py").write_text(_as_tags(notes_api))
        _run_in(project, "ruff", "check", "--quiet", "--fix", "--select", "I", "src")
    if answers["auth"] != "none":
        _declare_read_policies(project, modules / "tags" / "api.py", ["GET /tags"])


def _declare_read_policies(project: Path, api: Path, named: list[str]) -> None:
    """Run the project's all-routes test, expect it to name the routes in ``named`` as
    declaring no access policy, and declare them open to any caller with a valid token."""
    done = subprocess.run(
        [find_uv_bin(), "run", "--locked", "pytest", "-q", "--no-cov", "-p", "no:cacheprovider",
         "tests/test_every_route_is_protected.py"],
        cwd=project, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 1, done.stdout + done.stderr
    assert "no access policy" in done.stdout, done.stdout
    for route in named:
        assert route in done.stdout, done.stdout
    package = api.relative_to(project / "src").parts[0]
    text = api.read_text()
    for line in sorted({line for line in text.splitlines() if line.startswith("@router.get(")}):
        text = text.replace(line, line[:-1] + ", dependencies=[Depends(AnyCaller())])")
    text = text.replace(
        f"from {package}.auth import Require", f"from {package}.auth import AnyCaller, Require"
    )
    if f"from {package}.auth import" not in text:
        text = text.replace(
            f"from {package}.modules",
            f"from {package}.auth import AnyCaller\nfrom {package}.modules",
            1,
        )
    api.write_text(text)


# --- answer changes -----------------------------------------------------------

# A module the team wrote, storage-free: it reads notes through their service, as the
# onboarding guide says modules talk. It must survive every answer change unchanged.
DIGEST = {
    "src/svc/modules/digest/__init__.py": '''\
"""Digest: a short summary of the notes, for the team's weekly mail."""
''',
    "src/svc/modules/digest/schemas.py": '''\
"""What the digest API returns."""

from pydantic import BaseModel


class Digest(BaseModel):
    notes: int
    titles: list[str]
    words: int
''',
    "src/svc/modules/digest/service.py": '''\
"""The digest use case. It reads notes through NoteService, never their storage."""

from svc.modules.digest.schemas import Digest
from svc.modules.notes.service import NoteService


class DigestService:
    def __init__(self, notes: NoteService) -> None:
        self.notes = notes

    def digest(self, *, size: int) -> Digest:
        page = self.notes.list(limit=size)
        return Digest(
            notes=len(page.items),
            titles=[note.title for note in page.items],
            words=sum(len(note.body.split()) for note in page.items),
        )
''',
    "src/svc/modules/digest/api.py": '''\
"""The digest HTTP API."""

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from svc.modules.digest.schemas import Digest
from svc.modules.digest.service import DigestService
from svc.modules.notes.api import get_service as get_note_service
from svc.modules.notes.service import NoteService

router = APIRouter(prefix="/digest", tags=["digest"])


def get_service(notes: Annotated[NoteService, Depends(get_note_service)]) -> DigestService:
    return DigestService(notes)


@router.get("")
def get_digest(
    service: Annotated[DigestService, Depends(get_service)],
    size: Annotated[int, Query(ge=1, le=50)] = 10,
) -> Digest:
    return service.digest(size=size)
''',
    # Through the `client` fixture, whose `auth_headers` carry whatever credentials the
    # project needs: the same tests pass with and without authentication.
    "tests/test_digest_api.py": """\
from fastapi.testclient import TestClient


def test_the_digest_sums_up_the_first_notes(client: TestClient) -> None:
    for note in (
        {"title": "Kick-off", "body": "Agenda and goals"},
        {"title": "Retro"},
        {"title": "Planning", "body": "Next sprint"},
    ):
        assert client.post("/notes", json=note).status_code == 201

    response = client.get("/digest", params={"size": 2})

    assert response.status_code == 200
    assert response.json() == {"notes": 2, "titles": ["Kick-off", "Retro"], "words": 3}


def test_an_empty_digest(client: TestClient) -> None:
    assert client.get("/digest").json() == {"notes": 0, "titles": [], "words": 0}


def test_the_size_is_bounded(client: TestClient) -> None:
    assert client.get("/digest", params={"size": 0}).status_code == 422
    assert client.get("/digest", params={"size": 51}).status_code == 422
""",
}
# Identical for every database and architecture: the notes module's domain code.
NOTES_DOMAIN = ["src/svc/modules/notes/service.py", "src/svc/modules/notes/schemas.py"]


@dataclass(frozen=True)
class Change:
    sets: list[str]
    superseded: dict[str, str]  # the ADR in force before -> the one that supersedes it
    appears: str  # a file only the new answers render
    disappears: str | None = None  # a file only the old answers render
    infra: bool = False  # run the CDK app's checks too (about a minute: once in this file)


CHANGES = {
    "ci-github-to-gitlab": Change(
        ["ci=gitlab"],
        {"0005-run-ci-on-github.md": "0008-run-ci-on-gitlab.md"},
        ".gitlab-ci.yml",
        ".github",  # not even an empty folder
    ),
    "auth-none-to-keycloak": Change(
        ["auth=keycloak"],
        {"0004-leave-routes-unauthenticated.md": "0008-authenticate-users-with-keycloak.md"},
        "tests/test_every_route_is_protected.py",
    ),
    "database-sqlite-to-postgresql": Change(
        ["database=postgresql"],
        {"0003-store-data-in-sqlite.md": "0008-store-data-in-postgresql.md"},
        "tests/postgres.py",
    ),
    # Serverless refuses SQLite, so the database changes in the same update.
    "architecture-monolith-to-serverless": Change(
        ["architecture=serverless", "database=dynamodb"],
        {
            "0002-build-a-modular-monolith.md": "0008-run-serverless-on-aws-lambda.md",
            "0003-store-data-in-sqlite.md": "0009-store-data-in-dynamodb.md",
        },
        "src/svc/lambda_handler.py",
        "Dockerfile",
        infra=True,
    ),
}


@pytest.mark.slow
@pytest.mark.usefixtures("uv_environment")
@pytest.mark.parametrize("name", list(CHANGES))
def test_a_changed_decision_leaves_domain_code_untouched(cli: Cli, name: str) -> None:
    """`chassis update --set` changes CI, auth, database or architecture without a
    conflict and without touching a line of domain code; a new ADR supersedes the old
    one, and the project's own checks pass."""
    change = CHANGES[name]
    made = cli("new", "svc", "--defaults")
    assert made.exit_code == 0, made.stderr
    project = Path.cwd() / "svc"
    for path, text in DIGEST.items():
        (project / path).parent.mkdir(parents=True, exist_ok=True)
        (project / path).write_text(text)
    # Nothing to register: the app includes every module's router by itself.
    commit_all(project, "Add the digest module")
    domain = [*NOTES_DOMAIN, *DIGEST]
    before = {path: (project / path).read_bytes() for path in domain}
    assert not (project / change.appears).exists()
    assert change.disappears is None or (project / change.disappears).exists()
    sets = [arg for value in change.sets for arg in ("--set", value)]

    updated = cli("update", project, *sets, "--reason", "The client asked for it.", "--json")

    assert updated.exit_code == 0, updated.stdout + updated.stderr
    report = json.loads(updated.stdout)
    assert report["conflicts"] == []
    changed = {f["path"] for f in report["files"]}
    # Changed dependencies are locked again, as `new` locks them.
    assert ("uv.lock" in changed) == ("pyproject.toml" in changed)
    assert {(d["supersedes"], d["path"]) for d in report["decisions"]} == {
        (f"docs/adr/{old}", f"docs/adr/{new}") for old, new in change.superseded.items()
    }
    assert {path: (project / path).read_bytes() for path in domain} == before
    recorded = yaml.safe_load((project / ".copier-answers.yml").read_text())
    assert set(change.sets) <= {f"{key}={value}" for key, value in recorded.items()}
    assert (project / change.appears).exists()
    assert change.disappears is None or not (project / change.disappears).exists()
    listed = cli("adr", "list", "--json", "--dir", project / "docs/adr")
    statuses = {Path(r["path"]).name: r["status"] for r in json.loads(listed.stdout)}
    for old, new in change.superseded.items():
        assert statuses[old].lower().startswith("superseded"), statuses
        assert statuses[new].lower() == "accepted", statuses
    check_no_markers(project)
    if "auth=keycloak" in change.sets:  # the team says who may read the digest
        _declare_read_policies(project, project / "src/svc/modules/digest/api.py", ["GET /digest"])
    check_project(project)
    if change.infra:
        check_infra(project / "infra")
