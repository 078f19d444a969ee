"""`chassis add module`, and `update` and `check` over the modules a project added.

The template is made here, from Copier's documented behaviour: one copier.yml whose
`_subdirectory` renders `module/` when `module_name` is given and `project/` otherwise,
three module questions hidden from a project render (`when`), and each module's answers
in `.copier-answers.module-NAME.yml` (Copier's pattern for several templates in one
project). It does not depend on the bundled template's module part.
"""

from __future__ import annotations

import json
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import pytest
import yaml
from conftest import Result, commit_all, git, release, snapshot, write_tree
from test_interruptions import (
    SIGNALS,
    Hold,
    assert_interrupted,
    git_stub,
    start,
)

from chassis.modules import alembic_heads

Cli = Callable[..., Result]

COPIER_YML = """\
_subdirectory: "{{ 'module' if module_name | default('') else 'project' }}"
_templates_suffix: .jinja
_answers_file: .copier-answers.yml
_message_after_copy: |
  {%- if module_name | default('') %}
  {{ _uv | default('uv') }} run pytest tests/test_{{ module_name }}_api.py
  {%- else %}
  {{ _uv | default('uv') }} run pytest
  {%- endif %}

project_name:
  type: str
  default: "{{ _folder_name }}"
package_name:
  type: str
  default: "{{ project_name | replace('-', '_') }}"
database:
  type: str
  default: sqlite
  choices: [sqlite, none]
module_name:
  type: str
  default: ""
  when: "{{ module_name | default('') != '' }}"
  validator: >-
    {% if module_name in ['health', 'ready', 'docs', 'modules'] %}{{ module_name }} is a
    reserved route prefix{% elif not (module_name | regex_search('^[a-z][a-z0-9_]*$')) %}not
    lower snake_case{% endif %}
uses:
  type: str
  default: ""
  when: "{{ module_name | default('') != '' }}"
migration_parent:
  type: str
  default: ""
  when: "{{ module_name | default('') != '' }}"
"""

ANSWERS = "{{ _copier_answers|to_nice_yaml }}"
PKG = "src/{{ package_name }}"
MOD = f"module/{PKG}/modules/{{{{ module_name }}}}"
MIGRATION = """\
\"\"\"Create {{ module_name }}.\"\"\"
{%- set parents = migration_parent.split(',') if migration_parent else [] %}
revision = "{{ module_name }}_0001"
down_revision = {% if parents | length > 1 %}({% for p in parents %}"{{ p }}", {% endfor %}){% elif parents %}"{{ parents[0] }}"{% else %}None{% endif %}
"""  # noqa: E501 - one Jinja expression

V0_9 = {  # before the template had a module part
    "copier.yml": COPIER_YML.split("module_name:", maxsplit=1)[0].replace(
        "\"{{ 'module' if module_name | default('') else 'project' }}\"", "project"
    ),
    "project/{{ _copier_conf.answers_file }}.jinja": ANSWERS,
    "project/README.md.jinja": "# {{ project_name }}\n",
}
V1 = {
    "copier.yml": COPIER_YML,
    "project/{{ _copier_conf.answers_file }}.jinja": ANSWERS,
    "project/README.md.jinja": """\
        # {{ project_name }}

        ## Modules

        <!-- chassis:modules -->
        | module | folder | uses |
        |---|---|---|
        | `notes` | `src/{{ package_name }}/modules/notes/` | uses: — |
        <!-- /chassis:modules -->

        ## Usage

        Run it.
        """,
    f"project/{PKG}/app.py": '"""The app."""\n',
    f"project/{PKG}/modules/__init__.py": '"""Discovers the modules."""\n',
    f"project/{PKG}/modules/notes/__init__.py": '"""Notes."""\n',
    f"project/{PKG}/migrations/versions/0001_initial.py": (
        'revision = "0001"\ndown_revision = None\n'
    ),
    "module/{{ _copier_conf.answers_file }}.jinja": ANSWERS,
    f"{MOD}/__init__.py.jinja": '"""The {{ module_name }} module."""\n',
    f"{MOD}/api.py.jinja": """\
        \"\"\"{{ module_name }}'s routes.\"\"\"

        PREFIX = "/{{ module_name | replace('_', '-') }}"


        def routes() -> list[str]:
            return [PREFIX]
        """,
    f"{MOD}/service.py.jinja": """\
        \"\"\"{{ module_name }}'s service interface.\"\"\"
        {% for used in uses.split(',') if used %}
        from {{ package_name }}.modules.{{ used }} import service as {{ used }}_service
        {%- endfor %}

        DATABASE = "{{ database }}"


        def describe() -> str:
            return "{{ module_name }}"
        """,
    "module/src/{{ package_name }}/migrations/versions/"
    "{{ module_name }}_0001_create_{{ module_name }}.py.jinja": MIGRATION,
    "module/tests/test_{{ module_name }}_api.py.jinja": (
        "def test_{{ module_name }}() -> None:\n    assert True\n"
    ),
}
# 1.1.0 changes the module pattern (a schemas file, a new route) and the project.
V1_1 = {
    f"{MOD}/api.py.jinja": """\
        \"\"\"{{ module_name }}'s routes, versioned.\"\"\"

        PREFIX = "/{{ module_name | replace('_', '-') }}"


        def routes() -> list[str]:
            return [PREFIX, PREFIX + "/{id}"]
        """,
    f"{MOD}/schemas.py.jinja": '"""{{ module_name }}\'s schemas."""\n',
    f"project/{PKG}/app.py": '"""The app, version 1.1."""\n',
}


@pytest.fixture
def template(tmp_path: Path) -> Path:
    """A template repository tagged 0.9.0 (no module part) and 1.0.0 (with one)."""
    repo = tmp_path / "template"
    repo.mkdir()
    git("init", "--quiet", cwd=repo)
    release(repo, "0.9.0", V0_9)
    release(repo, "1.0.0", V1)
    return repo


@pytest.fixture
def project(cli: Cli, template: Path) -> Path:
    """A project generated from the template's 1.0.0 and committed."""
    result = cli("new", "proj", "--template", template, "--defaults", "--no-lock")
    assert result.exit_code == 0, result.stderr
    return Path("proj").resolve()


def answers(project: Path, name: str = ".copier-answers.yml") -> dict[str, object]:
    data = yaml.safe_load((project / name).read_text())
    assert isinstance(data, dict)
    return data


def status(project: Path) -> str:
    return git("status", "--porcelain", "--untracked-files=all", cwd=project)


def add(cli: Cli, project: Path, name: str, *args: str) -> Result:
    """`chassis add module NAME PROJECT ARGS`, asserted to succeed, then committed."""
    result = cli("add", "module", name, project, *args)
    assert result.exit_code == 0, result.stderr
    commit_all(project, f"Add module {name}")
    return result


MODULE_ANSWERS_FILE = ".copier-answers.module-orders.yml"
MODULE_FILES = [
    ".copier-answers.module-orders.yml",
    "src/proj/migrations/versions/orders_0001_create_orders.py",
    "src/proj/modules/orders/__init__.py",
    "src/proj/modules/orders/api.py",
    "src/proj/modules/orders/service.py",
    "tests/test_orders_api.py",
]


# --- chassis add module ------------------------------------------------------------


def test_add_module_writes_the_module_uncommitted_and_records_its_answers(
    cli: Cli, project: Path, template: Path
) -> None:
    head = git("rev-parse", "HEAD", cwd=project)

    result = cli("add", "module", "orders", project)

    assert result.exit_code == 0, result.stderr
    assert git("rev-parse", "HEAD", cwd=project) == head  # left for review, as update does
    assert sorted(status(project).splitlines()) == [
        " M README.md",
        *(f"?? {f}" for f in MODULE_FILES),
    ]
    assert answers(project, ".copier-answers.module-orders.yml") == {
        "_commit": "1.0.0",
        "_src_path": str(template),
        "project_name": "proj",
        "package_name": "proj",
        "database": "sqlite",
        "module_name": "orders",
        "uses": "",
        "migration_parent": "0001",  # the project's Alembic head
    }
    assert answers(project)["_commit"] == "1.0.0"  # the project's own file is untouched
    readme = (project / "README.md").read_text()
    assert (
        "| `notes` | `src/proj/modules/notes/` | uses: — |\n"
        "| `orders` | `src/proj/modules/orders/` | uses: — |\n"
        "<!-- /chassis:modules -->\n"
    ) in readme
    migration = project / "src/proj/migrations/versions/orders_0001_create_orders.py"
    assert 'revision = "orders_0001"\ndown_revision = "0001"\n' in migration.read_text()
    lines = [" ".join(line.split()) for line in result.stdout.splitlines()]
    assert lines[0] == f"Added module orders to {project} from template 1.0.0:"
    assert [f"added {f}" for f in MODULE_FILES] == lines[1:7]
    assert lines[7] == "updated README.md: | `orders` | `src/proj/modules/orders/` | uses: — |"
    assert lines[-4:] == [
        "Review with `git status` and `git diff`, then commit: git add --all && git commit",
        "",
        "Next:",
        "uv run pytest tests/test_orders_api.py",  # the template's message, for the module
    ]


def test_a_module_using_another_chains_its_migration_and_calls_its_service(
    cli: Cli, project: Path
) -> None:
    add(cli, project, "orders")

    result = cli("add", "module", "billing", project, "--set", "uses=orders", "--json")

    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["readme_row"] == "| `billing` | `src/proj/modules/billing/` | uses: orders |"
    assert report["folder"] == "src/proj/modules/billing"
    assert report["applied"] is True
    service = (project / "src/proj/modules/billing/service.py").read_text()
    assert "from proj.modules.orders import service as orders_service" in service
    migration = project / "src/proj/migrations/versions/billing_0001_create_billing.py"
    assert 'down_revision = "orders_0001"' in migration.read_text()
    assert answers(project, ".copier-answers.module-billing.yml")["uses"] == "orders"


def test_a_module_may_use_notes_which_the_project_template_ships(cli: Cli, project: Path) -> None:
    result = cli("add", "module", "orders", project, "--set", "uses=notes")

    assert result.exit_code == 0, result.stderr
    assert "uses: notes |" in (project / "README.md").read_text()


def test_alembic_heads_are_the_revisions_no_other_revises(project: Path) -> None:
    versions = project / "src/proj/migrations/versions"
    write_tree(
        versions,
        {
            "a.py": 'revision: str = "a"\ndown_revision: str | None = "0001"\n',
            "b.py": 'revision = "b"\ndown_revision = "0001"\n',
            "merge.py": 'revision = "m"\ndown_revision = ("a", "x")\n',
            "broken.py": "revision = (\n",
        },
    )
    commit_all(project)

    assert alembic_heads(project) == ["b", "m"]


def test_several_heads_are_given_comma_separated(cli: Cli, project: Path) -> None:
    write_tree(
        project / "src/proj/migrations/versions",
        {"branch.py": 'revision = "branch"\ndown_revision = None\n'},
    )
    commit_all(project)

    add(cli, project, "orders")

    recorded = answers(project, ".copier-answers.module-orders.yml")
    assert recorded["migration_parent"] == "0001,branch"
    migration = project / "src/proj/migrations/versions/orders_0001_create_orders.py"
    assert 'down_revision = ("0001", "branch", )' in migration.read_text()


def test_plan_lists_the_files_and_the_row_and_writes_nothing(cli: Cli, project: Path) -> None:
    before = snapshot(project)

    result = cli("add", "module", "orders", project, "--plan")

    assert result.exit_code == 0, result.stderr
    assert snapshot(project) == before
    assert status(project) == ""
    lines = [" ".join(line.split()) for line in result.stdout.splitlines()]
    assert lines == [
        f"Would add module orders to {project} from template 1.0.0:",
        *(f"added {f}" for f in MODULE_FILES),
        "updated README.md: | `orders` | `src/proj/modules/orders/` | uses: — |",
    ]


def test_a_readme_without_the_markers_gets_no_row(cli: Cli, project: Path) -> None:
    write_tree(project, {"README.md": "# proj, our own README\n"})
    commit_all(project)

    result = cli("add", "module", "orders", project)

    assert result.exit_code == 0, result.stderr
    assert (project / "README.md").read_text() == "# proj, our own README\n"
    assert "README.md" not in result.stdout
    assert " M README.md" not in status(project)


def test_add_module_works_from_a_folder_inside_the_project(
    cli: Cli, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(project / "src")

    result = cli("add", "module", "orders")

    assert result.exit_code == 0, result.stderr
    assert (project / ".copier-answers.module-orders.yml").is_file()


def _dirty(project: Path) -> None:
    (project / "README.md").write_text("edited, not committed\n")


def _at_0_9(project: Path) -> None:
    """The project as generated from 0.9.0, before the template had modules."""
    recorded = answers(project)
    recorded["_commit"] = "0.9.0"
    (project / ".copier-answers.yml").write_text(yaml.safe_dump(recorded))
    commit_all(project)


def _orders_exist(project: Path) -> None:
    """An answers file for orders, without its files (deleted by the team, say)."""
    recorded = {**answers(project), "module_name": "orders"}
    (project / ".copier-answers.module-orders.yml").write_text(yaml.safe_dump(recorded))
    commit_all(project)


def _pay_test_exists(project: Path) -> None:
    write_tree(project, {"tests/test_pay_api.py": "# ours\n"})
    commit_all(project)


# (id, name, extra args, set-up, exit code, the whole stderr with {project})
BAD = [
    ("keyword", "class", (), None, 2,
     "error: module name 'class' is a Python keyword; choose a lower snake_case name such "
     "as orders or order_items"),
    ("soft-keyword", "match", (), None, 2,
     "error: module name 'match' is a Python keyword; choose a lower snake_case name such "
     "as orders or order_items"),
    ("not-identifier", "order-items", (), None, 2,
     "error: module name 'order-items' is not a Python identifier; choose a lower "
     "snake_case name such as orders or order_items"),
    ("digit-first", "1orders", (), None, 2,
     "error: module name '1orders' is not a Python identifier; choose a lower snake_case "
     "name such as orders or order_items"),
    ("template-validator", "Orders", (), None, 2,
     "error: module name 'Orders' is refused by template 1.0.0: not lower snake_case; "
     "choose another name"),
    ("route-prefix", "health", (), None, 2,
     "error: module name 'health' is refused by template 1.0.0: health is a reserved route "
     "prefix; choose another name"),
    ("exists", "orders", (), _orders_exist, 1,
     "error: module 'orders' exists already (.copier-answers.module-orders.yml); choose "
     "another name; `chassis update` keeps an added module up to date"),
    ("exists-in-template", "notes", (), None, 1,
     "error: module 'notes' exists already (src/proj/modules/notes/); choose another name; "
     "`chassis update` keeps an added module up to date"),
    ("a-file-it-writes-exists", "pay", (), _pay_test_exists, 1,
     "error: module 'pay' exists already (tests/test_pay_api.py); choose another name; "
     "`chassis update` keeps an added module up to date"),
    ("unknown-uses", "pay", ("--set", "uses=notes,shop"), None, 2,
     "error: module 'pay' cannot use 'shop': the project has no module 'shop' (it has: "
     "notes); add it first with `chassis add module shop`, or fix --set uses"),
    ("uses-itself", "pay", ("--set", "uses=pay"), None, 2,
     "error: module 'pay' cannot use itself; name other modules in --set uses=..."),
    ("unknown-question", "pay", ("--set", "colour=red"), None, 2,
     "error: invalid answer colour: no such question (known: project_name, package_name, "
     "database, module_name, uses, migration_parent); fix it with --set KEY=VALUE or an "
     "answers file"),
    ("project-answer", "pay", ("--set", "database=none"), None, 2,
     "error: --set database is the project's answer, which every module shares; change it "
     "for the project and its modules with `chassis update --set database=none`"),
    ("dirty", "pay", (), _dirty, 1,
     "error: {project} has uncommitted changes (README.md); commit or stash them first, so "
     "the new module can be reviewed and undone"),
    ("before-modules", "pay", (), _at_0_9, 1,
     "error: template 0.9.0 has no module template; run `chassis update` first: template "
     "1.0.0 has one"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("name", "args", "setup", "code", "message"),
    [pytest.param(*case[1:], id=case[0]) for case in BAD],
)
def test_bad_input_is_one_line_and_writes_nothing(
    cli: Cli,
    project: Path,
    *,
    name: str,
    args: tuple[str, ...],
    setup: Callable[[Path], None] | None,
    code: int,
    message: str,
) -> None:
    if setup is not None:
        setup(project)
    before, changed = snapshot(project), status(project)

    result = cli("add", "module", name, project, *args)

    assert result.exit_code == code
    assert result.stderr.strip() == message.format(project=project)
    assert "Traceback" not in result.stderr
    assert snapshot(project) == before
    assert status(project) == changed


def test_outside_a_project_is_refused(cli: Cli, tmp_path: Path) -> None:
    (tmp_path / "plain").mkdir()

    result = cli("add", "module", "orders", tmp_path / "plain")

    assert result.exit_code == 1
    assert result.stderr.strip() == (
        f"error: {tmp_path / 'plain'} has no .copier-answers.yml, so chassis did not generate "
        "it; run the command in a generated project's root, or create one with `chassis new`"
    )
    assert list((tmp_path / "plain").iterdir()) == []


def test_a_template_without_a_module_part_is_named(cli: Cli, template_repo: Path) -> None:
    created = cli("new", "tiny", "--template", template_repo, "--defaults", "--no-lock")
    assert created.exit_code == 0, created.stderr
    project = Path("tiny").resolve()
    before = snapshot(project)

    result = cli("add", "module", "orders", project)

    assert result.exit_code == 1
    assert result.stderr.strip() == (
        f"error: template {template_repo} does not support modules (version 1.0.0 has no "
        "module_name question); write the module by hand, or use a template with a module part"
    )
    assert snapshot(project) == before


@pytest.mark.parametrize(
    ("failure", "code", "said"),
    [
        (OSError(28, "No space left on device"), 1, "No space left on device"),
        (KeyboardInterrupt(), 130, "interrupted: nothing was changed"),
    ],
    ids=["error", "ctrl-c"],
)
def test_a_copy_cut_short_leaves_nothing_behind(
    cli: Cli,
    project: Path,
    monkeypatch: pytest.MonkeyPatch,
    *,
    failure: BaseException,
    code: int,
    said: str,
) -> None:
    before = snapshot(project)
    copied: list[str] = []
    real = shutil.copy2

    def copy_then_fail(source: Path, target: Path, **kwargs: bool) -> object:
        if len(copied) == 3:
            raise failure
        copied.append(str(target))
        return real(source, target, **kwargs)

    monkeypatch.setattr("chassis.update.shutil.copy2", copy_then_fail)

    result = cli("add", "module", "orders", project)

    assert result.exit_code == code
    assert said in result.stderr
    assert len(copied) == 3  # the copy had begun
    assert snapshot(project) == before
    assert status(project) == ""


def test_ctrl_c_while_rendering_leaves_nothing_behind(
    cli: Cli, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = snapshot(project)

    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("chassis._copier.run_copy", interrupted)

    result = cli("add", "module", "orders", project)

    assert result.exit_code == 130
    assert result.stderr.strip() == "interrupted: nothing was changed"
    assert snapshot(project) == before
    assert status(project) == ""


# --- chassis update and check over modules ----------------------------------------


@pytest.fixture
def two_modules(cli: Cli, project: Path) -> Path:
    """The project with orders and billing (using orders) added at 1.0.0, and the team's
    edits in both, committed."""
    add(cli, project, "orders")
    add(cli, project, "billing", "--set", "uses=orders")
    for name in ("orders", "billing"):
        service = project / f"src/proj/modules/{name}/service.py"
        service.write_text(
            service.read_text().replace(
                f'return "{name}"', f'return "{name}, as the team describes it"'
            )
        )
    commit_all(project, "The team's edits")
    return project


def test_check_reports_each_module_behind(cli: Cli, two_modules: Path, template: Path) -> None:
    assert cli("check", two_modules).exit_code == 0
    release(template, "1.1.0", V1_1)

    result = cli("check", two_modules, "--json")

    assert result.exit_code == 3
    report = json.loads(result.stdout)
    assert report["modules"] == [
        {"name": "billing", "current": "1.0.0", "up_to_date": False},
        {"name": "orders", "current": "1.0.0", "up_to_date": False},
    ]
    text = cli("check", two_modules)
    assert text.exit_code == 3
    assert [" ".join(line.split()) for line in text.stdout.splitlines()] == [
        "Update available: template 1.0.0 -> 1.1.0. Run `chassis update`.",
        "module billing is at template 1.0.0: the update brings it along.",
        "module orders is at template 1.0.0: the update brings it along.",
    ]


def test_update_brings_every_module_along_and_keeps_the_team_edits(
    cli: Cli, two_modules: Path, template: Path
) -> None:
    project = two_modules
    release(template, "1.1.0", V1_1)
    before = snapshot(project)

    plan = cli("update", project, "--plan", "--json")

    assert plan.exit_code == 0, plan.stderr
    assert snapshot(project) == before
    report = json.loads(plan.stdout)
    assert report["applied"] is False
    assert report["modules"] == [
        {"name": n, "answers_file": f".copier-answers.module-{n}.yml", "from": "1.0.0",
         "to": "1.1.0"}
        for n in ("billing", "orders")
    ]  # fmt: skip
    expected = {
        ".copier-answers.module-billing.yml": "updated",
        ".copier-answers.module-orders.yml": "updated",
        ".copier-answers.yml": "updated",
        "src/proj/app.py": "updated",
        "src/proj/modules/billing/api.py": "updated",
        "src/proj/modules/billing/schemas.py": "added",
        "src/proj/modules/orders/api.py": "updated",
        "src/proj/modules/orders/schemas.py": "added",
    }
    assert {f["path"]: f["status"] for f in report["files"]} == expected

    result = cli("update", project)

    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines()[0] == (
        f"Updated {project} from template 1.0.0 to 1.1.0, and its modules billing (from "
        "1.0.0), orders (from 1.0.0):"
    )
    for name in ("orders", "billing"):
        module = project / f"src/proj/modules/{name}"
        assert 'return [PREFIX, PREFIX + "/{id}"]' in (module / "api.py").read_text()
        assert (module / "schemas.py").is_file()
        said = f'return "{name}, as the team describes it"'
        assert said in (module / "service.py").read_text()
        assert answers(project, f".copier-answers.module-{name}.yml")["_commit"] == "1.1.0"
    assert answers(project)["_commit"] == "1.1.0"
    assert (project / "src/proj/app.py").read_text() == '"""The app, version 1.1."""\n'
    assert {line[3:] for line in status(project).splitlines()} == set(expected)
    commit_all(project)
    assert cli("check", project).exit_code == 0


def test_a_changed_answer_reaches_the_modules(cli: Cli, two_modules: Path) -> None:
    project = two_modules

    result = cli("update", project, "--set", "database=none")

    assert result.exit_code == 0, result.stderr
    for name in ("orders", "billing"):
        service = (project / f"src/proj/modules/{name}/service.py").read_text()
        assert 'DATABASE = "none"' in service
        assert f'"{name}, as the team describes it"' in service
        recorded = answers(project, f".copier-answers.module-{name}.yml")
        assert recorded["database"] == "none"
        assert recorded["_commit"] == "1.0.0"


def test_update_does_not_set_a_modules_own_answer(cli: Cli, two_modules: Path) -> None:
    before = snapshot(two_modules)

    result = cli("update", two_modules, "--set", "uses=notes")

    assert result.exit_code == 2
    assert result.stderr.strip() == (
        "error: --set uses is a module's own answer, which `chassis update` does not change; "
        "pass --set only for the project's answers, which its modules share"
    )
    assert snapshot(two_modules) == before


def test_a_conflict_in_a_module_is_reported(cli: Cli, two_modules: Path, template: Path) -> None:
    project = two_modules
    api = project / "src/proj/modules/orders/api.py"
    api.write_text(api.read_text().replace("return [PREFIX]", 'return [PREFIX, "/ours"]'))
    commit_all(project)
    release(template, "1.1.0", V1_1)

    result = cli("update", project, "--json")

    assert result.exit_code == 4
    assert json.loads(result.stdout)["conflicts"] == ["src/proj/modules/orders/api.py"]
    assert "<<<<<<< " in api.read_text()
    billing = (project / "src/proj/modules/billing/api.py").read_text()
    assert 'PREFIX + "/{id}"' in billing  # the other module updated cleanly


def test_a_module_behind_a_current_project_is_updated_alone(
    cli: Cli, two_modules: Path, template: Path
) -> None:
    """An older chassis (or plain `copier update`) updated the project but not its modules."""
    project = two_modules
    release(template, "1.1.0", V1_1)
    copier(project, "update", "--defaults", "--vcs-ref", "1.1.0")
    commit_all(project)
    assert answers(project)["_commit"] == "1.1.0"

    check = cli("check", project)
    assert check.exit_code == 3
    assert check.stdout.splitlines()[0] == (
        "Update available: module billing is at template 1.0.0 -> 1.1.0. Run `chassis update`."
    )

    result = cli("update", project)

    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines()[0] == (
        f"Updated the modules of {project} to template 1.1.0: billing (from 1.0.0), orders "
        "(from 1.0.0):"
    )
    assert " M .copier-answers.yml" not in status(project)
    assert answers(project, ".copier-answers.module-orders.yml")["_commit"] == "1.1.0"
    commit_all(project)
    assert cli("update", project).stdout.strip() == (
        f"{project} is up to date with template 1.1.0."
    )


def test_a_failed_module_update_changes_nothing(
    cli: Cli, two_modules: Path, template: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = two_modules
    release(template, "1.1.0", V1_1)
    before = snapshot(project)
    from chassis import _copier  # noqa: PLC0415

    real = _copier.run_update

    def fail_for_billing(*args: object, answers_file: str | None = None, **kw: object) -> None:
        if answers_file == ".copier-answers.module-billing.yml":
            raise KeyboardInterrupt
        real(*args, answers_file=answers_file, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(_copier, "run_update", fail_for_billing)

    result = cli("update", project)

    assert result.exit_code == 130
    assert result.stderr.strip() == "interrupted: nothing was changed"
    assert snapshot(project) == before
    assert status(project) == ""


# --- side by side with plain Copier ---------------------------------------------------


def copier(project: Path, *args: str) -> None:
    """Plain Copier's command line, as a team without chassis runs it."""
    command = Path(sys.executable).with_name("copier")
    subcommand, *rest = args
    subprocess.run(
        [str(command), subcommand, "--quiet", *rest], cwd=project, check=True, capture_output=True
    )


def copier_copy_module(
    project: Path, template: Path, version: str, recorded: Mapping[str, object], *args: str
) -> None:
    """Plain `copier copy` of the module whose answers chassis recorded as ``recorded``,
    into ``project``, at ``version``."""
    name = f".copier-answers.module-{recorded['module_name']}.yml"
    data = [f"--data={k}={v}" for k, v in recorded.items() if not k.startswith("_")]
    copier(project, "copy", "--defaults", "--vcs-ref", version, "--answers-file", name, *args,
           *data, str(template), ".")  # fmt: skip


def test_plain_copier_updates_a_module_as_chassis_does(
    cli: Cli, two_modules: Path, template: Path, tmp_path: Path
) -> None:
    project = two_modules
    release(template, "1.1.0", V1_1)
    plain = tmp_path / "plain"
    git("clone", "--quiet", str(project), str(plain), cwd=tmp_path)

    # The answers file chassis wrote is the one Copier itself writes for the module.
    fresh = tmp_path / "fresh"
    git("clone", "--quiet", str(project), str(fresh), cwd=tmp_path)
    recorded = answers(project, ".copier-answers.module-orders.yml")
    (fresh / ".copier-answers.module-orders.yml").unlink()
    copier_copy_module(fresh, template, "1.0.0", recorded, "--overwrite")
    assert (fresh / ".copier-answers.module-orders.yml").read_text() == (
        project / ".copier-answers.module-orders.yml"
    ).read_text()

    # Plain `copier update`, once per answers file, gives what one `chassis update` gives.
    copier(plain, "update", "--defaults")
    for name in ("orders", "billing"):
        commit_all(plain, f"before {name}")
        copier(plain, "update", "--defaults", "-a", f".copier-answers.module-{name}.yml")
    result = cli("update", project)

    assert result.exit_code == 0, result.stderr
    assert snapshot(plain) == snapshot(project)


# A module's task, as Copier documents `_tasks`: it runs in the destination, with
# `_copier_operation` and `_copier_conf` in its context. Only module renders run it. It
# logs where and how it ran to LOG (a file outside every project, written into the
# template by the test), and leaves a file in the project.
MODULE_TASK = """\
_tasks:
  - command: "printf '%s %s %s\\n' '{{ _copier_operation }}' '{{ _copier_conf.answers_file }}' \\"$PWD\\" >> 'LOG' && echo '{{ module_name }}' > 'task-{{ module_name }}.txt'"
    when: "{{ module_name | default('') != '' }}"
"""  # noqa: E501 - one shell command


@pytest.fixture
def task_log(tmp_path: Path) -> Path:
    return tmp_path / "task.log"


def module_task(log: Path) -> str:
    return MODULE_TASK.replace("'LOG'", shlex.quote(str(log)))


def ran_in(log: Path, project: Path) -> list[str]:
    """The runs ``log`` records in ``project`` itself (Copier also runs a template's
    tasks in the renders it compares, elsewhere)."""
    lines = log.read_text().splitlines() if log.exists() else []
    return [line.removesuffix(f" {project}") for line in lines if line.endswith(f" {project}")]


@pytest.fixture
def with_task(cli: Cli, template: Path, task_log: Path) -> Path:
    """A project of a template whose 1.1.0 has a task for modules, generated at 1.1.0."""
    release(template, "1.1.0", {"copier.yml": COPIER_YML + module_task(task_log)})
    result = cli("new", "proj", "--template", template, "--defaults", "--no-lock", "--trust")
    assert result.exit_code == 0, result.stderr
    return Path("proj").resolve()


def test_add_module_runs_the_templates_tasks_as_copier_copy_does(
    cli: Cli, with_task: Path, template: Path, tmp_path: Path, task_log: Path
) -> None:
    project = with_task
    assert not task_log.exists()  # a project render runs none
    twin = tmp_path / "twin"
    git("clone", "--quiet", str(project), str(twin), cwd=tmp_path)

    result = cli("add", "module", "orders", project, "--trust", "--json")

    assert result.exit_code == 0, result.stderr
    assert ran_in(task_log, project) == ["copy .copier-answers.module-orders.yml"]
    assert (project / "task-orders.txt").read_text() == "orders\n"
    assert json.loads(result.stdout)["notes"] == [
        "the template's tasks also changed task-orders.txt: review them with the module"
    ]
    # Plain Copier, given the same answers, runs the task the same way.
    recorded = answers(project, ".copier-answers.module-orders.yml")
    copier_copy_module(twin, template, "1.1.0", recorded, "--trust")
    assert ran_in(task_log, twin) == ran_in(task_log, project)
    chassis_files = {k: v for k, v in snapshot(project).items() if k != "README.md"}
    assert {k: v for k, v in snapshot(twin).items() if k != "README.md"} == chassis_files


def test_add_module_runs_no_task_of_an_untrusted_template_and_writes_nothing(
    cli: Cli, with_task: Path, template: Path, task_log: Path
) -> None:
    project = with_task

    result = cli("add", "module", "orders", project)

    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"error: template {template} uses features that run code on your machine (Template "
        "uses potentially unsafe feature: tasks.); pass --trust if you trust this template"
    ]
    assert status(project) == ""
    assert not task_log.exists()


def test_a_plan_says_it_ran_no_task(cli: Cli, with_task: Path, task_log: Path) -> None:
    result = cli("add", "module", "orders", with_task, "--plan", "--json", "--trust")

    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["notes"] == [
        "the plan ran none of the template's tasks, which can change more files"
    ]
    assert status(with_task) == ""
    assert not task_log.exists()


def test_add_module_with_skip_tasks_adds_the_module_and_runs_none(
    cli: Cli, with_task: Path, task_log: Path
) -> None:
    project = with_task

    result = cli("add", "module", "orders", project, "--skip-tasks")

    assert result.exit_code == 0, result.stderr
    assert (project / "src/proj/modules/orders/api.py").is_file()
    assert not task_log.exists()


def test_update_runs_the_tasks_once_per_module_as_plain_copier_does(
    cli: Cli, with_task: Path, template: Path, tmp_path: Path, task_log: Path
) -> None:
    project = with_task
    add(cli, project, "orders", "--trust")
    add(cli, project, "billing", "--trust", "--set", "uses=orders")
    release(template, "1.2.0", V1_1)
    plain = tmp_path / "plain"
    git("clone", "--quiet", str(project), str(plain), cwd=tmp_path)
    task_log.unlink()

    result = cli("update", project, "--trust")

    assert result.exit_code == 0, result.stderr
    assert ran_in(task_log, project) == [
        "update .copier-answers.module-billing.yml",
        "update .copier-answers.module-orders.yml",
    ]
    # Plain Copier: the project, then each module's answers file, on a clean tree.
    copier(plain, "update", "--defaults", "--trust")
    for name in ("billing", "orders"):
        commit_all(plain, f"before {name}")
        copier(plain, "update", "--defaults", "--trust", "-a", f".copier-answers.module-{name}.yml")
    assert ran_in(task_log, plain) == ran_in(task_log, project)


def test_a_failing_task_removes_the_module_again(cli: Cli, template: Path, task_log: Path) -> None:
    failing = module_task(task_log).replace(".txt'", ".txt'; exit 3")
    release(template, "1.1.0", {"copier.yml": COPIER_YML + failing})
    result = cli("new", "proj", "--template", template, "--defaults", "--no-lock", "--trust")
    assert result.exit_code == 0, result.stderr
    project = Path("proj").resolve()
    before = snapshot(project)

    result = cli("add", "module", "orders", project, "--trust")

    assert result.exit_code == 1
    [line] = result.stderr.splitlines()
    assert line.startswith(f"error: a task of template {template} failed: printf ")
    assert ran_in(task_log, project) == ["copy .copier-answers.module-orders.yml"]
    assert "(exit 3); module orders was not added" in line
    assert line.endswith(
        "fix the task or its cause, then add the module again; or pass --skip-tasks and run "
        "the template's tasks yourself"
    )
    assert status(project) == ""
    assert snapshot(project) == before


@pytest.mark.parametrize("mode", ["inline", "rej"])
def test_a_conflict_in_the_project_does_not_stop_the_modules(
    cli: Cli, two_modules: Path, template: Path, mode: str
) -> None:
    """Copier updates a clean tree only: the project's conflict is committed in the clone
    before the modules' runs, and still reported against the project's own HEAD."""
    project = two_modules
    (project / "src/proj/app.py").write_text('"""The app, as the team has it."""\n')
    commit_all(project)
    release(template, "1.1.0", V1_1)
    head = git("rev-parse", "HEAD", cwd=project)

    result = cli("update", project, "--conflict", mode, "--json")

    assert result.exit_code == 4, result.stderr
    report = json.loads(result.stdout)
    assert report["conflicts"] == ["src/proj/app.py"]
    statuses = {f["path"]: f["status"] for f in report["files"]}
    assert statuses["src/proj/modules/orders/schemas.py"] == "added"
    assert statuses["src/proj/modules/billing/api.py"] == "updated"
    if mode == "rej":
        assert statuses["src/proj/app.py.rej"] == "rejected"
    else:
        assert "<<<<<<< " in (project / "src/proj/app.py").read_text()
    assert git("rev-parse", "HEAD", cwd=project) == head  # the clone's commits stay there


def test_module_files_deleted_by_the_team_or_by_the_template(
    cli: Cli, two_modules: Path, template: Path
) -> None:
    project = two_modules
    (project / "src/proj/modules/orders/api.py").unlink()  # the team's choice
    tests = project / "tests/test_billing_api.py"
    tests.write_text(tests.read_text() + "# the team's own case\n")
    commit_all(project)
    release(template, "1.1.0", {**V1_1, "module/tests/test_{{ module_name }}_api.py.jinja": None})

    result = cli("update", project, "--json")

    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    statuses = {f["path"]: f["status"] for f in report["files"]}
    assert statuses["src/proj/modules/orders/api.py"] == "kept-deleted"
    assert statuses["tests/test_billing_api.py"] == "deleted"
    assert statuses["tests/test_orders_api.py"] == "deleted"
    assert not (project / "src/proj/modules/orders/api.py").exists()
    assert report["notes"] == [
        "tests/test_billing_api.py had your edits, and the template no longer has it, so the "
        "update deletes it; your version stays in git: git show HEAD:tests/test_billing_api.py"
    ]


# --- real processes, interrupted (the harness of tests/test_interruptions.py) ----------


@pytest.fixture(name="hold")
def _hold(tmp_path: Path) -> Iterator[Hold]:
    """Where a held chassis process and the test talk, as in tests/test_interruptions.py."""
    root = tmp_path / "hold"
    root.mkdir()
    made = Hold(root)
    yield made
    made.release()  # frees a hold a failed test left waiting


ADD_MOMENTS = {
    # Copier checking out the template, to render the module in the scratch folder.
    "render": "clone --no-checkout",
    # The copy into the project (signals held off): after the second file.
    "apply": None,
}
UPDATE_MOMENTS = {
    # Between the project's Copier run and a module's, in the throwaway clone.
    "module": "before updating module billing",
    "apply": None,
}


def _interrupt(
    args: tuple[str, ...],
    pattern: str | None,
    *,
    project: Path,
    send: Callable[[subprocess.Popen[str]], None],
    hold: Hold,
    tmp_path: Path,
) -> None:
    """Run `chassis ARGS` in ``project``, held where git's arguments hold ``pattern`` (or,
    for None, in the copy into the project), send it the signal, and check that it says
    nothing changed, and that nothing did."""
    before, head = snapshot(project), git("rev-parse", "HEAD", cwd=project)
    tools = None if pattern is None else git_stub(tmp_path / "tools", hold, pattern)
    hooked = hold if pattern is None else None
    run = start(*args, cwd=project, logs=tmp_path / "logs", path=tools, hooked=hooked)
    run.wait_for(hold.reached.exists)
    send(run.process)
    if pattern is None:
        time.sleep(0.1)  # the signal is pending: signals are held off during the copy
        assert run.process.poll() is None
        assert snapshot(project) != before  # the copy has begun
        hold.release()
    code, out, err = run.finish()

    assert_interrupted(code, out, err)
    assert snapshot(project) == before
    assert status(project) == ""
    assert git("rev-parse", "HEAD", cwd=project) == head


@SIGNALS
@pytest.mark.parametrize("moment", ADD_MOMENTS)
def test_an_interrupted_add_module_leaves_nothing_behind(
    *,
    moment: str,
    send: Callable[[subprocess.Popen[str]], None],
    cli: Cli,
    project: Path,
    hold: Hold,
    tmp_path: Path,
) -> None:
    args = ("add", "module", "orders")
    _interrupt(args, ADD_MOMENTS[moment], project=project, send=send, hold=hold, tmp_path=tmp_path)

    assert cli("add", "module", "orders", project).exit_code == 0


@SIGNALS
@pytest.mark.parametrize("moment", UPDATE_MOMENTS)
def test_an_interrupted_update_of_modules_leaves_nothing_behind(
    *,
    moment: str,
    send: Callable[[subprocess.Popen[str]], None],
    cli: Cli,
    two_modules: Path,
    template: Path,
    hold: Hold,
    tmp_path: Path,
) -> None:
    release(template, "1.1.0", V1_1)
    pattern = UPDATE_MOMENTS[moment]
    _interrupt(("update",), pattern, project=two_modules, send=send, hold=hold, tmp_path=tmp_path)

    assert cli("update", two_modules).exit_code == 0
    assert answers(two_modules, ".copier-answers.module-billing.yml")["_commit"] == "1.1.0"


@SIGNALS
def test_add_module_interrupted_in_its_task_says_the_module_is_in_place(
    *,
    send: Callable[[subprocess.Popen[str]], None],
    cli: Cli,
    template: Path,
    hold: Hold,
    tmp_path: Path,
) -> None:
    """The template's tasks run once the module is in the project, as `copier copy` runs
    them: an interruption there leaves the module in place, uncommitted (Copier's would
    too), and the message says that, and that the tasks were cut short."""
    task = f'_tasks:\n  - command: {json.dumps(hold.shell())}\n    when: "{{{{ module_name }}}}"\n'
    release(template, "1.1.0", {"copier.yml": COPIER_YML + task})
    made = cli("new", "proj", "--template", template, "--defaults", "--no-lock", "--trust")
    assert made.exit_code == 0, made.stderr
    project = Path("proj").resolve()

    run = start("add", "module", "orders", "--trust", cwd=project, logs=tmp_path / "logs")
    run.wait_for(hold.reached.exists)
    assert (project / "src/proj/modules/orders/api.py").is_file(), "the module is not in yet"
    send(run.process)
    code, out, err = run.finish()

    expected = (
        f"interrupted: module orders was added to {project}, uncommitted, but the template's "
        "tasks were cut short; run them again by hand (`_tasks` in its copier.yml), review "
        "with `git status` and `git diff`, then commit"
    )
    assert (code, err.strip()) == (130, expected), out + err
    assert answers(project, ".copier-answers.module-orders.yml")["module_name"] == "orders"


@pytest.mark.parametrize("given", ["--set", "--answers-file"])
def test_new_refuses_a_modules_answer(
    cli: Cli, template: Path, two_modules: Path, given: str
) -> None:
    value = "module_name=orders" if given == "--set" else two_modules / MODULE_ANSWERS_FILE

    result = cli("new", "other", "--template", template, "--defaults", "--no-lock", given, value)

    assert result.exit_code == 2
    assert result.stderr.strip().splitlines()[-1] == (
        "error: module_name is a module's answer, and `chassis new` creates a project; "
        "leave it out; in the new project, add modules with `chassis add module NAME`"
    )
    assert not Path("other").exists()


# --- modules a new project starts with (_chassis_new_modules) ------------------------

# 1.2.0 starts every project with the module `notes`, rendered as a module of its own;
# its project render keeps notes only for a project whose answers say so (one from
# before 1.2.0 has no such answer, so the question's default keeps its notes there).
V1_2 = {
    "copier.yml": COPIER_YML
    + """\
notes_in_project:
  type: bool
  default: true
  when: "{{ not module_name | default('') }}"
  ask: false
_chassis_new_modules:
  notes:
    notes_in_project: false
""",
    f"project/{PKG}/modules/notes/__init__.py": None,
    f"project/{PKG}/modules/{{% if notes_in_project %}}notes{{% endif %}}/__init__.py": (
        '"""Notes."""\n'
    ),
    "project/README.md.jinja": V1["project/README.md.jinja"].replace(
        "        | `notes` | `src/{{ package_name }}/modules/notes/` | uses: — |\n",
        "        {% if notes_in_project -%}\n"
        "        | `notes` | `src/{{ package_name }}/modules/notes/` | uses: — |\n"
        "        {% endif -%}\n",
    ),
}


def test_new_renders_the_templates_starting_modules_as_plain_copier_does(
    cli: Cli, template: Path, tmp_path: Path
) -> None:
    release(template, "1.2.0", V1_2)

    result = cli("new", "proj", "--template", template, "--defaults", "--no-lock")

    assert result.exit_code == 0, result.stderr
    project = Path("proj").resolve()
    assert status(project) == ""  # the module is in the first commit
    assert answers(project)["notes_in_project"] is False
    recorded = answers(project, ".copier-answers.module-notes.yml")
    assert (recorded["_commit"], recorded["module_name"]) == ("1.2.0", "notes")
    readme = (project / "README.md").read_text()
    assert "| `notes` | `src/proj/modules/notes/` | uses: — |" in readme
    # The same project from plain Copier: the project without notes, then notes.
    plain = tmp_path / "plain" / "proj"
    plain.mkdir(parents=True)
    copier(plain, "copy", "--defaults", "--data=notes_in_project=false", str(template), ".")
    copier_copy_module(plain, template, "1.2.0", recorded)
    by_chassis, by_copier = snapshot(project), snapshot(plain)
    # The README row aside, which chassis adds to the table as `chassis add module` does.
    assert by_chassis.pop("README.md") != by_copier.pop("README.md")
    assert by_chassis == by_copier
    # notes is a module like any other: checked, updated, and named when added again.
    checked = cli("check", project, "--json")
    assert json.loads(checked.stdout)["modules"] == [
        {"name": "notes", "current": "1.2.0", "up_to_date": True}
    ]
    again = cli("add", "module", "notes", project)
    assert again.exit_code == 1
    assert "module 'notes' exists already" in again.stderr


def test_an_answer_that_keeps_the_module_in_the_project_renders_it_there(
    cli: Cli, template: Path
) -> None:
    release(template, "1.2.0", V1_2)

    result = cli("new", "proj", "--template", template, "--defaults", "--no-lock",
                 "--set", "notes_in_project=true")  # fmt: skip

    assert result.exit_code == 0, result.stderr
    project = Path("proj").resolve()
    assert not (project / ".copier-answers.module-notes.yml").exists()
    assert (project / "src/proj/modules/notes/__init__.py").is_file()
    assert (project / "README.md").read_text().count("| `notes` |") == 1


def test_a_project_from_before_keeps_its_edited_notes_through_the_update(
    cli: Cli, project: Path, template: Path
) -> None:
    notes = "src/proj/modules/notes/__init__.py"
    (project / notes).write_text('"""Notes, as the support team uses them."""\n')
    commit_all(project, "Our notes")
    release(template, "1.2.0", V1_2)
    plain = project.parent / "plain"
    git("clone", "--quiet", str(project), str(plain), cwd=project.parent)

    result = cli("update", project)
    copier(plain, "update", "--defaults")

    assert result.exit_code == 0, result.stderr
    # Copier would delete notes if the new version left it out of the project's render:
    # the question's default, for a project that has no answer yet, keeps it there.
    for updated in (project, plain):
        assert (updated / notes).read_text() == '"""Notes, as the support team uses them."""\n'
        assert answers(updated)["notes_in_project"] is True
        assert not (updated / ".copier-answers.module-notes.yml").exists()
    assert snapshot(project) == snapshot(plain)


def test_a_malformed_list_of_starting_modules_is_one_line(cli: Cli, template: Path) -> None:
    release(template, "1.2.0", {"copier.yml": COPIER_YML + "_chassis_new_modules: [notes]\n"})

    result = cli("new", "proj", "--template", template, "--defaults", "--no-lock")

    assert result.exit_code == 1
    assert result.stderr.strip() == (
        f"error: template {template}: _chassis_new_modules is not a mapping of "
        "module names to project answers; write it as `_chassis_new_modules: {NAME: "
        "{QUESTION: VALUE}}`"
    )
    assert not Path("proj").exists()


@pytest.fixture
def kept_inside(cli: Cli, project: Path, template: Path) -> Path:
    """A project from 1.0.0 updated to 1.2.0, which keeps notes in its own render."""
    release(template, "1.2.0", V1_2)
    assert cli("update", project).exit_code == 0
    commit_all(project, "Update")
    assert answers(project)["notes_in_project"] is True
    return project


def test_new_from_an_older_projects_answers_still_starts_with_the_modules(
    cli: Cli, kept_inside: Path, template: Path
) -> None:
    result = cli("new", "other", "--template", template, "--defaults", "--no-lock",
                 "--answers-file", kept_inside / ".copier-answers.yml")  # fmt: skip

    assert result.exit_code == 0, result.stderr
    assert answers(Path("other"), ".copier-answers.module-notes.yml")["module_name"] == "notes"


def test_a_project_that_keeps_notes_in_its_render_cannot_add_it_again(
    cli: Cli, kept_inside: Path
) -> None:
    project = kept_inside
    shutil.rmtree(project / "src/proj/modules/notes")
    commit_all(project, "We deleted notes")
    before = snapshot(project)

    result = cli("add", "module", "notes", project)

    assert result.exit_code == 2
    assert result.stderr.strip() == (
        "error: module name 'notes' is part of this project's own render (notes_in_project: "
        "true in its answers), which `chassis update` keeps up to date; choose another name; "
        "to get notes back, restore its files from git history"
    )
    assert snapshot(project) == before
