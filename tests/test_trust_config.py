"""Trust that lasts: a template source the user trusts once, in chassis's config file or
in `$CHASSIS_TRUST` (how CI passes it), runs its tasks and migrations in `new` and
`update` without `--trust`; `check` says when an update will need it.

Which sources an entry trusts follows Copier's own `trust` setting, and the first test
holds chassis to Copier's decision on the same entries.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from conftest import TINY_V1, Result, git, release, write_tree

from chassis import sources

Cli = Callable[..., Result]


def _tasks(marker: str) -> dict[str, str | None]:
    return {"copier.yml": TINY_V1["copier.yml"] + f'_tasks:\n  - "touch {marker}"\n'}


@pytest.fixture
def acme(tmp_path: Path) -> Path:
    """A house template at ~/templates/acme/service, with a task, tagged 1.0.0."""
    repo = Path.home() / "templates" / "acme" / "service"
    repo.mkdir(parents=True)
    git("init", "--quiet", cwd=repo)
    release(repo, "1.0.0", {**TINY_V1, **_tasks("task-ran")})
    return repo


def _configure(trust: object) -> None:
    config = Path.home() / ".config" / "chassis" / "config.yml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(yaml.safe_dump({"trust": trust}))


@pytest.mark.parametrize(
    ("entry", "trusted"),
    [
        ("{repo}", True),  # exactly this source
        ("{repo}/", False),  # a prefix: what is under it, not itself
        ("{home}/templates/", True),  # a prefix
        ("{home}/templates", False),  # neither the source nor a prefix
        ("{home}/templates/acme/", True),
        ("{home}/templates/other/", False),
        ("~/templates/", True),  # ~ is the user's home, as Copier expands it
        ("{home}/templates/acme/../acme/", True),  # normalised, as Copier does
    ],
)
def test_an_entry_trusts_what_copier_s_trust_setting_trusts(
    acme: Path, tmp_path: Path, entry: str, trusted: bool
) -> None:
    entry = entry.format(repo=acme, home=Path.home())
    settings = tmp_path / "copier-trust.yml"
    settings.write_text(yaml.safe_dump({"trust": [entry]}))
    copier = Path(sys.executable).with_name("copier")

    done = subprocess.run(
        [str(copier), "copy", "--defaults", "--quiet", str(acme), str(tmp_path / "out")],
        env={**os.environ, "COPIER_SETTINGS_PATH": str(settings)},
        capture_output=True,
        text=True,
        check=False,
    )

    assert (done.returncode == 0) is trusted, done.stderr  # Copier's decision
    assert sources.is_trusted(str(acme), [entry]) is trusted  # chassis's


def test_a_source_trusted_in_the_config_runs_its_tasks_without_the_flag(
    cli: Cli, acme: Path
) -> None:
    _configure([f"{Path.home()}/templates/"])

    result = cli("new", "svc", "--template", acme, "--defaults", "--no-lock")

    assert result.exit_code == 0, result.stderr
    assert Path("svc/task-ran").is_file()


def test_an_untrusted_source_is_still_refused(cli: Cli, acme: Path) -> None:
    _configure([f"{Path.home()}/templates/other/"])

    result = cli("new", "svc", "--template", acme, "--defaults", "--no-lock")

    assert result.exit_code == 1
    assert "uses features that run code on your machine" in result.stderr
    assert not Path("svc").exists()


def test_check_says_when_an_update_needs_trust_and_trust_from_ci_lets_it_run(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = tmp_path / "tpl"
    repo.mkdir()
    git("init", "--quiet", cwd=repo)
    release(repo, "1.0.0", TINY_V1)  # no code to run: generated without trust
    assert cli("new", "svc", "--template", repo, "--defaults", "--no-lock").exit_code == 0
    project = Path("svc").resolve()
    release(repo, "2.0.0", {**_tasks("task-ran"), "project/NEW.md": "new\n"})

    checked = cli("check", project)
    as_json = cli("check", project, "--json")
    refused = cli("update", project)

    assert checked.exit_code == 3
    assert checked.stdout.splitlines() == [
        "Update available: template 1.0.0 -> 2.0.0. Run `chassis update`.",
        "The template runs code on your machine (tasks): read its copier.yml, then run "
        f"`chassis update --trust`, or trust {repo} for good (`trust:` in the chassis "
        "config, $CHASSIS_TRUST in CI).",
    ]
    assert json.loads(as_json.stdout)["needs_trust"] == ["tasks"]
    assert refused.exit_code == 1
    assert git("status", "--porcelain", cwd=project) == ""

    monkeypatch.setenv("CHASSIS_TRUST", f"https://git.example.com/other.git {repo}")
    trusted_check = cli("check", project, "--json")
    updated = cli("update", project)

    assert json.loads(trusted_check.stdout)["needs_trust"] == []
    assert updated.exit_code == 0, updated.stderr
    assert (project / "NEW.md").read_text() == "new\n"
    assert (project / "task-ran").is_file()


def test_a_project_at_the_latest_version_needs_no_trust(cli: Cli, acme: Path) -> None:
    assert (
        cli("new", "svc", "--template", acme, "--defaults", "--no-lock", "--trust").exit_code == 0
    )

    assert json.loads(cli("check", "svc", "--json").stdout)["needs_trust"] == []


@pytest.mark.parametrize("trust", ["https://git.example.com/", [""], {"a": 1}, [3]])
def test_a_broken_trust_list_is_refused(cli: Cli, acme: Path, trust: object) -> None:
    _configure(trust)

    result = cli("new", "svc", "--template", acme, "--defaults", "--no-lock", "--trust")

    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"error: cannot read chassis config {Path.home()}/.config/chassis/config.yml: `trust` "
        "must be a list of template sources or prefixes; fix the file (see "
        "docs/getting-started.md: a `defaults:` mapping and a `trust:` list) or remove it"
    ]
    assert not Path("svc").exists()


def test_the_bundled_template_is_trusted_whatever_the_config_says() -> None:
    _configure([])
    write_tree(Path.home(), {})

    assert sources.TemplateSource(sources.BUNDLED_SRC, ("1.0.0",), bundled=True).trusted
