"""Questions as Copier defines them, where chassis adds its own safety: secrets asked
hidden and never shown or recorded, template features refused by name, and missing Jinja
extensions named with the command that installs them."""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from pathlib import Path

import pexpect
import pytest
from conftest import Result, answers_of, git, write_tree

Cli = Callable[..., Result]

SECRET_TEMPLATE = {
    "copier.yml": """\
        _answers_file: .copier-answers.yml

        service:
          type: str
          default: demo
        token:
          type: str
          help: The API token the service calls its provider with.
          secret: true
          default: default-token-value
        """,
    "{{ _copier_conf.answers_file }}.jinja": "{{ _copier_answers|to_nice_yaml }}",
    ".env.jinja": "TOKEN={{ token }}\n",
    ".gitignore": ".env\n",
    "README.md.jinja": "# {{ service }}\n",
}
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
CONFIRM = r"Create [^\r\n]*svc\?"


def _tagged_repo(root: Path, files: dict[str, str]) -> Path:
    """A template repository with ``files``, tagged 1.0.0 as chassis needs."""
    root.mkdir()
    git("init", "--quiet", cwd=root)
    write_tree(root, files)
    git("add", "--all", cwd=root)
    git("commit", "--quiet", "-m", "v1", cwd=root)
    git("tag", "1.0.0", cwd=root)
    return root


@pytest.mark.parametrize(
    ("typed", "expected"),
    [("typed-secret-123", "typed-secret-123"), ("", "default-token-value")],
    ids=["typed", "enter-keeps-default"],
)
def test_a_secret_is_asked_hidden_never_shown_and_never_recorded(
    tmp_path: Path, typed: str, expected: str
) -> None:
    template = _tagged_repo(tmp_path / "template", SECRET_TEMPLATE)
    child = pexpect.spawn(
        sys.executable,
        ["-m", "chassis", "new", "svc", "--template", str(template), "--no-lock"],
        cwd=str(Path.cwd()),
        encoding="utf-8",
        timeout=30,
        dimensions=(40, 160),
    )
    child.expect("service")
    child.send("\r")
    child.expect("token")
    child.expect(r"\?|:")  # the rest of the prompt line
    child.sendline(typed)
    child.expect(CONFIRM)
    shown = child.before or ""
    child.sendline("y")
    child.expect(pexpect.EOF)
    shown += child.before or ""
    child.close()
    shown = ANSI.sub("", shown)

    assert child.exitstatus == 0, shown
    assert "default-token-value" not in shown
    assert typed == "" or typed not in shown
    assert re.search(r"token\s+\(hidden\)", shown), shown
    project = Path("svc")
    assert (project / ".env").read_text() == f"TOKEN={expected}\n"  # the template got it
    assert "token" not in answers_of(project)  # as Copier: secrets are not recorded
    assert expected not in (project / ".copier-answers.yml").read_text()
    assert ".env" not in git("ls-files", cwd=project).splitlines()
    grep = ["grep", "--quiet", expected, "HEAD"]
    assert git("rev-list", "--all", cwd=project).strip()
    with pytest.raises(Exception, match="returned non-zero exit status 1"):
        git(*grep, cwd=project)
