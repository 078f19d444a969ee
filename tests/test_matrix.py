"""The template's answer space: what it refuses, and the covering set CI runs."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import Result
from matrix import DIMENSIONS, Combination, all_pairs, cross_product, pairs, supported, values

Cli = Callable[..., Result]
REFUSED = [c for c in cross_product() if c.refused]


def test_the_space_is_every_choice_of_every_architecture_question() -> None:
    space = cross_product()

    sizes = [len(values(name)) for name in DIMENSIONS]
    assert len(space) == sizes[0] * sizes[1] * sizes[2] * sizes[3] * sizes[4] * sizes[5]
    assert values("sentry") == [False, True]
    assert "dynamodb" in values("database")
    # The one constraint copier.yml has today: a Lambda has no durable disk for SQLite.
    assert {c.answers["architecture"] for c in REFUSED} == {"serverless"}
    assert {c.answers["database"] for c in REFUSED} == {"sqlite"}
    assert len(supported()) + len(REFUSED) == len(space)


def test_the_covering_set_holds_every_pair_of_supported_choices() -> None:
    covering = all_pairs()
    wanted = {pair for combination in supported() for pair in pairs(combination)}
    held = {pair for combination in covering for pair in pairs(combination)}

    assert [c.id for c in covering if c.refused] == []
    assert wanted - held == set()
    assert len({c.id for c in covering}) == len(covering), "ids must be unique"
    # Each pair of auth and database choices needs a row of its own: the least possible.
    lower_bound = max(
        len(values(a)) * len(values(b)) for a, b in itertools.combinations(DIMENSIONS, 2)
    )
    assert lower_bound <= len(covering) < len(supported()) / 10


def test_the_covering_set_meets_every_python_version() -> None:
    assert {c.answers["python_version"] for c in all_pairs()} == set(values("python_version"))


def test_ids_read_as_the_answers() -> None:
    combination = next(
        c
        for c in supported()
        if dict(c.answers)
        == {
            "architecture": "serverless",
            "database": "dynamodb",
            "auth": "cognito",
            "ci": "github",
            "iac": "cdk",
            "sentry": False,
        }
    )
    assert combination.id == "serverless-dynamodb-cognito-github-cdk"


@pytest.mark.parametrize("combination", REFUSED, ids=[c.id for c in REFUSED])
def test_an_unsupported_combination_is_refused_with_its_reason(
    cli: Cli, combination: Combination
) -> None:
    settings = [f"--set={name}={str(value).lower()}" for name, value in combination.answers.items()]

    result = cli("new", "svc", "--defaults", "--no-git", "--no-lock", *settings)

    assert result.exit_code == 2, result.stdout
    reason = combination.refused.partition(": ")[2]
    assert reason in result.stderr.replace("\n", " ")
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert not (Path.cwd() / "svc").exists()


def test_the_matrix_run_is_every_supported_combination() -> None:
    """`pytest -m matrix` runs the covering set and the rest: together, each supported
    combination once."""
    from test_variants import COVERING, REST  # noqa: PLC0415 - the runs as collected

    def dimensions(answers: dict[str, object]) -> tuple[object, ...]:
        return tuple(answers[name] for name in DIMENSIONS)

    run = [dimensions(answers) for _, answers in [*COVERING, *REST]]
    assert sorted(map(repr, run)) == sorted(repr(dimensions(dict(c.answers))) for c in supported())
