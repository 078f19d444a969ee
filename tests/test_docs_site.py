"""The documentation site builds with no warning, and no page is left out of its nav."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml
from conftest import REPO

CONFIG = REPO / "mkdocs.yml"
DOCS = REPO / "docs"


def _nav_pages(entries: Any) -> list[str]:
    """Every page path the nav names, however deeply its sections nest."""
    if isinstance(entries, str):
        return [entries]
    if isinstance(entries, list):
        return [page for entry in entries for page in _nav_pages(entry)]
    if isinstance(entries, dict):
        return [page for value in entries.values() for page in _nav_pages(value)]
    return []


def test_the_site_builds_strictly(tmp_path: Path) -> None:
    # Strict mode turns every warning into a failure: a broken link or anchor, a link
    # outside docs/, a page missing from the nav or a nav entry without a page.
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "mkdocs",
            "build",
            "--strict",
            "--config-file",
            str(CONFIG),
            "--site-dir",
            str(tmp_path / "site"),
        ],
        cwd=REPO,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        capture_output=True,
        text=True,
        check=False,
    )

    assert done.returncode == 0, done.stdout + done.stderr
    assert (tmp_path / "site" / "index.html").is_file()


def test_every_page_is_in_the_nav() -> None:
    config = yaml.safe_load(CONFIG.read_text())
    listed = _nav_pages(config["nav"])
    pages = sorted(p.relative_to(DOCS).as_posix() for p in DOCS.rglob("*.md"))

    assert sorted(set(pages) - set(listed)) == [], "add these pages to the nav in mkdocs.yml"
    assert sorted(set(listed) - set(pages)) == [], "the nav in mkdocs.yml names missing pages"
    assert len(listed) == len(set(listed)), "a page is listed twice in the nav"
