"""Shell completion of --preset and --set: offline, fast, and never failing."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import Result

from chassis import _complete
from chassis.cli import _complete_preset, _complete_set, app

Cli = Callable[..., Result]


class _Ctx:
    def __init__(self, name: str, **params: object) -> None:
        self.info_name = name
        self.params = params


def test_presets_of_the_bundled_template() -> None:
    assert _complete_preset(_Ctx("new"), "") == ["minimal", "modular-monolith", "serverless-mvp"]  # type: ignore[arg-type]
    assert _complete_preset(_Ctx("new"), "m") == ["minimal", "modular-monolith"]  # type: ignore[arg-type]


def test_a_template_given_completes_nothing() -> None:
    ctx = _Ctx("new", template="https://example.invalid/t.git")
    assert _complete_preset(ctx, "") == []  # type: ignore[arg-type]
    assert _complete_set(ctx, "") == []  # type: ignore[arg-type]


def test_set_offers_question_keys_then_their_choices() -> None:
    keys = _complete_set(_Ctx("new"), "")  # type: ignore[arg-type]
    assert "project_name=" in keys
    assert "database=" in keys
    assert _complete_set(_Ctx("new"), "arch") == ["architecture="]  # type: ignore[arg-type]
    assert _complete_set(_Ctx("new"), "architecture=") == [  # type: ignore[arg-type]
        "architecture=monolith",
        "architecture=serverless",
    ]
    assert _complete_set(_Ctx("new"), "database=s") == ["database=sqlite"]  # type: ignore[arg-type]
    assert _complete_set(_Ctx("new"), "nosuch=") == []  # type: ignore[arg-type]


def test_update_offers_the_projects_recorded_answers(cli: Cli) -> None:
    assert cli("new", "svc", "--defaults", "--no-lock", "--no-git").exit_code == 0
    nested = Path("svc/src").resolve()

    keys = _complete_set(_Ctx("update", path=nested), "pro")  # type: ignore[arg-type]

    assert keys == ["project_name=", "project_slug="]
    assert _complete_set(_Ctx("update", path=Path("nowhere")), "") == []  # type: ignore[arg-type]


def test_add_module_offers_uses_and_the_projects_modules(tmp_path: Path) -> None:
    project = tmp_path / "svc"
    for folder in ("notes", "orders", "billing"):
        (project / "src/svc/modules" / folder).mkdir(parents=True)
        (project / "src/svc/modules" / folder / "__init__.py").write_text("")
    (project / ".copier-answers.yml").write_text("_commit: 0.1.0\n")
    (project / ".copier-answers.module-orders.yml").write_text("_commit: 0.1.0\n")
    ctx = _Ctx("module", path=project / "src")

    assert _complete_set(ctx, "") == ["uses="]  # type: ignore[arg-type]
    assert _complete_set(ctx, "uses=") == [  # type: ignore[arg-type]
        "uses=billing",
        "uses=notes",
        "uses=orders",
    ]
    assert _complete_set(ctx, "uses=notes,o") == ["uses=notes,orders"]  # type: ignore[arg-type]
    assert _complete_set(ctx, "other=") == []  # type: ignore[arg-type]


def test_broken_files_complete_nothing(tmp_path: Path) -> None:
    (tmp_path / ".copier-answers.yml").write_text("{[ not yaml")
    assert _complete.answer_keys(tmp_path, "") == []
    assert _complete.set_values({"a": {"choices": [[1], {"x": 1}]}}, "a=") == []


def test_completion_through_the_shell_protocol_is_fast() -> None:
    env = {
        **os.environ,
        "_CHASSIS_COMPLETE": "complete_bash",
        "COMP_WORDS": "chassis new svc --preset ",
        "COMP_CWORD": "4",
    }
    done = subprocess.run(
        [sys.executable, "-m", "chassis"], env=env, capture_output=True, text=True, check=False
    )
    assert done.stdout.split() == ["minimal", "modular-monolith", "serverless-mvp"], done.stderr


def test_completion_loads_neither_copier_nor_jinja() -> None:
    """Fast by construction (timing is at the mercy of a loaded machine): plain YAML."""
    code = (
        "import sys; from chassis import _complete; "
        "assert _complete.question_keys(None, 'data') == ['database=']; "
        "assert _complete.preset_names(None, 'min') == ['minimal']; "
        "print(sorted(m for m in ('copier', 'jinja2', 'questionary') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.stdout.strip() == "[]", done.stderr


@pytest.mark.parametrize("name", ["new", "update", "add module"])
def test_the_completers_are_wired(name: str) -> None:
    import typer  # noqa: PLC0415

    command = typer.main.get_command(app)
    for word in name.split():
        command = command.commands[word]  # type: ignore[attr-defined]
    options = {p.name: p for p in command.params}
    assert options["set_"]._custom_shell_complete is not None
