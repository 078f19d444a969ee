"""`--reuse-passes` skips a variant only when what it would check is what passed."""

from __future__ import annotations

from pathlib import Path

import passes
import pytest
from conftest import render_bundled

ANSWERS = {"architecture": "serverless", "database": "dynamodb", "auth": "cognito"}


@pytest.fixture(autouse=True)
def _own_records(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(passes, "PASSES", tmp_path / "passes")


def test_the_same_answers_render_to_the_same_key(tmp_path: Path) -> None:
    for parent in "abc":
        (tmp_path / parent).mkdir()
    first, _ = render_bundled(tmp_path / "a", ANSWERS, lock=False)
    second, _ = render_bundled(tmp_path / "b", ANSWERS, lock=False)
    other, _ = render_bundled(tmp_path / "c", {**ANSWERS, "auth": "auth0"}, lock=False)

    assert passes.key(first) == passes.key(second)
    assert passes.key(other) != passes.key(first)


def test_any_changed_byte_of_a_rendered_file_is_a_new_key(tmp_path: Path) -> None:
    project, _ = render_bundled(tmp_path, ANSWERS, lock=False)
    before = passes.key(project)
    handler = next(project.rglob("lambda_handler.py"))

    handler.write_bytes(handler.read_bytes() + b" ")
    assert passes.key(project) != before
    (project / "docs" / "adr" / "0009-extra.md").write_text("# extra\n")
    assert passes.key(project) != before


def test_what_the_checks_make_is_not_part_of_the_key(tmp_path: Path) -> None:
    project, _ = render_bundled(tmp_path, ANSWERS, lock=False)
    before = passes.key(project)

    for made in (".venv/bin/python", "build/lambda/x.py", ".mypy_cache/x", "infra/cdk.out/t"):
        (project / made).parent.mkdir(parents=True, exist_ok=True)
        (project / made).write_text("made by a check\n")

    assert passes.key(project) == before


def test_a_changed_check_or_tool_is_a_new_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project, _ = render_bundled(tmp_path, ANSWERS, lock=False)
    before = passes.key(project)

    monkeypatch.setattr(passes, "tools", lambda: "node v99")

    assert passes.key(project) != before


def test_a_pass_is_found_again_by_its_key_only() -> None:
    assert passes.passed_before("abc") is None

    passes.record_pass("abc", "serverless-dynamodb-cognito-github-cdk")

    when = passes.passed_before("abc")
    assert when is not None
    assert when.endswith("+00:00")
    assert passes.passed_before("abd") is None
