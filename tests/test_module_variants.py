"""Projects with added modules pass their own checks, for every database and both
architectures: module `orders`, then `invoices` using `orders`, added with `chassis add
module` from the bundled template at the project's own template version.

`add_module` renders a module with plain
Copier, as a team without chassis would, to show that the module template records its
answers in the module's own answers file and nothing in the project's.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from checks import check_no_markers, check_project
from conftest import Result, commit_all, git, render_bundled, snapshot

Cli = Callable[..., Result]

# Each database on each architecture that can have it (serverless has no SQLite), with
# the identity providers spread over them so that the permission tests run too. Without
# CI and infrastructure: their checks do not depend on modules, and the variant tests
# run them.
COMBINATIONS = [
    ("monolith", "sqlite", "none"),
    ("monolith", "postgresql", "keycloak"),
    ("serverless", "postgresql", "oidc"),
    ("monolith", "dynamodb", "auth0"),
    ("serverless", "dynamodb", "cognito"),
    ("monolith", "none", "oidc"),
    ("serverless", "none", "none"),
]
REVISION = re.compile(r'^revision: str = "([^"]+)"', re.MULTILINE)
DOWN_REVISION = re.compile(r"^down_revision: [^=]+= (.+)$", re.MULTILINE)


def alembic_heads(project: Path) -> list[str]:
    """The revisions no migration of ``project`` follows, read from its versions folder."""
    versions = next((project / "src").glob("*/migrations/versions"), None)
    if versions is None:
        return []
    revisions: set[str] = set()
    followed: set[str] = set()
    for script in versions.glob("*.py"):
        text = script.read_text()
        if found := REVISION.search(text):
            revisions.add(found.group(1))
        if down := DOWN_REVISION.search(text):
            followed |= set(re.findall(r'"([^"]+)"', down.group(1)))
    return sorted(revisions - followed)


def _plain_copy(
    dest: Path, recorded: dict[str, Any], *, overwrite: bool = False, **data: Any
) -> None:
    """Plain Copier's `copy` into ``dest`` of the template version ``recorded`` names (its
    source as recorded, so a module records the same one), with its answers and
    ``data``; a module (``module_name`` in ``data``) writes its own answers file."""
    from copier import Settings, run_copy  # noqa: PLC0415, TID251

    name = data.get("module_name")
    run_copy(
        recorded["_src_path"],
        dest,
        data={**{k: v for k, v in recorded.items() if not k.startswith("_")}, **data},
        vcs_ref=recorded["_commit"],
        answers_file=f".copier-answers.module-{name}.yml" if name else None,
        settings=Settings(),
        defaults=True,
        overwrite=overwrite,
        quiet=True,
        unsafe=True,
    )


def add_module(project: Path, name: str, uses: str = "") -> None:
    """Render module ``name`` into ``project`` with plain Copier, as the module template
    must also work without chassis."""
    recorded: dict[str, Any] = yaml.safe_load((project / ".copier-answers.yml").read_text())
    heads = ",".join(alembic_heads(project))
    _plain_copy(
        project, recorded, overwrite=True, module_name=name, uses=uses, migration_parent=heads
    )


def test_a_module_records_its_answers_and_a_project_none(tmp_path: Path) -> None:
    project, _ = render_bundled(tmp_path, {"ci": "none", "iac": "none"}, lock=False)
    module_questions = {"module_name", "uses", "migration_parent"}
    assert not module_questions & set(yaml.safe_load((project / ".copier-answers.yml").read_text()))

    add_module(project, "orders")
    add_module(project, "invoices", uses="orders")

    project_answers = yaml.safe_load((project / ".copier-answers.yml").read_text())
    recorded = yaml.safe_load((project / ".copier-answers.module-invoices.yml").read_text())
    assert {k: recorded[k] for k in module_questions} == {
        "module_name": "invoices",
        "uses": "orders",
        "migration_parent": "orders_0001",
    }
    # A module shares every answer of the project's but the project's own layout.
    del project_answers["notes_in_project"]
    assert {k: v for k, v in recorded.items() if k not in module_questions} == project_answers
    assert alembic_heads(project) == ["invoices_0001"]
    assert (project / "src/svc/modules/invoices/api.py").is_file()
    assert (project / "tests/test_invoices_api.py").is_file()


@pytest.mark.parametrize(
    ("architecture", "database"),
    [
        ("monolith", "sqlite"),
        ("serverless", "postgresql"),
        ("serverless", "dynamodb"),
        ("monolith", "none"),
    ],
)
def test_the_example_module_renders_as_a_module_exactly_as_the_project_has_it(
    tmp_path: Path, architecture: str, database: str
) -> None:
    """Plain Copier renders ``notes`` from the template's module renders, with
    module_name=notes, to the same files that a project has as its example module."""
    answers = {"architecture": architecture, "database": database, "ci": "none", "iac": "none"}
    project, _ = render_bundled(tmp_path, answers, lock=False)
    recorded: dict[str, Any] = yaml.safe_load((project / ".copier-answers.yml").read_text())
    alone = tmp_path / "alone"
    _plain_copy(alone, recorded, module_name="notes")

    rendered = {
        path.relative_to(alone).as_posix(): path.read_text()
        for path in alone.rglob("*")
        if path.is_file() and path.name != ".copier-answers.module-notes.yml"
    }
    migrations = (
        {
            "src/svc/migrations/versions/0001_create_notes.py",
            "src/svc/migrations/versions/0002_never_reuse_note_ids.py",
        }
        if database in ("sqlite", "postgresql")
        else set()
    )
    package = {"__init__.py", "api.py", "repository.py", "schemas.py", "service.py"}
    package |= {"models.py"} if migrations else set()
    assert set(rendered) == {f"src/svc/modules/notes/{name}" for name in package} | migrations | {
        "tests/test_notes_api.py"
    }
    assert {name: (project / name).read_text() for name in rendered} == rendered
    module_answers = yaml.safe_load((alone / ".copier-answers.module-notes.yml").read_text())
    assert module_answers["module_name"] == "notes"


@pytest.mark.parametrize(
    ("architecture", "database", "auth"),
    [("monolith", "postgresql", "keycloak"), ("serverless", "dynamodb", "cognito")],
)
def test_chassis_new_makes_notes_a_module_of_the_same_files(
    tmp_path: Path, architecture: str, database: str, auth: str
) -> None:
    """`chassis new` renders notes as a module, recorded in its own answers file: the
    project is the one the example used to be part of, file for file, and the one plain
    Copier makes with the project's render and then notes' render."""
    answers = {"architecture": architecture, "database": database, "auth": auth}
    (tmp_path / "chassis").mkdir()
    project, _ = render_bundled(tmp_path / "chassis", answers, lock=False)
    recorded: dict[str, Any] = yaml.safe_load((project / ".copier-answers.yml").read_text())
    assert recorded["notes_in_project"] is False
    notes = yaml.safe_load((project / ".copier-answers.module-notes.yml").read_text())
    shared = {k: v for k, v in recorded.items() if k != "notes_in_project"}  # a project's
    assert notes == {**shared, "module_name": "notes", "uses": "", "migration_parent": ""}

    split = tmp_path / "split" / "svc"
    _plain_copy(split, recorded)
    _plain_copy(split, recorded, module_name="notes")
    inline = tmp_path / "inline" / "svc"
    _plain_copy(inline, {**recorded, "notes_in_project": True})

    by_chassis, by_split, by_inline = snapshot(project), snapshot(split), snapshot(inline)
    # chassis adds notes' row to the README's module table, as `chassis add module` does.
    row = b"| `notes` | `src/svc/modules/notes/` | uses: \xe2\x80\x94 |\n"
    readme = by_split["README.md"].replace(
        b"<!-- /chassis:modules -->", row + b"<!-- /chassis:modules -->"
    )
    assert by_chassis == {**by_split, "README.md": readme}
    # The same files as when notes was part of the project, but for the answers and the
    # README's and the onboarding guide's word that notes is a module with its answers.
    assert by_chassis.pop(".copier-answers.module-notes.yml")
    for differs in (".copier-answers.yml", "README.md", "docs/onboarding.md"):
        assert by_chassis.pop(differs) != by_inline.pop(differs)
    assert by_chassis == by_inline


@pytest.mark.slow
@pytest.mark.usefixtures("uv_environment")
@pytest.mark.parametrize(
    ("architecture", "database", "auth"),
    COMBINATIONS,
    ids=["-".join(combination) for combination in COMBINATIONS],
)
def test_a_project_with_two_modules_passes_its_own_checks(
    cli: Cli, tmp_path: Path, architecture: str, database: str, auth: str
) -> None:
    answers = {"architecture": architecture, "database": database, "auth": auth}
    project, _ = render_bundled(tmp_path, {**answers, "ci": "none", "iac": "none"})
    git("init", "--quiet", cwd=project)
    commit_all(project, "Generated")
    for name, given in [("orders", ()), ("invoices", ("--set", "uses=orders"))]:
        added = cli("add", "module", name, project, *given)
        assert added.exit_code == 0, added.stdout + added.stderr
        commit_all(project, f"Add {name}")

    modules = sorted(p.name for p in (project / "src/svc/modules").iterdir() if p.is_dir())
    assert modules == ["invoices", "notes", "orders"]
    check_no_markers(project)
    check_project(project)
