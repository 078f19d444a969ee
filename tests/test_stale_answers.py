"""A release that no longer accepts a recorded answer: the update stops, and says how to
keep the project's choice.

Copier replaces such an answer with the new default (`copier update --defaults` does it
silently: the last test shows it). A real template did exactly that when its licence
choices became SPDX ids: the project switched licence and the update "merged cleanly".
chassis changes no answer the user did not give.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import (
    TINY_SETTINGS,
    Result,
    answers_of,
    commit_all,
    git,
    release,
    snapshot,
    write_tree,
)

Cli = Callable[..., Result]

V1 = {
    "copier.yml": TINY_SETTINGS
    + """\
license:
  type: str
  help: The project's licence
  default: MIT License
  choices: [MIT License, Apache License 2.0]
""",
    "project/{{ _copier_conf.answers_file }}.jinja": "{{ _copier_answers|to_nice_yaml }}",
    "project/README.md.jinja": "# {{ project_name }}\n\nIntro.\n",
    "project/LICENSE.jinja": "{{ license }}\n",
}
# 2.0.0 names the licences by SPDX id, shows the old names as labels, and defaults to
# another licence: what a silent reset would switch the project to.
V2 = {
    "copier.yml": TINY_SETTINGS
    + """\
license:
  type: str
  help: The project's licence, as an SPDX id
  default: Apache-2.0
  choices:
    MIT License: MIT
    Apache License 2.0: Apache-2.0
""",
    "project/LICENSE.jinja": "SPDX-License-Identifier: {{ license }}\n",
}
REFUSAL = (
    "error: template 2.0.0 no longer accepts the project's answer license='MIT License' "
    "('MIT License' is not one of MIT, Apache-2.0); keep the project's choice with "
    "--set license=MIT"
)


@pytest.fixture
def project(cli: Cli, tmp_path: Path) -> tuple[Path, Path]:
    """A project generated at 1.0.0 and edited by its team, and the template, now 2.0.0."""
    template = tmp_path / "licensed"
    template.mkdir()
    git("init", "--quiet", cwd=template)
    release(template, "1.0.0", V1)
    made = cli("new", "proj", "--template", template, "--defaults")
    assert made.exit_code == 0, made.stderr
    project = Path("proj").resolve()
    write_tree(project, {"README.md": "# proj\n\nIntro, and the team's notes.\n"})
    commit_all(project, "team notes")
    release(template, "2.0.0", V2)
    return project, template


def test_the_update_stops_before_changing_anything(cli: Cli, project: tuple[Path, Path]) -> None:
    path, _ = project
    before = snapshot(path)

    result = cli("update", path)

    assert result.exit_code == 2
    assert result.stderr.splitlines() == [REFUSAL]
    assert snapshot(path) == before
    assert git("status", "--porcelain", cwd=path) == ""


def test_the_suggested_set_keeps_the_choice_and_the_team_s_edits(
    cli: Cli, project: tuple[Path, Path]
) -> None:
    path, _ = project

    result = cli("update", path, "--set", "license=MIT")

    assert result.exit_code == 0, result.stderr
    assert answers_of(path)["license"] == "MIT"
    assert answers_of(path)["_commit"] == "2.0.0"
    assert (path / "LICENSE").read_text() == "SPDX-License-Identifier: MIT\n"
    assert (path / "README.md").read_text() == "# proj\n\nIntro, and the team's notes.\n"


def test_the_plan_lists_the_answer_problem_instead_of_failing(
    cli: Cli, project: tuple[Path, Path]
) -> None:
    path, _ = project

    text = cli("update", path, "--plan")
    as_json = cli("update", path, "--plan", "--json")

    assert text.exit_code == 0, text.stderr
    assert text.stdout.splitlines() == [
        f"Would stop: template 2.0.0 no longer accepts an answer {path} recorded:",
        "  license='MIT License': 'MIT License' is not one of MIT, Apache-2.0; "
        "keep the project's choice with --set license=MIT",
    ]
    assert as_json.exit_code == 0, as_json.stderr
    report = json.loads(as_json.stdout)
    assert report["answer_problems"] == [
        {
            "key": "license",
            "value": "MIT License",
            "problem": "'MIT License' is not one of MIT, Apache-2.0",
            "set": "license=MIT",
        }
    ]
    assert report["applied"] is False
    assert report["files"] == []
    assert git("status", "--porcelain", cwd=path) == ""


def test_without_a_clear_successor_the_fix_lists_the_choices(
    cli: Cli, project: tuple[Path, Path]
) -> None:
    path, template = project
    release(
        template,
        "3.0.0",
        {"copier.yml": V2["copier.yml"].replace("MIT License: MIT", "BSD: BSD-3-Clause")},
    )

    result = cli("update", path)

    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        "error: template 3.0.0 no longer accepts the project's answer license='MIT License' "
        "('MIT License' is not one of BSD-3-Clause, Apache-2.0); choose one with "
        "--set license=VALUE"
    ]


def test_a_plain_copier_update_switches_the_licence_silently(project: tuple[Path, Path]) -> None:
    """Why chassis refuses: Copier's own update resets the answer to the new default."""
    path, _ = project
    copier = Path(sys.executable).with_name("copier")

    done = subprocess.run(
        [str(copier), "update", "--defaults"], cwd=path, capture_output=True, text=True, check=False
    )

    assert done.returncode == 0, done.stderr
    assert answers_of(path)["license"] == "Apache-2.0"
    assert (path / "LICENSE").read_text() == "SPDX-License-Identifier: Apache-2.0\n"


def test_every_rejected_answer_is_listed_at_once(cli: Cli, project: tuple[Path, Path]) -> None:
    path, template = project
    upper = "{% if project_name != project_name.upper() %}must be upper case{% endif %}"
    copier_yml = V2["copier.yml"].replace(
        'default: "{{ _folder_name }}"\n',
        f'default: "{{{{ _folder_name }}}}"\n  validator: "{upper}"\n',
    )
    release(template, "3.0.0", {"copier.yml": copier_yml})

    result = cli("update", path)

    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        "error: template 3.0.0 no longer accepts 2 of the project's answers; pass a --set for "
        "each (listed below), then update again",
        "  - project_name='proj': must be upper case; choose one with --set project_name=VALUE",
        "  - license='MIT License': 'MIT License' is not one of MIT, Apache-2.0; keep the "
        "project's choice with --set license=MIT",
    ]
    assert git("status", "--porcelain", cwd=path) == ""
