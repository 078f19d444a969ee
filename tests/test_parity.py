"""The parity corpus: for each Copier feature, a tiny tagged template rendered by
`chassis new --defaults` and by `copier copy --defaults` from the same inputs must give
identical trees and identical answers files. chassis keeps its own reading of questions
(presets, every invalid answer listed at once, the summary); this proves it reads them as
Copier does.

pytest-copie (a dev dependency) is not used: it renders a template directory through
Copier's Python API, while parity needs Copier's own command line on a tagged git
repository, the only kind of source whose projects chassis can update.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml
from conftest import Result, git, snapshot, write_tree

Cli = Callable[..., Result]
COPIER = Path(sys.executable).parent / "copier"
ANSWERS = {"{{ _copier_conf.answers_file }}.jinja": "{{ _copier_answers|to_nice_yaml }}"}

#: Jinja extensions a template names; importable from their own folder, as a team that
#: installed them would have them.
EXTENSION_MODULE = "chassis_parity_extension"
EXTENSION = """\
from jinja2.ext import Extension


class Shout(Extension):
    def __init__(self, environment):
        super().__init__(environment)
        environment.filters["shout"] = lambda value: f"{str(value).upper()}!"


class Year(Extension):
    def __init__(self, environment):
        super().__init__(environment)
        environment.globals["copyright_year"] = "1999"


# Reads a file of the template through the environment's loader, as
# copier-template-extensions loads a template's own extensions.py.
class FromTemplateFolder(Extension):
    def __init__(self, environment):
        super().__init__(environment)
        from pathlib import Path

        root = Path(environment.loader.searchpath[0])
        environment.globals["house_name"] = (root / "house.txt").read_text().strip()
"""


@dataclass(frozen=True)
class Feature:
    """A template whose copier.yml has ``questions`` and whose ``out.txt`` shows ``shown``."""

    questions: str
    shown: str
    sets: dict[str, str] = field(default_factory=dict)
    trust: bool = False
    files: dict[str, str] = field(default_factory=dict)


FEATURES = {
    "choices-list": Feature(
        "color: {type: str, default: red, choices: [red, green]}", "{{ color }}", {"color": "green"}
    ),
    "choices-mapping": Feature(
        "size:\n  type: int\n  default: 2\n  choices: {Small: 1, Medium: 2}",
        "{{ size + 1 }}",
        {"size": "1"},
    ),
    "choices-pairs": Feature(
        "region:\n  default: eu\n  choices: [[Europe, eu], [America, us]]",
        "{{ region }}",
        {"region": "us"},
    ),
    "choices-per-choice-validator": Feature(
        """\
        small: {type: bool, default: false}
        db:
          type: str
          default: sqlite
          choices:
            SQLite: {value: sqlite}
            PostgreSQL:
              value: pg
              validator: "{% if small %}a small service has no server{% endif %}"
        """,
        "{{ db }}",
        {"db": "pg"},
    ),
    "choices-pairs-per-choice-validator": Feature(
        """\
        small: {type: bool, default: true}
        db:
          type: str
          default: sqlite
          choices:
            - [SQLite, {value: sqlite}]
            - [PostgreSQL, {value: pg, validator: "{% if small %}too small{% endif %}"}]
            - [MySQL, {value: my, validator: "{% if not small %}too big{% endif %}"}]
        """,
        "{{ db }}",
        {"db": "my"},
    ),
    "choices-templated": Feature(
        "base: {type: str, default: py}\n"
        'flavour:\n  type: str\n  default: "{{ base }}-slim"\n'
        '  choices: "[{{ base }}-slim, {{ base }}-full]"',
        "{{ flavour }}",
    ),
    "type-inferred-yaml": Feature(
        "tags: [api, web]\nlimits:\n  default: {cpu: 1}\nnothing:\n  default: null",
        "{{ tags | join(',') }} {{ limits.cpu }} {{ nothing }}",
        {"tags": "[api, jobs]"},
    ),
    "type-inferred-scalars": Feature(
        "replicas: 2\nratio: 0.5\nenabled: true\nname: svc",
        "{{ replicas * 2 }} {{ ratio * 2 }} {{ enabled }} {{ name }}",
        {"replicas": "3", "enabled": "no"},
    ),
    "type-yaml-empty-mapping": Feature(
        "extra: {type: yaml, default: {}}\nitems: {type: yaml, default: []}",
        "{{ extra }} {{ items }}",
    ),
    "type-json": Feature(
        "settings: {type: json, default: '{\"a\": 1}'}",
        "{{ settings.a }}",
        {"settings": '{"a": 2}'},
    ),
    "type-path": Feature("where: {type: path, default: src/app}", "{{ where }}"),
    "str-from-number": Feature("code: {type: str, default: x}", "{{ code }}", {"code": "0123"}),
    "multiselect": Feature(
        "langs:\n  type: str\n  multiselect: true\n  default: [py]\n  choices: [py, go, rs]",
        "{{ langs | join(',') }}",
        {"langs": "[rs, py]"},
    ),
    "multiselect-default": Feature(
        "langs:\n  type: str\n  multiselect: true\n  default: [rs, go]\n  choices: [py, go, rs]",
        "{{ langs | join(',') }}",
    ),
    "when-false": Feature(
        """\
        use_db: {type: bool, default: false}
        db_name: {type: str, default: app, when: "{{ use_db }}"}
        db_url: {type: str, default: "db://{{ db_name }}"}
        """,
        "{{ db_url }}",
    ),
    "when-false-set": Feature(
        """\
        use_db: {type: bool, default: false}
        db_name: {type: str, default: app, when: "{{ use_db }}"}
        db_url: {type: str, default: "db://{{ db_name }}"}
        """,
        "{{ db_url }}",
        {"db_name": "orders"},
    ),
    "when-true": Feature(
        """\
        use_db: {type: bool, default: false}
        db_name: {type: str, default: app, when: "{{ use_db }}"}
        """,
        "{{ db_name }}",
        {"use_db": "true", "db_name": "orders"},
    ),
    "ask-false": Feature(
        'slug: {type: str, default: svc}\nimage: {type: str, default: "{{ slug }}:1", ask: false}',
        "{{ image }}",
    ),
    "validator": Feature(
        "port:\n  type: int\n  default: 8000\n"
        '  validator: "{% if port < 1024 %}too low{% endif %}"',
        "{{ port }}",
        {"port": "8080"},
    ),
    "copier-phase": Feature('phase: "{{ _copier_phase }}"', "{{ phase }}"),
    "default-unset": Feature(
        'name: {type: str, default: "{{ UNSET }}"}', "{{ name }}", {"name": "given"}
    ),
    "folder-name": Feature('title: {type: str, default: "{{ _folder_name }}"}', "{{ title }}"),
    "secret": Feature(
        "token: {type: str, secret: true, default: s3cr3t}\nuser: {type: str, default: ann}",
        "{{ token }} {{ user }}",
        {"token": "given-token"},
    ),
    "secret-default-not-validated": Feature(
        "token:\n  type: str\n  secret: true\n  default: short\n"
        '  validator: "{% if token | length < 8 %}too short{% endif %}"',
        "{{ token }}",
    ),
    "secret-questions-setting": Feature(
        "_secret_questions: [token]\ntoken: {type: str, default: s3cr3t}", "{{ token }}"
    ),
    "envops-delimiters": Feature(
        "_envops:\n  variable_start_string: '[['\n  variable_end_string: ']]'\n"
        "name: {type: str, default: svc}\nimage: {type: str, default: '[[ name ]]:latest'}",
        "[[ image ]]",
        files={
            "{{ _copier_conf.answers_file }}.jinja": "",
            ".copier-answers.yml.jinja": "[[ _copier_answers|to_nice_yaml ]]",
        },
    ),
    "extension-filter": Feature(
        f"_jinja_extensions: [{EXTENSION_MODULE}.Shout]\n"
        "greeting: {type: str, default: \"{{ 'hello' | shout }}\"}",
        "{{ greeting }}",
        trust=True,
    ),
    "extension-global": Feature(
        f"_jinja_extensions: [{EXTENSION_MODULE}.Year]\n"
        'year: {type: str, default: "{{ copyright_year }}"}',
        "Copyright {{ year }}",
        trust=True,
    ),
    "extension-reads-the-template-folder": Feature(
        f"_jinja_extensions: [{EXTENSION_MODULE}.FromTemplateFolder]\n"
        'house: {type: str, default: "{{ house_name }}"}',
        "{{ house }}",
        trust=True,
        files={"house.txt": "Acme\n"},
    ),
    # Copier casts a yes/no default that is no yes/no word as Python's bool() does.
    "bool-default-not-a-yes-no-word": Feature(
        "custom: {type: bool, default: customized}", "{{ custom }}"
    ),
}


@pytest.fixture
def extension_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A folder holding the extension module, importable here and by Copier's process."""
    folder = tmp_path / "extensions"
    folder.mkdir()
    (folder / f"{EXTENSION_MODULE}.py").write_text(EXTENSION)
    monkeypatch.syspath_prepend(str(folder))
    monkeypatch.setenv("PYTHONPATH", str(folder))
    yield folder
    sys.modules.pop(EXTENSION_MODULE, None)


def tagged_template(root: Path, copier_yml: str, files: dict[str, str]) -> Path:
    """A template repository tagged 1.0.0, as chassis needs a version to record."""
    root.mkdir()
    git("init", "--quiet", cwd=root)
    write_tree(root, {"copier.yml": copier_yml, **files})
    git("add", "--all", cwd=root)
    git("commit", "--quiet", "-m", "v1", cwd=root)
    git("tag", "1.0.0", cwd=root)
    return root


def copier_copy(template: Path, dest: Path, sets: dict[str, str], *, trust: bool) -> int:
    """`copier copy` from the same inputs (COPIER_SETTINGS_PATH is an empty file)."""
    data = [arg for key, value in sets.items() for arg in ("--data", f"{key}={value}")]
    command = [str(COPIER), "copy", "--defaults", "--quiet", *data, str(template), str(dest)]
    if trust:
        command.insert(2, "--trust")
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    return done.returncode


def chassis_new(
    cli: Cli, template: Path, dest: Path, sets: dict[str, str], *, trust: bool
) -> Result:
    dest.parent.mkdir(parents=True, exist_ok=True)
    flags = [arg for key, value in sets.items() for arg in ("--set", f"{key}={value}")]
    extra = ["--trust"] if trust else []
    args = ["new", dest, "--template", template, "--defaults", "--no-git", "--no-lock"]
    return cli(*args, *flags, *extra)


@pytest.mark.parametrize("feature", FEATURES.values(), ids=FEATURES.keys())
def test_parity(cli: Cli, tmp_path: Path, feature: Feature, extension_path: Path) -> None:
    files = {**ANSWERS, "out.txt.jinja": feature.shown + "\n", **feature.files}
    files = {name: text for name, text in files.items() if text}
    template = tagged_template(tmp_path / "template", textwrap.dedent(feature.questions), files)
    by_copier = tmp_path / "copier" / "out"  # the same folder name: _folder_name matches
    by_chassis = tmp_path / "chassis" / "out"

    assert copier_copy(template, by_copier, feature.sets, trust=feature.trust) == 0
    result = chassis_new(cli, template, by_chassis, feature.sets, trust=feature.trust)

    assert result.exit_code == 0, result.stderr
    answers = yaml.safe_load((by_chassis / ".copier-answers.yml").read_text())
    assert answers == yaml.safe_load((by_copier / ".copier-answers.yml").read_text())
    assert (by_chassis / "out.txt").read_text() == (by_copier / "out.txt").read_text()
    assert snapshot(by_chassis) == snapshot(by_copier)


REFUSED = {
    "choice-disabled": Feature(
        FEATURES["choices-per-choice-validator"].questions, "", {"small": "true", "db": "pg"}
    ),
    "not-a-choice": Feature(FEATURES["choices-list"].questions, "", {"color": "blue"}),
    "validator": Feature(FEATURES["validator"].questions, "", {"port": "80"}),
    "not-an-int": Feature(FEATURES["validator"].questions, "", {"port": "eighty"}),
    "multiselect-not-a-choice": Feature(
        FEATURES["multiselect"].questions, "", {"langs": "[py, js]"}
    ),
    "no-default": Feature("name: {type: str}", ""),
    "secret-given-not-valid": Feature(
        FEATURES["secret-default-not-validated"].questions, "", {"token": "tiny"}
    ),
    "default-unset": Feature('name: {type: str, default: "{{ UNSET }}"}', ""),
}


@pytest.mark.parametrize("feature", REFUSED.values(), ids=REFUSED.keys())
def test_parity_of_refusals(cli: Cli, tmp_path: Path, feature: Feature) -> None:
    """What Copier refuses, chassis refuses too, as an invalid answer, writing nothing."""
    template = tagged_template(tmp_path / "template", textwrap.dedent(feature.questions), ANSWERS)

    assert copier_copy(template, tmp_path / "copier" / "out", feature.sets, trust=False) != 0
    result = chassis_new(cli, template, tmp_path / "chassis" / "out", feature.sets, trust=False)

    assert result.exit_code == 2, result.stderr
    assert result.stderr.startswith("error: invalid answer ")
    assert not (tmp_path / "chassis" / "out").exists()


def test_a_message_after_copy_that_uses_copier_conf_is_shown(cli: Cli, tmp_path: Path) -> None:
    """Copier renders `_message_after_copy` with `_copier_conf`; chassis, which prints
    it after the project is made, used to fail "unexpectedly" there, project and all."""
    copier_yml = (
        'name: {type: str, default: svc}\n_message_after_copy: "cd {{ _copier_conf.dst_path }}"\n'
    )
    template = tagged_template(tmp_path / "template", copier_yml, ANSWERS)
    dest = tmp_path / "chassis" / "out"

    result = chassis_new(cli, template, dest, {}, trust=False)

    assert result.exit_code == 0, result.stderr
    assert f"cd {dest}" in result.stdout.replace("\n  ", " ")
    done = subprocess.run(
        [str(COPIER), "copy", "--defaults", str(template), str(tmp_path / "copier" / "out")],
        capture_output=True,
        text=True,
        check=True,
    )
    assert f"cd {tmp_path / 'copier' / 'out'}" in done.stderr + done.stdout
