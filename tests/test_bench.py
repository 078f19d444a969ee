"""The benchmarks' harness: how it orders rounds and keeps docs/performance.md tidy.
The benchmarks themselves run on demand (`python -m bench`), never as tests."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO

from bench import _harness


@pytest.fixture
def page(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    page = tmp_path / "performance.md"
    page.write_text("# Performance\n\nIntro.\n\n## The template matrix\n\nBy hand.\n")
    monkeypatch.setattr(_harness, "PAGE", page)
    return page


def test_a_recorded_section_takes_its_place_in_the_page_order(page: Path) -> None:
    _harness.record("Growth", "Grows.")
    _harness.record("Start-up", "Starts.")
    _harness.record("`chassis new` against `copier copy`", "Renders.")

    headings = [line for line in page.read_text().splitlines() if line.startswith("## ")]
    assert headings == [
        "## Start-up",
        "## `chassis new` against `copier copy`",
        "## Growth",
        "## The template matrix",
    ]
    assert "By hand." in page.read_text()


def test_recording_a_section_again_replaces_it(page: Path) -> None:
    _harness.record("Start-up", "First run.")
    _harness.record("Growth", "Grows.")
    _harness.record("Start-up", "Second run.")

    text = page.read_text()
    assert "First run." not in text
    assert text.count("## Start-up") == 1
    assert text.index("Second run.") < text.index("## Growth") < text.index("## The template")


def test_rounds_interleave_in_a_rotating_order_after_an_untimed_warm_up() -> None:
    calls: list[str] = []
    cases = {name: (lambda n=name: calls.append(n)) for name in ("a", "b", "c")}

    timings = _harness.interleave(cases, rounds=3)

    assert calls == ["a", "b", "c", "a", "b", "c", "b", "c", "a", "c", "a", "b"]
    assert {name: len(runs) for name, runs in timings.runs.items()} == {"a": 3, "b": 3, "c": 3}


def test_an_unknown_benchmark_is_refused_by_name() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bench", "startup", "nosuch"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )

    assert done.returncode == 2
    assert "no benchmark named nosuch; choose from startup, new, update" in done.stderr
    assert "Traceback" not in done.stderr
