"""Questions, presets and answer layering, all read from the template itself.

``copier.yml`` is the single source of truth for questions, choices, help
texts, defaults and validators; nothing here restates them. chassis evaluates
them itself, rather than through Copier, because Copier's question objects are
private API and stop at the first invalid answer, while chassis must list
every problem at once when it cannot prompt. The Jinja environment matches
Copier's (sandboxed, with the Ansible core filters), and Copier checks every
answer again when it renders.

Layers, lowest first: template defaults < git config < user config file <
preset < answers file < ``--set``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import platformdirs
import yaml
from jinja2 import Template, TemplateError
from jinja2.sandbox import SandboxedEnvironment

from chassis import git
from chassis.errors import (
    AnswersError,
    AnswersFileError,
    ChassisError,
    ConfigFileError,
    Problem,
    UnknownPresetError,
    UsageError,
)

__all__ = [
    "Choice",
    "Preset",
    "Question",
    "TemplateSpec",
    "git_defaults",
    "load_spec",
    "parse_sets",
    "read_answers_file",
    "read_project_answers",
    "unsafe_settings",
    "user_config_defaults",
    "user_config_trust",
]

_TRUE = {"true", "yes", "y", "on", "1"}
_FALSE = {"false", "no", "n", "off", "0"}


@dataclass(frozen=True)
class Choice:
    """One choice of a question; ``disabled`` is the reason it cannot be chosen now."""

    label: str
    value: Any
    disabled: str = ""


@dataclass(frozen=True)
class Question:
    """A question as ``copier.yml`` declares it; templated fields stay unrendered."""

    name: str
    type: str = "str"
    help: str = ""
    default: Any = None
    choices: tuple[tuple[str, Any], ...] = ()
    validator: str = ""
    when: Any = True
    secret: bool = False

    def cast(self, raw: Any) -> Any:  # noqa: PLR0911 - one return per type reads best
        """Convert a raw answer (from YAML, a flag or a prompt) to the question's type."""
        if self.type == "bool":
            if isinstance(raw, bool):
                return raw
            text = str(raw).strip().lower()
            if text in _TRUE:
                return True
            if text in _FALSE:
                return False
            msg = f"{raw!r} is not a yes/no value (use true or false)"
            raise ValueError(msg)
        if self.type == "int":
            return int(raw)
        if self.type == "float":
            return float(raw)
        if self.type == "str":
            if raw is None:
                return ""
            if isinstance(raw, bool | dict | list):
                msg = f"{raw!r} is not text"
                raise ValueError(msg)
            return str(raw)
        return raw


@dataclass(frozen=True)
class Preset:
    """Named answers shipped next to the template, with a one-line description."""

    name: str
    description: str
    answers: Mapping[str, Any]
    unavailable: str = ""


@dataclass
class TemplateSpec:
    """The questions and presets of one template version."""

    questions: tuple[Question, ...]
    presets: Mapping[str, Preset] = field(default_factory=dict)
    next_steps: str = ""

    @cached_property
    def _env(self) -> SandboxedEnvironment:
        # Copier's defaults: lenient undefined names and the Ansible core filters.
        return SandboxedEnvironment(
            extensions=["jinja2_ansible_filters.AnsibleCoreFiltersExtension"]
        )

    @cached_property
    def _compiled(self) -> dict[str, Template]:
        """Each default, validator and condition compiled once: resolving answers renders
        them again for every question after the one they belong to."""
        return {}

    @property
    def names(self) -> list[str]:
        return [q.name for q in self.questions]

    def question(self, name: str) -> Question:
        for q in self.questions:
            if q.name == name:
                return q
        raise KeyError(name)

    def render(self, value: Any, context: Mapping[str, Any]) -> Any:
        """Render ``value`` as Copier would: strings are Jinja templates, others stay."""
        if isinstance(value, str):
            template = self._compiled.get(value)
            if template is None:
                template = self._compiled[value] = self._env.from_string(value)
            return template.render(**context)
        if isinstance(value, list):
            return [self.render(item, context) for item in value]
        return value

    def asked(self, question: Question, context: Mapping[str, Any]) -> bool:
        """Whether ``question`` applies given the answers so far (its ``when``)."""
        rendered = self.render(question.when, context)
        if isinstance(rendered, str):
            return rendered.strip().lower() not in _FALSE | {""}
        return bool(rendered)

    def default(self, question: Question, context: Mapping[str, Any]) -> Any:
        return question.cast(self.render(question.default, context))

    def choices(self, question: Question, context: Mapping[str, Any]) -> list[Choice]:
        """The question's choices with the reason each disabled one cannot be chosen."""
        result = []
        for label, raw in question.choices:
            disabled = ""
            value = raw
            if isinstance(raw, dict):
                value = raw["value"]
                disabled = str(self.render(raw.get("validator", ""), context)).strip()
            result.append(Choice(str(label), question.cast(value), disabled))
        return result

    def check(self, question: Question, raw: Any, context: Mapping[str, Any]) -> tuple[Any, str]:
        """Cast and validate one answer: (value, problem), the problem empty when valid."""
        try:
            value = question.cast(raw)
        except (TypeError, ValueError) as error:
            return raw, str(error)
        scope = {**context, question.name: value}
        try:
            choices = self.choices(question, scope)
            if choices:
                match = next((c for c in choices if c.value == value), None)
                if match is None:
                    offered = ", ".join(str(c.value) for c in choices)
                    return value, f"{value!r} is not one of {offered}"
                if match.disabled:
                    return value, f"{value} is not available: {match.disabled}"
            problem = str(self.render(question.validator, scope)).strip()
        except TemplateError as error:
            return value, f"the template cannot evaluate this answer ({error})"
        return value, problem

    def resolve(
        self,
        provided: Mapping[str, Any],
        *,
        defaults: Mapping[str, Any] | None = None,
        context: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Fill every question from ``provided``, else ``defaults``, else the template.

        Raises AnswersError listing every unknown key and every invalid answer.
        """
        unknown = sorted(set(provided) - set(self.names))
        problems = [
            Problem(key, f"no such question (known: {', '.join(self.names)})") for key in unknown
        ]
        answers: dict[str, Any] = {}
        scope: dict[str, Any] = dict(context or {})
        for question in self.questions:
            if not self.asked(question, {**scope, **answers}):
                continue
            raw = self.pick(question, provided, defaults or {}, {**scope, **answers})
            value, problem = self.check(question, raw, {**scope, **answers})
            if problem:
                problems.append(Problem(question.name, problem))
            answers[question.name] = value
        if problems:
            raise AnswersError(problems)
        return answers

    def pick(
        self,
        question: Question,
        provided: Mapping[str, Any],
        defaults: Mapping[str, Any],
        context: Mapping[str, Any],
    ) -> Any:
        """The raw answer: provided, else a layered default, else the template's default."""
        if question.name in provided:
            return provided[question.name]
        if question.name in defaults:
            return defaults[question.name]
        return self.render(question.default, context)

    def preset(self, name: str) -> Preset:
        try:
            return self.presets[name]
        except KeyError:
            raise UnknownPresetError(name, sorted(self.presets)) from None


def _load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def load_spec(template_dir: Path) -> TemplateSpec:
    """Read the questions from ``copier.yml`` and the presets from ``presets/*.yml``."""
    config_path = template_dir / "copier.yml"
    if not config_path.is_file():
        config_path = template_dir / "copier.yaml"
    try:
        config = _load_yaml(config_path) or {}
    except (OSError, yaml.YAMLError) as error:
        raise ChassisError(
            f"cannot read the template's questions from {config_path}: {error}",
            "check that the template source is a Copier template",
        ) from error
    questions: list[Question] = []
    for name, raw in config.items():
        if name.startswith("_"):
            continue
        spec = raw if isinstance(raw, dict) else {"default": raw}
        choices = spec.get("choices") or ()
        pairs = (
            tuple(choices.items()) if isinstance(choices, dict) else tuple((c, c) for c in choices)
        )
        questions.append(
            Question(
                name=name,
                type=spec.get("type", "str"),
                help=str(spec.get("help", "")).strip(),
                default=spec.get("default"),
                choices=pairs,
                validator=spec.get("validator", ""),
                when=spec.get("when", True),
                secret=bool(spec.get("secret", False)),
            )
        )
    spec_ = TemplateSpec(tuple(questions), next_steps=str(config.get("_message_after_copy", "")))
    spec_.presets = _load_presets(template_dir / "presets", spec_)
    return spec_


def unsafe_settings(template_dir: Path, names: Mapping[str, str]) -> tuple[str, ...]:
    """What the template's copier.yml sets of ``names`` (setting -> what to call it)."""
    for config in ("copier.yml", "copier.yaml"):
        if (template_dir / config).is_file():
            data = _load_yaml(template_dir / config) or {}
            return tuple(label for key, label in names.items() if data.get(key))
    return ()


def _load_presets(folder: Path, spec: TemplateSpec) -> dict[str, Preset]:
    presets: dict[str, Preset] = {}
    for path in sorted(folder.glob("*.yml")):
        data = _load_yaml(path) or {}
        answers = dict(data.get("answers") or {})
        presets[path.stem] = Preset(
            name=path.stem,
            description=str(data.get("description", "")).strip(),
            answers=answers,
            unavailable=_unavailable(spec, answers),
        )
    return presets


def _unavailable(spec: TemplateSpec, answers: Mapping[str, Any]) -> str:
    """Why a preset cannot be used yet: the first of its choices the template disables."""
    scope: dict[str, Any] = {}
    for question in spec.questions:
        if question.name in answers:
            scope[question.name] = question.cast(answers[question.name])
        elif question.choices:
            scope[question.name] = spec.default(question, scope)
    for name, value in answers.items():
        if name not in spec.names:
            return f"it sets {name}, which this template does not ask"
        question = spec.question(name)
        if question.choices:
            _, problem = spec.check(question, value, scope)
            if problem:
                return f"{name}: {problem}"
    return ""


def parse_sets(pairs: Sequence[str]) -> dict[str, str]:
    """``KEY=VALUE`` flags as a mapping; the value is cast later, by the question's type."""
    result: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise UsageError(
                f"--set {pair!r} is not KEY=VALUE",
                "write it as --set database=postgresql",
            )
        result[key.strip()] = value
    return result


def read_answers_file(path: Path) -> dict[str, Any]:
    """Answers from a YAML file; Copier's own keys (starting with ``_``) are ignored."""
    if not path.exists():
        raise AnswersFileError(path, "the file does not exist")
    if path.is_dir():
        raise AnswersFileError(path, "it is a directory")
    try:
        data = _load_yaml(path)
    except yaml.YAMLError as error:
        # Where the broken construct starts is more useful than where parsing gave up.
        mark = getattr(error, "context_mark", None) or getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise AnswersFileError(path, f"it is not valid YAML{where}") from error
    except (OSError, UnicodeDecodeError) as error:
        raise AnswersFileError(path, str(error)) from error
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise AnswersFileError(path, f"it holds a {type(data).__name__}, not a mapping")
    return {str(k): v for k, v in data.items() if not str(k).startswith("_")}


def read_project_answers(path: Path) -> dict[str, Any]:
    """The whole answers file of a generated project, Copier's keys included."""
    data = _load_yaml(path)
    return dict(data) if isinstance(data, dict) else {}


def user_config_path() -> Path:
    return Path(platformdirs.user_config_dir("chassis")) / "config.yml"


def _user_config() -> dict[str, Any]:
    """The user's chassis config file, checked whole whichever part is wanted."""
    path = user_config_path()
    if not path.is_file():
        return {}
    try:
        data = _load_yaml(path) or {}
    except (OSError, yaml.YAMLError) as error:
        raise ConfigFileError(path, "it is not valid YAML") from error
    if not isinstance(data, dict):
        raise ConfigFileError(path, "it must be a mapping with `defaults:` and `trust:`")
    if not isinstance(data.get("defaults") or {}, dict):
        raise ConfigFileError(path, "`defaults` must be a mapping of question names to answers")
    trust = data.get("trust") or []
    if not isinstance(trust, list) or not all(isinstance(t, str) and t for t in trust):
        raise ConfigFileError(path, "`trust` must be a list of template sources or prefixes")
    return data


def user_config_defaults() -> dict[str, Any]:
    """The ``defaults:`` of the user's chassis config file, if there is one."""
    return dict(_user_config().get("defaults") or {})


def user_config_trust() -> list[str]:
    """The ``trust:`` of the user's chassis config file: template sources, or prefixes
    ending in ``/``, whose tasks, migrations and extensions may run without --trust."""
    return list(_user_config().get("trust") or [])


def git_defaults() -> dict[str, str]:
    """Author name and email from git config, where git knows them."""
    found = {
        "author_name": git.config_value("user.name"),
        "author_email": git.config_value("user.email"),
    }
    return {key: value for key, value in found.items() if value}
