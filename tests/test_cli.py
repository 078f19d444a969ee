"""The command line itself: help, version, entry points, start-up cost, and a real terminal."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pexpect
import pytest
from conftest import Result, answers_of

from chassis import __version__

# A questionary prompt: "? name", with colour codes between the parts.
PROMPT = r"\?(?:\x1b\[[0-9;]*m)* ([a-z_]+)"
CONFIRM = r"Create [^\r\n]*svc\?"


def _prompted(child: pexpect.spawn[str]) -> str:
    """The question name the last PROMPT match found."""
    assert isinstance(child.match, re.Match)
    return child.match.group(1)


Cli = Callable[..., Result]


def test_version(cli: Cli) -> None:
    result = cli("--version")

    assert result.exit_code == 0
    assert result.stdout == f"chassis {__version__}\n"


def test_python_dash_m_runs_the_same_cli() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "chassis", "--version"], capture_output=True, text=True, check=True
    )
    assert done.stdout == f"chassis {__version__}\n"


@pytest.mark.parametrize(
    ("command", "mentions"),
    [
        ((), ["new", "update", "check", "presets", "adr", "--install-completion"]),
        (
            ("new",),
            [
                "--preset",
                "--set",
                "--answers-file",
                "--defaults",
                "--template",
                "--vcs-ref",
                "--no-git",
                "--trust",
            ],
        ),
        (
            ("update",),
            ["--to", "--set", "--conflict", "--plan", "--json", "--trust", "--reason"],
        ),
        (("check",), ["--json"]),
        (("presets",), ["--template", "--json"]),
        (("adr",), ["new", "list"]),
        (("adr", "new"), ["--supersedes", "--status", "--date", "--dir"]),
        (("adr", "list"), ["--json", "--dir"]),
    ],
    ids=["chassis", "new", "update", "check", "presets", "adr", "adr-new", "adr-list"],
)
def test_every_command_has_help(cli: Cli, command: tuple[str, ...], mentions: list[str]) -> None:
    result = cli(*command, "--help")

    assert result.exit_code == 0
    assert result.stdout.startswith(f"Usage: chassis {' '.join(command)}".rstrip())
    for option in mentions:
        assert option in result.stdout


def test_help_does_not_import_copier_or_questionary() -> None:
    probe = (
        "import sys\n"
        "from chassis.cli import main\n"
        "try:\n    main(['--help'])\n"
        "except SystemExit:\n    pass\n"
        "print(sorted(m for m in ('copier', 'questionary') if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.splitlines()[-1] == "[]"


def test_presets_are_listed_with_availability(cli: Cli) -> None:
    result = cli("presets", "--json")

    assert result.exit_code == 0
    presets = json.loads(result.stdout)
    assert list(presets) == ["minimal", "modular-monolith", "serverless-mvp"]
    assert presets["minimal"]["available"] is True
    assert presets["minimal"]["answers"] == {
        "architecture": "monolith",
        "database": "sqlite",
        "auth": "none",
        "ci": "github",
        "iac": "cdk",
        "sentry": False,
    }
    assert all(preset["available"] for preset in presets.values())
    table = cli("presets").stdout
    assert "minimal" in table
    assert "available" in table


def test_a_terminal_session_prompts_summarises_and_confirms(tmp_path: Path) -> None:
    child = pexpect.spawn(
        sys.executable,
        ["-m", "chassis", "new", "svc"],
        cwd=str(Path.cwd()),
        encoding="utf-8",
        timeout=30,
        dimensions=(40, 160),
    )
    child.expect("Start from a preset")
    child.send("\r")  # none: answer every question
    child.expect("project_name")
    child.sendline("\x15Billing API")  # Ctrl-U clears the proposed default
    answered = ["project_name"]
    while child.expect([PROMPT, CONFIRM]) == 0:
        name = _prompted(child)
        if name == answered[-1]:
            continue  # the terminal redrawing the question just answered
        answered.append(name)
        if name == "author_email":
            child.sendline("\x15billing@example.com")
        else:
            child.send("\r")  # accept the proposed default
    child.sendline("y")
    child.expect("Created")
    child.expect(pexpect.EOF)
    child.close()

    assert child.exitstatus == 0
    assert answered == [
        "project_name",
        "project_slug",
        "package_name",
        "description",
        "author_name",
        "author_email",
        "python_version",
        "architecture",
        "database",
        "auth",
        "ci",
        "iac",
        "sentry",
    ]
    answers = answers_of(Path("svc"))
    assert answers["project_name"] == "Billing API"
    assert answers["project_slug"] == "billing-api"
    assert answers["author_email"] == "billing@example.com"
    assert answers["database"] == "sqlite"


def test_declining_the_confirmation_creates_nothing() -> None:
    child = pexpect.spawn(
        sys.executable,
        ["-m", "chassis", "new", "svc", "--preset", "minimal", "--set", "project_name=svc"],
        cwd=str(Path.cwd()),
        encoding="utf-8",
        timeout=30,
        dimensions=(40, 160),
    )
    asked = [""]
    while child.expect([PROMPT, CONFIRM]) == 0:
        if _prompted(child) != asked[-1]:
            asked.append(_prompted(child))
            child.send("\r")
    child.sendline("n")
    child.expect(pexpect.EOF)
    child.close()

    assert child.exitstatus == 1
    assert "Cancelled: nothing was created." in (child.before or "")
    assert list(Path.cwd().iterdir()) == []


@pytest.mark.parametrize(
    ("args", "code", "problem"),
    [
        (("check", "--json"), 1, "has no .copier-answers.yml"),
        (("update", "--json"), 1, "has no .copier-answers.yml"),
        (("update", "--plan", "--json"), 1, "has no .copier-answers.yml"),
        (("update", "--json", "--conflict", "bogus"), 2, "'bogus' is not one of"),
        (("check", "--json", "--bogus"), 2, "No such option: --bogus"),
        (("update", "--json", "--set", "novalue"), 2, "novalue"),
    ],
    ids=str,
)
def test_a_failure_with_json_is_json_on_stdout(
    cli: Cli, args: tuple[str, ...], code: int, problem: str
) -> None:
    result = cli(*args)

    assert result.exit_code == code
    error = json.loads(result.stdout)["error"]  # stdout is nothing but the JSON
    assert problem in error["problem"]
    assert error["fix"]
    assert error["exit_code"] == code
    assert result.stderr.startswith("error: ")  # the red line stays for a human


def test_a_failure_without_json_leaves_stdout_empty(cli: Cli) -> None:
    result = cli("check")

    assert result.exit_code == 1
    assert result.stdout == ""


def test_an_interruption_with_json_is_json_on_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    from chassis.cli import _interrupted  # noqa: PLC0415

    _interrupted("/w/svc was updated", 'review "it"\twith `git diff`', as_json=True)

    error = json.loads(capsys.readouterr().out)["error"]
    assert error == {
        "problem": "interrupted: /w/svc was updated; only its report was cut short",
        "fix": 'review "it"\twith `git diff`',
        "exit_code": 130,
    }
