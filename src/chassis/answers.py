"""Questions, presets and answer layering, all read from the template itself.

``copier.yml`` is the single source of truth for questions, choices, help
texts, defaults and validators; nothing here restates them. chassis evaluates
them itself, rather than through Copier, because Copier's question objects are
private API and stop at the first invalid answer, while chassis must list
every problem at once when it cannot prompt. It reads them as Copier 9.19 does
(types inferred from defaults, every ``choices`` shape, ``when``, ``ask``,
``multiselect``, ``secret``, the template's ``_envops`` and, with trust, its
``_jinja_extensions``); tests/test_parity.py proves it against ``copier copy``
feature by feature, and a feature it cannot evaluate is refused by name in
:func:`load_spec`. Copier checks every answer again when it renders.

Layers, lowest first: template defaults < git config < user config file <
preset < answers file < ``--set``.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import platformdirs
import yaml
from jinja2 import FileSystemLoader, StrictUndefined, Template, Undefined, UndefinedError
from jinja2 import TemplateError as JinjaError
from jinja2.sandbox import SandboxedEnvironment

from chassis import git
from chassis.errors import (
    AnswersError,
    AnswersFileError,
    ChassisError,
    ConfigFileError,
    MissingExtensionError,
    Problem,
    TemplateError,
    UnknownPresetError,
    UnsupportedTemplateError,
    UsageError,
)

__all__ = [
    "MISSING",
    "Choice",
    "Preset",
    "Question",
    "TemplateSpec",
    "choice_pairs",
    "git_defaults",
    "load_spec",
    "parse_sets",
    "read_answers_file",
    "read_project_answers",
    "to_bool",
    "unsafe_settings",
    "user_config_defaults",
    "user_config_trust",
]

_TRUE = {"true", "yes", "y", "t", "on", "1"}
_NEEDS_ANSWER = "needs an answer (the template gives it no default)"
_FALSE = {"false", "no", "n", "f", "off", "0", "~", "null", "none", ""}
#: The question types Copier accepts; a missing ``type:`` is inferred from the default.
_TYPES = ("bool", "float", "int", "json", "path", "str", "yaml")


class _Missing:
    """The default of a question that declares none (Copier then requires an answer)."""

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()
_PROMPT_PHASE = {"_copier_phase": "prompt"}


class _UnsetUsedError(UndefinedError):
    """A default rendered Copier's ``UNSET``: the question then has no default."""


def to_bool(value: Any) -> bool:
    """A ``when``/``ask`` condition as Copier reads it: numbers, YAML booleans, nulls."""
    if isinstance(value, bool):
        return value
    try:
        return bool(float(value))
    except (TypeError, ValueError):
        pass
    if isinstance(value, str):
        return value.strip().lower() not in _FALSE
    return bool(value)


def choice_pairs(raw: Any) -> list[tuple[Any, Any, bool]]:
    """``choices`` in any documented shape as (label, value, paired): a list, a label to
    value mapping, or a list of [label, value] pairs. Only a paired value may use the
    extended ``{value, validator}`` form, as in Copier."""
    items = list(raw.items()) if isinstance(raw, dict) else list(raw or ())
    result: list[tuple[Any, Any, bool]] = []
    for item in items:
        if isinstance(item, list | tuple) and len(item) == 2:
            result.append((item[0], item[1], True))
        else:
            result.append((item, item, False))
    return result


@dataclass(frozen=True)
class Choice:
    """One choice of a question; ``disabled`` is the reason it cannot be chosen now."""

    label: str
    value: Any
    disabled: str = ""


@dataclass(frozen=True)
class Question:
    """A question as ``copier.yml`` declares it; templated fields stay unrendered.

    ``type`` is the declared type, or the one Copier infers from the default (a bool,
    int, float or str default gives its own type; anything else, or none, means yaml).
    """

    name: str
    type: str = "str"
    help: str = ""
    default: Any = MISSING
    choices: Any = ()
    validator: str = ""
    when: Any = True
    ask: Any = True
    secret: bool = False
    multiselect: bool = False
    multiline: bool = False

    def cast(self, raw: Any, *, lenient: bool = False) -> Any:
        """Convert a raw answer (from YAML, a flag or a prompt) to the question's type.

        ``lenient`` is for the template's own defaults: a yes/no default that is no
        yes/no word is read as Copier reads it (``bool()``: any other text is yes),
        where a user's answer would be refused."""
        if self.multiselect and isinstance(raw, list):
            return [self._cast_one(item, lenient=lenient) for item in raw]
        return self._cast_one(raw, lenient=lenient)

    def _cast_one(self, raw: Any, *, lenient: bool = False) -> Any:  # noqa: PLR0911
        if raw is None and self.type not in {"json", "yaml"}:
            raise ValueError(_NEEDS_ANSWER)
        if self.type == "bool":
            try:
                return _to_bool_strictly(raw)
            except ValueError:
                if lenient:
                    return bool(raw)
                raise
        if self.type == "int":
            return int(raw)
        if self.type == "float":
            return float(raw)
        if self.type in {"str", "path"}:
            if isinstance(raw, str):
                return raw
            if isinstance(raw, int | float):
                return str(raw)
            msg = f"{raw!r} is not text"
            raise ValueError(msg)
        if not isinstance(raw, str):
            return raw  # already structured data
        try:
            return json.loads(raw) if self.type == "json" else yaml.safe_load(raw)
        except (ValueError, yaml.YAMLError) as error:
            msg = f"{raw!r} is not valid {self.type.upper()}"
            raise ValueError(msg) from error

    def prompt_default(self, value: Any) -> str:
        """A default as the text a prompt pre-fills, as Copier shows it."""
        if value is None or value is MISSING:
            return ""
        if self.type == "json":
            return json.dumps(value, indent=2 if self.multiline else None)
        if self.type == "yaml":
            dumped = yaml.safe_dump(value, default_flow_style=not self.multiline, width=2147483647)
            return str(dumped).strip()
        return str(value)


def _to_bool_strictly(raw: Any) -> bool:
    """Copier's reading of a yes/no answer, except that text which is no yes/no word is
    refused rather than read as true."""
    if isinstance(raw, bool):
        return raw
    try:
        return bool(float(raw))
    except (TypeError, ValueError):
        pass
    text = str(raw).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    msg = f"{raw!r} is not a yes/no value (use true or false)"
    raise ValueError(msg)


@dataclass(frozen=True)
class Preset:
    """Named answers shipped next to the template, with a one-line description."""

    name: str
    description: str
    answers: Mapping[str, Any]
    unavailable: str = ""


@dataclass
class TemplateSpec:
    """The questions and presets of one template version.

    ``extensions`` are the template's ``_jinja_extensions``: they run code, so they
    load only when ``trusted`` (``--trust``, or the bundled template), as in Copier.
    """

    questions: tuple[Question, ...]
    presets: Mapping[str, Preset] = field(default_factory=dict)
    next_steps: str = ""
    extensions: tuple[str, ...] = ()
    envops: Mapping[str, Any] = field(default_factory=dict)
    trusted: bool = False
    source: str = "template"
    # The template's root, for the environment's loader: Copier's is a FileSystemLoader
    # there, and extensions such as copier-template-extensions find the template's own
    # files through it. Built while the checkout exists (load_spec).
    folder: str = ""
    # ``_chassis_new_modules``: the modules `chassis new` renders after the project, each
    # with the project answers that leave it to its own render (new_defaults()).
    new_modules: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    def new_defaults(self) -> dict[str, Any]:
        """The project answers that ``new_modules`` ask for, as a new project's defaults:
        a preset, an answers file or ``--set`` still decides over them."""
        return {
            key: value for answers in self.new_modules.values() for key, value in answers.items()
        }

    def modules_for(self, answers: Mapping[str, Any]) -> list[str]:
        """The ``new_modules`` a new project with ``answers`` gets: those whose project
        answers it has (one given otherwise keeps that module in the project's render)."""
        return [
            name
            for name, wanted in self.new_modules.items()
            if all(answers.get(key) == value for key, value in wanted.items())
        ]

    @cached_property
    def _env(self) -> SandboxedEnvironment:
        # Copier's environment: lenient undefined names, the Ansible core filters, the
        # template's own extensions and Jinja options.
        if self.extensions and not self.trusted:
            raise TemplateError(
                f"template {self.source} uses features that run code on your machine "
                f"(_jinja_extensions: {', '.join(self.extensions)})",
                "pass --trust if you trust this template",
            )
        envops = dict(self.envops)
        undefined = envops.get("undefined")
        if undefined is not None:
            if undefined not in {"jinja2.Undefined", "jinja2.StrictUndefined"}:
                raise UnsupportedTemplateError(self.source, f"_envops.undefined: {undefined}")
            envops["undefined"] = StrictUndefined if "Strict" in undefined else Undefined
        extensions = ["jinja2_ansible_filters.AnsibleCoreFiltersExtension", *self.extensions]
        try:
            loader = FileSystemLoader([self.folder]) if self.folder else None
            return SandboxedEnvironment(loader=loader, extensions=extensions, **envops)
        except ModuleNotFoundError as error:
            raise MissingExtensionError(self.source, error.name or str(error)) from error
        except (ImportError, AttributeError, TypeError) as error:
            raise TemplateError(
                f"template {self.source} has Jinja settings chassis cannot load: {error}",
                "fix _jinja_extensions or _envops in its copier.yml",
            ) from error

    def load_extensions(self) -> None:
        """Load the template's Jinja extensions now, so a missing one fails before any
        question is asked or file written."""
        if self.extensions:
            _ = self._env

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
        """Render ``value`` as Copier would: strings are Jinja templates, lists render
        item by item, anything else stays as it is."""
        if isinstance(value, str):
            template = self._compiled.get(value)
            if template is None:
                template = self._compiled[value] = self._env.from_string(value)
            # What Copier's prompt phase also offers every expression.
            return template.render(_copier_python=sys.executable, **_PROMPT_PHASE, **context)
        if isinstance(value, list):
            return [self.render(item, context) for item in value]
        return value

    def asked(self, question: Question, context: Mapping[str, Any]) -> bool:
        """Whether ``question`` applies given the answers so far (its ``when``)."""
        return to_bool(self.render(question.when, context))

    def prompted(self, question: Question, context: Mapping[str, Any]) -> bool:
        """Whether a terminal session prompts for ``question`` (its ``ask``)."""
        return to_bool(self.render(question.ask, context))

    def default(self, question: Question, context: Mapping[str, Any]) -> Any:
        return question.cast(self.render(question.default, context), lenient=True)

    def choices(self, question: Question, context: Mapping[str, Any]) -> list[Choice]:
        """The question's choices with the reason each disabled one cannot be chosen."""
        raw = question.choices
        if isinstance(raw, str):  # a template that renders to a YAML list or mapping
            raw = yaml.safe_load(str(self.render(raw, context)))
        result = []
        for label, item, paired in choice_pairs(raw):
            disabled = ""
            value = item
            if paired and isinstance(item, dict):
                if "value" not in item:
                    raise TemplateError(
                        f"choice {label!r} of question {question.name} in template "
                        f"{self.source} is a mapping without `value`",
                        "give every choice in the `{value, validator}` form a `value:`",
                    )
                disabled = str(self.render(item.get("validator", ""), context)).strip()
                value = item["value"]
            rendered = self.render(value, context)
            result.append(Choice(str(self.render(label, context)), rendered, disabled))
        return result

    def check(
        self,
        question: Question,
        raw: Any,
        context: Mapping[str, Any],
        *,
        validate: bool = True,
        lenient: bool = False,
    ) -> tuple[Any, str]:
        """Cast and validate one answer: (value, problem), the problem empty when valid.

        ``validate`` False skips the question's own validator (Copier does not validate
        a secret's default), never the choices; ``lenient`` casts ``raw`` as the
        template's own default (:meth:`Question.cast`)."""
        try:
            if question.multiselect:
                items = _shallow_list(raw) if isinstance(raw, str) else raw
                if not isinstance(items, list):
                    return raw, f"{raw!r} is not a list of choices"
                value: Any = [question.cast(item, lenient=lenient) for item in items]
            else:
                value = question.cast(raw, lenient=lenient)
        except (TypeError, ValueError) as error:
            return raw, str(error)
        try:
            choices = self.choices(question, {**context, question.name: value})
            if choices:
                value, problem = self._choose(question, value, choices)
                if problem:
                    return value, problem
            if not validate:
                return value, ""
            problem = str(self.render(question.validator, {**context, question.name: value}))
        except (JinjaError, yaml.YAMLError, ValueError, TypeError) as error:
            return value, f"the template cannot evaluate this answer ({error})"
        return value, problem.strip()

    def _choose(self, question: Question, value: Any, choices: list[Choice]) -> tuple[Any, str]:
        """The answer matched to the choices (in the choices' order for a multiselect)."""
        cast = [(c, question._cast_one(c.value)) for c in choices]
        wanted = value if question.multiselect else [value]
        for item in wanted:
            match = next((c for c, v in cast if v == item and not c.disabled), None)
            if match is None:
                disabled = next((c for c, v in cast if v == item), None)
                if disabled is not None:
                    return value, f"{item} is not available: {disabled.disabled}"
                offered = ", ".join(str(v) for c, v in cast if not c.disabled)
                return value, f"{item!r} is not one of {offered}"
        if question.multiselect:
            return [v for _, v in cast if v in wanted], ""
        return value, ""

    def resolve(
        self,
        provided: Mapping[str, Any],
        *,
        defaults: Mapping[str, Any] | None = None,
        context: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Fill every question from ``provided``, else ``defaults``, else the template.

        A question whose ``when`` is false is not answered, but its value (provided, else
        its default) is still seen by later questions, as in Copier. Raises AnswersError
        listing every unknown key and every invalid answer.
        """
        unknown = sorted(set(provided) - set(self.names))
        problems: list[Problem] = []
        answers: dict[str, Any] = {}
        scope: dict[str, Any] = dict(context or {})
        applicable: list[str] = []  # the questions these answers make: what "known" lists
        for question in self.questions:
            try:
                asked = self.asked(question, scope)
                if asked or question.name in provided:
                    applicable.append(question.name)
                raw = self.pick(question, provided, defaults or {}, scope)
            except (JinjaError, yaml.YAMLError, ValueError, TypeError) as error:
                problems.append(
                    Problem(question.name, f"the template cannot evaluate it ({error})")
                )
                continue
            own_default = question.name not in provided and question.name not in (defaults or {})
            if not asked and question.name not in provided:
                if raw is not MISSING:
                    value, problem = self.check(
                        question, raw, scope, validate=False, lenient=own_default
                    )
                    scope[question.name] = value
                continue
            if raw is MISSING:
                problems.append(Problem(question.name, _NEEDS_ANSWER))
                continue
            value, problem = self.check(
                question,
                raw,
                scope,
                validate=not (question.secret and own_default),
                lenient=own_default,
            )
            if problem:
                problems.append(Problem(question.name, problem))
            scope[question.name] = value
            if not (question.secret and own_default):
                # Copier computes a secret's own default itself, unvalidated; passed on
                # as an answer, it would be validated.
                answers[question.name] = value
        # Hidden questions (``when`` false here, such as a module's own questions in a
        # project) are not offered as the fix for a misspelt one.
        known = ", ".join(applicable or self.names)
        problems[:0] = [Problem(key, f"no such question (known: {known})") for key in unknown]
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
        try:
            return self.render(
                question.default,
                {**context, "UNSET": StrictUndefined(name="UNSET", exc=_UnsetUsedError)},
            )
        except _UnsetUsedError:
            return MISSING  # Copier: a default that renders UNSET is no default

    def preset(self, name: str) -> Preset:
        try:
            return self.presets[name]
        except KeyError:
            raise UnknownPresetError(name, sorted(self.presets)) from None


def _shallow_list(text: str) -> list[str]:
    """A multiselect answer given as text: a YAML list whose items stay text, to be cast
    by the question's type (Copier reads ``[1, 2]`` for a str question as "1", "2")."""
    node = yaml.compose(text, Loader=yaml.SafeLoader)
    if not isinstance(node, yaml.SequenceNode):
        msg = f"{text!r} is not a YAML list such as [a, b]"
        raise ValueError(msg)
    items: list[str] = []
    for item in node.value:
        raw = text[item.start_mark.index : item.end_mark.index].strip()
        quoted = len(raw) > 1 and raw[0] == raw[-1] and raw[0] in "'\""
        is_text = isinstance(item, yaml.ScalarNode) and item.tag == "tag:yaml.org,2002:str"
        items.append(raw[1:-1] if quoted and is_text else raw)
    return items


def _load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


class _ConfigLoader(yaml.SafeLoader):
    """copier.yml's loader: Copier's ``!include`` is recognised so it can be refused by
    name (chassis does not merge included files)."""


def _refuse_include(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    raise _IncludeFound


class _IncludeFound(Exception):
    pass


_ConfigLoader.add_constructor("!include", _refuse_include)


def _load_config(path: Path, source: str) -> dict[str, Any]:
    try:
        documents = list(yaml.load_all(path.read_text(encoding="utf-8"), Loader=_ConfigLoader))
    except _IncludeFound:
        raise UnsupportedTemplateError(source, "`!include` in copier.yml") from None
    except (OSError, yaml.YAMLError) as error:
        reason = " ".join(str(error).split())
        raise ChassisError(
            f"cannot read the template's questions from {path}: {reason}",
            "check that the template source is a Copier template",
        ) from error
    documents = [d for d in documents if d is not None]
    if len(documents) > 1:
        raise UnsupportedTemplateError(source, "several YAML documents in copier.yml")
    config = documents[0] if documents else {}
    if not isinstance(config, dict):
        raise ChassisError(
            f"cannot read the template's questions from {path}: it is not a mapping",
            "check that the template source is a Copier template",
        )
    return config


#: Copier settings that change what a question means and that chassis cannot evaluate.
_UNSUPPORTED_SETTINGS = {"_external_data": "`_external_data` (answers read from other files)"}


def load_spec(template_dir: Path, *, trusted: bool = False, source: str = "") -> TemplateSpec:
    """Read the questions from ``copier.yml`` and the presets from ``presets/*.yml``.

    A Copier feature chassis cannot evaluate faithfully is refused here, by name,
    before anything is asked or written.
    """
    source = source or str(template_dir)
    config_path = template_dir / "copier.yml"
    if not config_path.is_file():
        config_path = template_dir / "copier.yaml"
    config = _load_config(config_path, source)
    for key, feature in _UNSUPPORTED_SETTINGS.items():
        if key in config:
            raise UnsupportedTemplateError(source, feature)
    secret_names = set(config.get("_secret_questions") or ())
    questions = [
        _question(str(name), raw, source, secret=name in secret_names)
        for name, raw in config.items()
        if not str(name).startswith("_")
    ]
    extensions = config.get("_jinja_extensions") or ()
    spec_ = TemplateSpec(
        tuple(questions),
        next_steps=str(config.get("_message_after_copy", "")),
        extensions=tuple(str(e) for e in extensions),
        envops=dict(config.get("_envops") or {}),
        trusted=trusted,
        source=source,
        folder=str(template_dir.resolve()),
        new_modules=_new_modules(config.get("_chassis_new_modules"), source),
    )
    if trusted:
        spec_.load_extensions()  # while the template's files are there to load from
    spec_.presets = _load_presets(template_dir / "presets", spec_)
    return spec_


def _new_modules(raw: Any, source: str) -> dict[str, dict[str, Any]]:
    """``_chassis_new_modules`` read: module name -> the project answers it needs."""
    if raw is None:
        return {}
    if not isinstance(raw, dict) or not all(
        isinstance(name, str) and isinstance(answers, dict | None) for name, answers in raw.items()
    ):
        raise TemplateError(
            f"template {source}: _chassis_new_modules is not a mapping of module names to "
            "project answers",
            "write it as `_chassis_new_modules: {NAME: {QUESTION: VALUE}}`",
        )
    return {name: dict(answers or {}) for name, answers in raw.items()}


def unsafe_settings(template_dir: Path, names: Mapping[str, str]) -> tuple[str, ...]:
    """What the template's copier.yml sets of ``names`` (setting -> what to call it)."""
    for config in ("copier.yml", "copier.yaml"):
        if (template_dir / config).is_file():
            data = _load_yaml(template_dir / config) or {}
            return tuple(label for key, label in names.items() if data.get(key))
    return ()


def _question(name: str, raw: Any, source: str, *, secret: bool) -> Question:
    spec = raw if isinstance(raw, dict) else {"default": raw}
    default = spec.get("default", MISSING)
    declared = spec.get("type")
    if declared is None or declared == "":
        inferred = type(default).__name__
        declared = inferred if inferred in {"bool", "float", "int", "str"} else "yaml"
    if declared not in _TYPES:
        if "{" in str(declared):
            raise UnsupportedTemplateError(source, f"a templated type in question {name}")
        raise TemplateError(
            f"question {name} of template {source} has type {declared!r}, which Copier "
            "does not know",
            f"use one of {', '.join(_TYPES)}",
        )
    for key in ("default", "validator", "when", "choices", "ask"):
        if "_copier_conf" in str(spec.get(key, "")):
            raise UnsupportedTemplateError(
                source, f"`_copier_conf` in the {key} of question {name}"
            )
    secret = secret or bool(spec.get("secret", False))
    if secret and default is MISSING:
        raise TemplateError(
            f"secret question {name} of template {source} has no default, which Copier requires",
            "give it a default in copier.yml",
        )
    return Question(
        name=name,
        type=str(declared),
        help=str(spec.get("help", "")).strip(),
        default=default,
        choices=spec.get("choices") or (),
        validator=spec.get("validator", "") or "",
        when=spec.get("when", True),
        ask=spec.get("ask", True),
        secret=secret,
        multiselect=bool(spec.get("multiselect", False)),
        multiline=to_bool(spec.get("multiline", False)),
    )


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
        elif question.choices and question.default is not MISSING:
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


def identity_questions(spec: TemplateSpec) -> list[str]:
    """The questions that name a project rather than describe its choices: those whose
    default derives from the folder's name (``_folder_name``) or from another such
    question, as project_name, project_slug, package_name and description do in the
    bundled template. Copied from another project, they would give the new one its name."""
    found: list[str] = []
    for question in spec.questions:
        default = question.default
        if not isinstance(default, str):
            continue
        names = {"_folder_name", *found}
        if any(re.search(rf"\b{re.escape(name)}\b", default) for name in names):
            found.append(question.name)
    return found


def is_project_answers(path: Path) -> bool:
    """Whether the answers file at ``path`` is a generated project's own (it records the
    template source and version Copier wrote there), not a file written for ``new``."""
    try:
        data = _load_yaml(path)
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return False
    return isinstance(data, dict) and ("_src_path" in data or "_commit" in data)


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
