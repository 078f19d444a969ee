"""chassis holds itself to the bar it sets for generated projects: ruff clean, mypy strict."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO

TOOLS = Path(sys.executable).parent


@pytest.mark.parametrize(
    "argv",
    [["ruff", "check", "."], ["ruff", "format", "--check", "."], ["mypy"]],
    ids=["ruff-check", "ruff-format", "mypy-strict"],
)
def test_the_codebase_is_clean(argv: list[str]) -> None:
    done = subprocess.run(
        [str(TOOLS / argv[0]), *argv[1:]], cwd=REPO, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
