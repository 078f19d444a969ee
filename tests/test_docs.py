"""The documentation says what the code does: generated parts are current, links resolve."""

from __future__ import annotations

import re

from conftest import REPO

from chassis import _questions_doc
from chassis.answers import load_spec
from chassis.errors import ExitCode


def test_the_questions_reference_is_generated_from_copier_yml() -> None:
    expected = _questions_doc.render(load_spec(REPO / "templates" / "service"))

    assert (REPO / "docs" / "questions.md").read_text() == expected, (
        "docs/questions.md is stale: run python -m chassis._questions_doc > docs/questions.md"
    )


def test_every_exit_code_is_documented() -> None:
    page = (REPO / "docs" / "exit-codes.md").read_text()

    for code in ExitCode:
        assert re.search(rf"^\| {code.value} \|", page, re.MULTILINE), code


def test_readme_and_docs_links_resolve() -> None:
    for page in [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]:
        for target in re.findall(r"\]\(([^)#]+\.md)\)", page.read_text()):
            assert (page.parent / target).is_file(), f"{page.name} links to missing {target}"
