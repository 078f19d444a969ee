"""An improvement to the bundled template's module pattern reaches every module.

A team adds two modules to a project with `chassis add module` (the second using the
first) and edits both, and the example module `notes`, which `chassis new` made a module
with its own answers file. The template's next version changes the module pattern: the
service class gets a docstring, in the module template and in notes' alike. That version
is made up here, the way a template release is made: the working tree's template,
committed and tagged, then changed, committed and tagged again. `chassis update --plan`
shows the change in every module first and writes nothing; `chassis update` then brings
it into both modules and notes, keeps every team edit, and the project passes its own
checks.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from checks import check_no_markers, check_project
from conftest import REPO, Result, commit_all, git, snapshot

Cli = Callable[..., Result]

SERVICE = "module/src/{{ package_name }}/modules/{{ module_name }}/service.py.jinja"
NOTES_SERVICE = "notes/src/{{ package_name }}/modules/notes/service.py.jinja"
# The next version's change to the module pattern, in the module template and in notes.
MODULE_CHANGE = (
    "class {{ Name }}Service:\n    def __init__(",
    'class {{ Name }}Service:\n    """The {{ module_name }} use cases: the module\'s service'
    ' interface."""\n\n    def __init__(',
)
NOTES_CHANGE = (
    "class NoteService:\n    def __init__(",
    'class NoteService:\n    """The notes use cases: the module\'s service interface."""\n\n'
    "    def __init__(",
)


def _release(repo: Path, version: str) -> None:
    git("add", "--all", cwd=repo)
    git("commit", "--quiet", "--allow-empty", "-m", version, cwd=repo)
    git("tag", version, cwd=repo)


def _change(repo: Path, path: str, old: str, new: str) -> None:
    file = repo / path
    text = file.read_text()
    assert old in text, f"{path} no longer has {old!r}: update this test's made-up release"
    file.write_text(text.replace(old, new))


@pytest.fixture
def template(tmp_path: Path) -> Path:
    """The working tree's template as release 1.0.0 of a template repository."""
    repo = tmp_path / "template"
    shutil.copytree(REPO / "templates" / "service", repo / "templates" / "service")
    # The repository root is the template's root, as for any template a team keeps.
    for child in (repo / "templates" / "service").iterdir():
        child.rename(repo / child.name)
    shutil.rmtree(repo / "templates")
    git("init", "--quiet", cwd=repo)
    _release(repo, "1.0.0")
    return repo


def _edit_first_line(file: Path, line: str) -> None:
    lines = file.read_text().splitlines(keepends=True)
    file.write_text(line + "\n" + "".join(lines[1:]))


@pytest.mark.slow
@pytest.mark.usefixtures("uv_environment")
def test_a_new_module_pattern_reaches_every_module_and_keeps_the_team_edits(
    cli: Cli, template: Path
) -> None:
    made = cli("new", "svc", "--template", template, "--defaults", "--set", "ci=none",
               "--set", "iac=none")  # fmt: skip
    assert made.exit_code == 0, made.stderr
    project = Path("svc").resolve()
    modules = project / "src" / "svc" / "modules"
    added = cli("add", "module", "orders", project)
    assert added.exit_code == 0, added.stderr
    commit_all(project, "Add orders")
    added = cli("add", "module", "invoices", project, "--set", "uses=orders")
    assert added.exit_code == 0, added.stderr
    commit_all(project, "Add invoices")
    team = {
        modules / "orders" / "service.py": '"""Orders: what the sales team records."""',
        modules / "invoices" / "schemas.py": '"""Invoices as the accounting API shows them."""',
        modules / "notes" / "api.py": '"""The notes HTTP API, as the support team uses it."""',
    }
    for file, line in team.items():
        _edit_first_line(file, line)
    commit_all(project, "The team's edits")

    _change(template, SERVICE, *MODULE_CHANGE)
    _change(template, NOTES_SERVICE, *NOTES_CHANGE)
    _release(template, "1.1.0")

    before = snapshot(project)
    plan = cli("update", project, "--plan", "--json")
    assert plan.exit_code == 0, plan.stdout + plan.stderr
    assert snapshot(project) == before
    planned = json.loads(plan.stdout)
    assert planned["conflicts"] == []
    assert [(m["name"], m["from"], m["to"]) for m in planned["modules"]] == [
        ("invoices", "1.0.0", "1.1.0"),
        ("notes", "1.0.0", "1.1.0"),  # a module since `chassis new`, like the added ones
        ("orders", "1.0.0", "1.1.0"),
    ]
    services = {f"src/svc/modules/{name}/service.py" for name in ("invoices", "notes", "orders")}
    statuses = {f["path"]: f["status"] for f in planned["files"]}
    assert {path: statuses.get(path) for path in services} == dict.fromkeys(services, "updated")

    updated = cli("update", project, "--json")

    assert updated.exit_code == 0, updated.stdout + updated.stderr
    assert json.loads(updated.stdout)["conflicts"] == []
    for name, interface in [
        ("orders", '"""The orders use cases: the module\'s service interface."""'),
        ("invoices", '"""The invoices use cases: the module\'s service interface."""'),
        ("notes", '"""The notes use cases: the module\'s service interface."""'),
    ]:
        assert interface in (modules / name / "service.py").read_text(), name
    for file, line in team.items():
        assert file.read_text().splitlines()[0] == line, file
    recorded = [".copier-answers.yml"] + [
        f".copier-answers.module-{name}.yml" for name in ("notes", "orders", "invoices")
    ]
    for answers in recorded:
        assert yaml.safe_load((project / answers).read_text())["_commit"] == "1.1.0", answers
    check_no_markers(project)
    check_project(project)
