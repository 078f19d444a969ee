"""The command line itself: help, version, entry points, start-up cost, and a real terminal."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pexpect
import pytest
from conftest import Result, answers_of

from chassis import __version__

# A questionary prompt: "? Label (name)", with colour codes between the parts; the key
# is a hint after the label.
PROMPT = r"\?(?:\x1b\[[0-9;]*m| )*[A-Z][^\r\n]*?\(([a-z_]+)\)"
CONFIRM = r"Create [^\r\n]*svc\?"
CONFIRM_80 = r"\(Y/n\)"  # at 80 columns the path in "Create PATH?" wraps


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
    child.send("n")  # No keeps the answers and asks which to change ...
    child.expect("Which answer do you want to change")
    child.expect("Cancel: create nothing")  # the menu drawn
    child.send("\x1b[A")  # ... or, last in the menu (up wraps round), to cancel
    child.expect(r"\u00bb (?:\x1b\[[0-9;]*m)*Cancel: create nothing")
    child.send("\r")
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


ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
NAME_HELP = (
    "The service's human-readable name, used in titles, the README and logs; at most 60 "
    "characters, without double quotes or backslashes."
)


def _seen(child: pexpect.spawn[str]) -> str:
    return ANSI.sub("", child.before or "").replace("\r", "")


def test_an_80_column_interview_reads_well_goes_back_and_keeps_answers_on_no() -> None:
    """A newcomer's session at 80 columns: questions labelled by their help (the key a
    hint), help wrapped between words, `<` back to the previous question, and No at the
    confirmation returning to the answers, all kept, before creating the project."""
    child = pexpect.spawn(
        sys.executable,
        ["-m", "chassis", "new", "svc", "--no-lock", "--no-git"],
        cwd=str(Path.cwd()),
        env={**os.environ, "COLUMNS": "80", "LINES": "24"},
        encoding="utf-8",
        timeout=20,
        dimensions=(24, 80),
    )
    transcript = io.StringIO()
    child.logfile_read = transcript
    child.expect("Start from a preset")
    presets = _seen(child)
    child.send("\r")  # none: answer every question
    child.expect(r"The service's human-readable name[^\r\n]*\(project_name\)")
    shown = _seen(child)
    child.sendline("\x15Billing API")
    child.expect(r"The service's machine name[^\r\n]*\(project_slug\)")
    child.sendline("\x15<")  # back to the previous question
    child.expect(r"\(project_name\)")
    child.sendline("\x15Payments API")  # change the answer
    child.expect(r"\(project_slug\)")
    child.expect("payments-api")  # proposed from the changed name
    child.send("\r")
    answered = ["project_slug"]
    while child.expect([PROMPT, CONFIRM_80]) == 0:
        if _prompted(child) != answered[-1]:
            answered.append(_prompted(child))
            child.send("\r")
    child.send("n")  # No: back to the answers, nothing lost
    child.expect("Which answer do you want to change")
    child.expect("Description: Payments API, a service generated by chassis.")
    for _ in range(3):  # project name, slug, package: down to description
        child.send("\x1b[B")
        child.expect("\u00bb ")
    child.expect(r"\u00bb (?:\x1b\[[0-9;]*m)*Description")
    child.send("\r")
    child.expect(r"\(description\)")
    child.sendline("\x15Takes payments.")
    answered = ["description"]
    while child.expect([PROMPT, CONFIRM_80]) == 0:
        if _prompted(child) != answered[-1]:
            answered.append(_prompted(child))
            child.send("\r")
    summary = _seen(child)
    child.send("y")
    child.expect("Created")
    child.expect(pexpect.EOF)
    child.close()

    assert child.exitstatus == 0
    # Labels, not raw keys: no prompt reads "? iac" or "? sentry".
    session = ANSI.sub("", transcript.getvalue())
    assert not re.search(r"^\? [a-z_]+(?: |$)", session, re.MULTILINE), session
    assert re.search(r"Report unexpected errors to Sentry\s+\(sentry\)", session), session
    assert re.search(r"How the cloud infrastructure is described\s*\(iac\)", session), session
    # The help wraps at word boundaries: every word whole, and no line over 80 columns.
    words = r"\s+".join(re.escape(word) for word in NAME_HELP.split())
    found = re.search(words, shown)
    assert found, shown
    assert "\n" in found.group()  # wrapped, between two words
    assert all(len(line) <= 80 for line in shown.splitlines() if "?" not in line)
    # Preset descriptions are wrapped, never cut.
    assert re.search(r"runs\s+and\s+tests\s+with\s+no\s+server\s+to\s+start\.", presets)
    # The summary reads as answers.
    assert re.search(r"Sentry\s+no\b", summary), summary
    assert re.search(r"Architecture\s+Modular monolith \(one container\)", summary), summary
    answers = answers_of(Path("svc"))
    assert answers["project_name"] == "Payments API"
    assert answers["project_slug"] == "payments-api"
    assert answers["description"] == "Takes payments."
    assert answers["sentry"] is False
