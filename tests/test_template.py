"""The bundled template rendered by Copier itself (pytest-copie), without chassis in between.

These prove that copier.yml's validators hold for plain Copier users too, and that
rendered files carry no template markers.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

AUTHOR = {"author_name": "Ana Lead", "author_email": "ana@example.com"}
# A Jinja expression or tag left unrendered; `}}` alone is a closing dict in Python, and
# `${{ ... }}` is a GitHub Actions expression.
MARKER = re.compile(r"(?<!\$)\{\{\s*[A-Za-z_]|\{%|%\}|\{#")


def _files(root: Path) -> list[Path]:
    return [p for p in sorted(root.rglob("*")) if p.is_file() and ".git" not in p.parts]


def test_defaults_render_a_complete_package(copie: Any) -> None:
    result = copie.copy(extra_answers={**AUTHOR, "project_name": "Order Intake"})

    assert result.exit_code == 0, result.exception
    names = {str(p.relative_to(result.project_dir)) for p in _files(result.project_dir)}
    assert {
        ".copier-answers.yml",
        ".env.example",
        ".gitignore",
        ".python-version",
        "Dockerfile",
        "docker-compose.yml",
        "Makefile",
        "README.md",
        "pyproject.toml",
        "src/order_intake/app.py",
        "src/order_intake/db.py",
        "src/order_intake/migrations/versions/0001_create_notes.py",
        "src/order_intake/modules/notes/api.py",
        "src/order_intake/modules/notes/repository.py",
        "tests/test_migrations.py",
    } <= names
    assert not any("sentry" in name for name in names)  # sentry is off by default
    readme = (result.project_dir / "README.md").read_text()
    assert readme.startswith("# Order Intake\n")
    assert "uv run order-intake serve --migrate" in readme
    assert 'name = "order-intake"' in (result.project_dir / "pyproject.toml").read_text()


def test_no_template_marker_is_left_in_any_file(copie: Any) -> None:
    result = copie.copy(extra_answers=AUTHOR)

    assert result.exit_code == 0, result.exception
    for path in _files(result.project_dir):
        assert not path.name.endswith(".jinja"), path
        text = path.read_text()
        assert not MARKER.search(text), f"{path}: {MARKER.search(text)}"


def test_env_files_are_ignored_by_git(copie: Any) -> None:
    result = copie.copy(extra_answers=AUTHOR)

    assert ".env\n" in (result.project_dir / ".gitignore").read_text()


@pytest.mark.parametrize(
    ("answers", "reason"),
    [
        ({"architecture": "serverless"}, "no durable disk for a SQLite file"),
        ({"package_name": "lambda"}, "is a Python keyword"),
        ({"project_slug": "Not_Kebab"}, "is not kebab-case"),
        ({"author_email": "nobody"}, "is not an email address"),
    ],
    ids=["serverless-sqlite", "keyword", "slug", "email"],
)
def test_copier_itself_refuses_what_the_template_cannot_do(
    copie: Any, answers: dict[str, Any], reason: str
) -> None:
    result = copie.copy(extra_answers={**AUTHOR, **answers})

    assert result.exit_code != 0
    assert reason in str(result.exception)
