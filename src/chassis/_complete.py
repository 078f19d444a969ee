"""Shell completion for ``--preset`` and ``--set``: fast, offline, and never failing.

Read straight from YAML, without Copier or Jinja: the bundled template's presets and
questions for ``new`` (nothing for a ``--template``, which may be a URL away), the
project's recorded answers for ``update``, and ``uses=`` with the project's modules for
``add module``. Any problem completes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

__all__ = ["answer_keys", "module_keys", "preset_names", "question_keys", "set_values"]


def _bundled() -> Path | None:
    from chassis import sources  # noqa: PLC0415 - lazy: only completion pays for it

    try:
        return sources.packaged_template_dir()
    except Exception:  # noqa: BLE001 - completion must never fail
        return None


def _yaml(path: Path) -> Any:
    import yaml  # noqa: PLC0415 - lazy: only completion pays for it

    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except Exception:  # noqa: BLE001 - completion must never fail
        return None


def preset_names(template: str | None, incomplete: str) -> list[str]:
    """The bundled template's preset names that start with ``incomplete``."""
    folder = None if template else _bundled()
    if folder is None:
        return []
    try:
        names = sorted(p.stem for p in (folder / "presets").glob("*.yml"))
    except OSError:
        return []
    return [name for name in names if name.startswith(incomplete)]


def _questions(template: str | None) -> dict[str, Any]:
    folder = None if template else _bundled()
    if folder is None:
        return {}
    config = _yaml(folder / "copier.yml")
    if not isinstance(config, Mapping):
        return {}
    return {str(k): v for k, v in config.items() if not str(k).startswith("_")}


def question_keys(template: str | None, incomplete: str) -> list[str]:
    """``KEY=`` for the bundled template's questions, or ``KEY=VALUE`` for the choices of
    the question ``incomplete`` names."""
    return set_values(_questions(template), incomplete)


def answer_keys(path: Path | None, incomplete: str) -> list[str]:
    """``KEY=`` for the answers the project at ``path`` (or above it) records."""
    from chassis.projects import ANSWERS_FILE, find_root  # noqa: PLC0415 - lazy

    try:
        start = Path.cwd() if path is None else path.resolve()
        recorded = _yaml(find_root(start) / ANSWERS_FILE)
    except Exception:  # noqa: BLE001 - completion must never fail
        return []
    if not isinstance(recorded, Mapping):
        return []
    from chassis.sources import BUNDLED_SRC  # noqa: PLC0415 - lazy

    # The choices of the bundled template's questions; another template's are not read.
    questions = _questions(None) if recorded.get("_src_path") == BUNDLED_SRC else {}
    known = {str(k): questions.get(str(k)) for k in recorded if not str(k).startswith("_")}
    return set_values(known, incomplete)


def module_keys(path: Path | None, incomplete: str) -> list[str]:
    """For ``add module --set``: ``uses=``, then the modules of the project at ``path``
    (or above it), the added ones and the packages under ``src/*/modules/``, each after
    the ones already named (``uses=orders,b`` -> ``uses=orders,billing``)."""
    from chassis.projects import MODULE_ANSWERS, find_root  # noqa: PLC0415 - lazy

    key, has_value, value = incomplete.partition("=")
    if not has_value:
        return ["uses="] if "uses".startswith(key) else []
    if key != "uses":
        return []
    prefix, suffix = MODULE_ANSWERS.split("{name}")
    try:
        root = find_root(Path.cwd() if path is None else path.resolve())
        names = {
            p.name.removeprefix(prefix).removesuffix(suffix)
            for p in root.glob(MODULE_ANSWERS.format(name="*"))
        }
        names |= {p.parent.name for p in root.glob("src/*/modules/*/__init__.py")}
    except Exception:  # noqa: BLE001 - completion must never fail
        return []
    done, comma, last = value.rpartition(",")
    named = set(done.split(comma)) if comma else set()
    start = f"uses={done}{comma}"
    return [start + n for n in sorted(names) if n.startswith(last) and n not in named]


def set_values(questions: Mapping[str, Any], incomplete: str) -> list[str]:
    key, has_value, value = incomplete.partition("=")
    if not has_value:
        return [f"{name}=" for name in questions if name.startswith(key)]
    raw = questions.get(key)
    choices = raw.get("choices") if isinstance(raw, Mapping) else None
    if isinstance(choices, Mapping):  # label: value, or label: {value: ..., validator: ...}
        raws = [v.get("value") if isinstance(v, Mapping) else v for v in choices.values()]
    elif isinstance(choices, list):
        raws = list(choices)
    else:
        return []
    values = [
        str(v).lower() if isinstance(v, bool) else str(v)
        for v in raws
        if isinstance(v, (str, int, float, bool))
    ]
    return [f"{key}={v}" for v in values if v.startswith(value) and "{" not in v]
