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
from conftest import REPO, Result, answers_of, git, write_tree

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
    assert re.search(r"Token\s+\(hidden\)", shown), shown  # the summary hides it
    project = Path("svc")
    assert (project / ".env").read_text() == f"TOKEN={expected}\n"  # the template got it
    assert "token" not in answers_of(project)  # as Copier: secrets are not recorded
    assert expected not in (project / ".copier-answers.yml").read_text()
    assert ".env" not in git("ls-files", cwd=project).splitlines()
    grep = ["grep", "--quiet", expected, "HEAD"]
    assert git("rev-list", "--all", cwd=project).strip()
    with pytest.raises(Exception, match="returned non-zero exit status 1"):
        git(*grep, cwd=project)


def _new(cli: Cli, template: Path, *flags: str) -> Result:
    return cli("new", "svc", "--template", template, "--defaults", "--no-lock", *flags)


UNSUPPORTED = {
    "copier-conf": (
        'name: {type: str, default: "{{ _copier_conf.dst_path }}"}\n',
        "`_copier_conf` in the default of question name",
    ),
    "include": (
        "---\n!include common.yml\n---\nname: {type: str, default: a}\n",
        "`!include` in copier.yml",
    ),
    "several-documents": (
        "name: {type: str, default: a}\n---\nother: b\n",
        "several YAML documents in copier.yml",
    ),
    "external-data": (
        "_external_data:\n  parent: .parent-answers.yml\nname: {type: str, default: a}\n",
        "`_external_data` (answers read from other files)",
    ),
}


@pytest.mark.parametrize(("copier_yml", "feature"), UNSUPPORTED.values(), ids=UNSUPPORTED.keys())
def test_an_unsupported_copier_feature_is_refused_by_name(
    cli: Cli, tmp_path: Path, copier_yml: str, feature: str
) -> None:
    files = {"copier.yml": copier_yml, "common.yml": "name: a\n", "README.md": "hi\n"}
    template = _tagged_repo(tmp_path / "template", files)

    result = _new(cli, template)

    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"error: template {template} uses {feature}, which chassis does not support; use "
        "plain `copier copy` for this template, or remove that feature from it"
    ]
    assert list(Path.cwd().iterdir()) == []


def test_a_choice_mapping_without_a_value_is_reported_not_crashed(cli: Cli, tmp_path: Path) -> None:
    copier_yml = "db:\n  type: str\n  default: a\n  choices:\n    A: {validator: ''}\n"
    template = _tagged_repo(tmp_path / "template", {"copier.yml": copier_yml})

    result = _new(cli, template, "--set", "db=a")

    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"error: choice 'A' of question db in template {template} is a mapping without "
        "`value`; give every choice in the `{value, validator}` form a `value:`"
    ]
    assert list(Path.cwd().iterdir()) == []


MISSING_EXTENSION = {
    "copier.yml": "_jinja_extensions: [chassis_no_such_extension.Thing]\n"
    "name: {type: str, default: svc}\n",
    "README.md.jinja": "# {{ name }}\n",
}


def test_a_missing_jinja_extension_names_the_module_and_how_to_install_it(
    cli: Cli, tmp_path: Path
) -> None:
    template = _tagged_repo(tmp_path / "template", MISSING_EXTENSION)

    result = _new(cli, template, "--trust")

    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"error: template {template} needs the Jinja extension module "
        "'chassis_no_such_extension', which is not installed; install its package next to "
        "chassis: `uv tool install --with PACKAGE chassis-cli` or `pipx inject chassis-cli "
        "PACKAGE` (PACKAGE is the distribution that provides chassis_no_such_extension)"
    ]
    assert list(Path.cwd().iterdir()) == []


def test_without_trust_a_template_with_extensions_is_refused_before_its_defaults_run(
    cli: Cli, tmp_path: Path
) -> None:
    files = {
        "copier.yml": "_jinja_extensions: [chassis_no_such_extension.Thing]\n"
        "name: {type: str, default: \"{{ 'x' | shout }}\"}\n",
    }
    template = _tagged_repo(tmp_path / "template", files)

    result = _new(cli, template)

    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"error: template {template} uses features that run code on your machine "
        "(_jinja_extensions: chassis_no_such_extension.Thing); pass --trust if you trust "
        "this template"
    ]
    assert list(Path.cwd().iterdir()) == []


def test_enter_at_every_prompt_records_what_copier_defaults_record(tmp_path: Path) -> None:
    """A yaml default of {} stays {} (not null), an inferred yaml list stays a list, and a
    multiselect keeps its default choices."""
    files = {
        "copier.yml": """\
            extra: {type: yaml, default: {}}
            tags: [api, web]
            langs:
              type: str
              multiselect: true
              default: [py]
              choices: [py, go]
            """,
        "{{ _copier_conf.answers_file }}.jinja": "{{ _copier_answers|to_nice_yaml }}",
    }
    template = _tagged_repo(tmp_path / "template", files)
    child = pexpect.spawn(
        sys.executable,
        ["-m", "chassis", "new", "svc", "--template", str(template), "--no-lock", "--yes"],
        cwd=str(Path.cwd()),
        encoding="utf-8",
        timeout=30,
        dimensions=(40, 160),
    )
    for name in ("extra", "tags", "langs"):
        child.expect(name)
        child.send("\r")
    child.expect(pexpect.EOF)
    child.close()

    assert child.exitstatus == 0, child.before
    recorded = answers_of(Path("svc"))
    assert {k: v for k, v in recorded.items() if not k.startswith("_")} == {
        "extra": {},
        "tags": ["api", "web"],
        "langs": ["py"],
    }


DOCUMENTED = {
    key: f.replace("question name", "question NAME") for key, (_, f) in UNSUPPORTED.items()
}


@pytest.mark.parametrize("feature", DOCUMENTED.values(), ids=DOCUMENTED.keys())
def test_every_refusal_is_documented_with_its_message(feature: str) -> None:
    docs = (REPO / "docs" / "custom-template.md").read_text()
    assert (
        f"``error: template SRC uses {feature}, which chassis does not support; use plain "
        "`copier copy` for this template, or remove that feature from it``"
    ) in docs


def test_presets_of_a_template_with_extensions_are_checked_with_trust(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    module = tmp_path / "extensions" / "chassis_questions_extension.py"
    module.parent.mkdir()
    module.write_text(
        "from jinja2.ext import Extension\n\n\nclass Shout(Extension):\n"
        "    def __init__(self, environment):\n"
        "        super().__init__(environment)\n"
        "        environment.filters['shout'] = lambda value: str(value).upper() + '!'\n"
    )
    monkeypatch.syspath_prepend(str(module.parent))
    monkeypatch.delitem(sys.modules, module.stem, raising=False)
    files = {
        "copier.yml": "_jinja_extensions: [chassis_questions_extension.Shout]\n"
        "greeting:\n  type: str\n  default: bye\n  choices: [\"{{ 'hi' | shout }}\", bye]\n",
        "presets/loud.yml": "description: Loud.\nanswers:\n  greeting: HI!\n",
    }
    template = _tagged_repo(tmp_path / "template", files)

    refused = cli("presets", "--template", template, "--json")
    trusted = cli("presets", "--template", template, "--json", "--trust")

    assert refused.exit_code == 1
    assert refused.stderr.endswith("; pass --trust if you trust this template\n")
    assert trusted.exit_code == 0, trusted.stderr
    assert '"available": true' in trusted.stdout


def test_a_secret_set_during_an_update_is_never_echoed_nor_recorded(
    cli: Cli, tmp_path: Path
) -> None:
    # The README shows only the token's length: enough for the update to change a file.
    readme = {"README.md.jinja": "# {{ service }}: a {{ token | length }}-character token\n"}
    template = _tagged_repo(tmp_path / "template", {**SECRET_TEMPLATE, **readme})
    assert _new(cli, template).exit_code == 0
    project = Path("svc")

    planned = cli("update", project, "--set", "token=rotated-token", "--plan", "--json")
    result = cli("update", project, "--set", "token=rotated-token")

    assert planned.exit_code == 0, planned.stderr
    assert '"token": "(hidden)"' in planned.stdout
    assert result.exit_code == 0, result.stderr
    assert "rotated-token" not in planned.stdout + planned.stderr + result.stdout + result.stderr
    assert "with token=(hidden)" in result.stdout
    assert (project / "README.md").read_text() == "# demo: a 13-character token\n"
    assert "token" not in answers_of(project)
