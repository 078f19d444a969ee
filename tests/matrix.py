"""The template's space of answers, as data read from its copier.yml.

Nothing here lists a choice or a constraint: the values of each dimension are the
question's choices (False and True for a yes/no question), and a combination is
supported exactly when chassis's own answer validation, which evaluates copier.yml's
validators as Copier does, accepts it. Adding a choice or a validator to copier.yml
changes the matrix with no edit here.

- `cross_product()`: every combination of the dimensions, each with the reason the
  template refuses it, or "" when it is supported.
- `all_pairs()`: a covering set of supported combinations that contains every pair of
  choices that any supported combination contains, built by allpairspy.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from allpairspy import AllPairs
from conftest import REPO

from chassis.answers import TemplateSpec, load_spec
from chassis.errors import AnswersError

# The architecture questions, in copier.yml's order: the order Copier asks them in, so
# a question's validators only ever see the answers before it.
DIMENSIONS = ("architecture", "database", "auth", "ci", "iac", "sentry")
# Spread over the covering set too, so each version meets each choice of the others.
EXTRA = ("python_version",)
CONTEXT = {"_folder_name": "svc"}


@cache
def spec() -> TemplateSpec:
    return load_spec(REPO / "templates" / "service")


def values(name: str) -> list[Any]:
    """Every value the question ``name`` offers, enabled or not."""
    question = spec().question(name)
    if question.type == "bool":
        return [False, True]
    return [choice.value for choice in spec().choices(question, {})]


@dataclass(frozen=True)
class Combination:
    answers: Mapping[str, Any]
    refused: str = ""

    @property
    def id(self) -> str:
        """Readable: the chosen values in order (`serverless-dynamodb-cognito-github-cdk`),
        a yes/no question's name when it is yes, the Python version when not the default."""
        parts = []
        for name, value in self.answers.items():
            if isinstance(value, bool):
                parts.extend([name] if value else [])
            elif name == "python_version":
                default = spec().default(spec().question(name), {})
                parts.extend([] if value == default else [f"py{value}"])
            else:
                parts.append(str(value))
        return "-".join(parts)


def refusal(answers: Mapping[str, Any], among: Sequence[str] | None = None) -> str:
    """Why the template refuses ``answers`` (every other question at its default), or ""
    if it accepts them. With ``among``, only problems with those questions count."""
    try:
        spec().resolve(answers, context=CONTEXT)
    except AnswersError as error:
        problems = [p for p in error.problems if among is None or p.key in among]
        return "; ".join(str(p) for p in problems)
    return ""


def cross_product(names: Sequence[str] = DIMENSIONS) -> list[Combination]:
    """Every combination of ``names``'s values, each with its refusal ("" if supported)."""
    combinations = []
    for row in itertools.product(*(values(name) for name in names)):
        answers = dict(zip(names, row, strict=True))
        combinations.append(Combination(answers, refusal(answers)))
    return combinations


def supported() -> list[Combination]:
    """The combinations of DIMENSIONS the template accepts."""
    return [c for c in cross_product() if not c.refused]


def _accepted(partial: list[Any], names: Sequence[str]) -> bool:
    """allpairspy's filter: is this beginning of a row (the first len(partial) names)
    acceptable? Later questions still sit at their defaults, so only problems with the
    questions already chosen count."""
    chosen = names[: len(partial)]
    return not refusal(dict(zip(chosen, partial, strict=True)), among=chosen)


@cache
def all_pairs() -> tuple[Combination, ...]:
    """A covering set: every pair of choices of DIMENSIONS that a supported combination
    has is in some row, and every row is supported; EXTRA is spread over the rows."""
    order = (*DIMENSIONS, *EXTRA)
    # allpairspy's greedy search covers every pair under a filter only when the
    # questions with the most choices come first, as its documentation advises; in
    # copier.yml's order it drops pairs. tests/test_matrix.py checks the coverage.
    names = sorted(order, key=lambda name: -len(values(name)))
    rows = AllPairs(
        [values(name) for name in names],
        filter_func=lambda partial: _accepted(list(partial), names),
    )
    combinations = []
    for row in rows:
        chosen = dict(zip(names, row, strict=True))
        answers = {name: chosen[name] for name in order}
        combinations.append(Combination(answers, refusal(answers)))
    return tuple(combinations)


def pairs(combination: Combination, names: Sequence[str] = DIMENSIONS) -> Iterator[tuple[Any, ...]]:
    """The (name, value, name, value) pairs of choices ``combination`` contains."""
    for first, second in itertools.combinations(names, 2):
        yield (first, combination.answers[first], second, combination.answers[second])
