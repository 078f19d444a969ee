"""chassis is installed as `chassis-cli`: the package index's `chassis` is an unrelated
project, and installing it (by hand, or from a generated update bot holding the
repository's token) runs someone else's code.

Every install instruction, in this repository and in every generated variant (the
variant harness runs the same scan), names chassis-cli; both update bots install exactly
chassis-cli at the exact version the team sets, and refuse anything else.
"""

from __future__ import annotations

import os
import subprocess
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from checks import FOREIGN_CHASSIS, foreign_install_instructions
from conftest import REPO, git, render_bundled, tool_dir

DIST = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["name"]
UV_STUB = """\
#!/bin/sh
printf '%s\\n' "$@" > "$UV_STUB_ARGS"
"""
GOOD_VERSIONS = ["0.2.0", "1.0.0rc1", "0.2.0.dev0"]
# A range, another distribution, a second requirement, a shell word: each refused.
BAD_VERSIONS = ["", "latest", ">=0.2", "0.2.0 chassis", "0.2.0;touch pwned", "chassis==0.2.0"]


def test_the_distribution_is_not_the_index_s_chassis() -> None:
    assert DIST == "chassis-cli"
    scripts = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts == {"chassis": "chassis.cli:main"}  # the command keeps its name


@pytest.mark.parametrize(
    "line",
    [
        "pip install chassis",
        "pipx install 'chassis>=0.1'",
        "uv tool install chassis",
        'uv tool install --quiet "chassis==0.2.0"',
        "uvx chassis new svc",
        "CHASSIS_REQUIREMENT: chassis==0.2.0",
        "chassis @ git+https://example.com/chassis",
    ],
)
def test_the_scan_finds_an_instruction_to_install_the_index_s_chassis(line: str) -> None:
    assert FOREIGN_CHASSIS.search(line)


@pytest.mark.parametrize(
    "line",
    [
        "uv tool install chassis-cli==0.1.0",
        'uv tool install "chassis-cli==$CHASSIS_VERSION"',
        "python3 -m venv ~/.chassis && ~/.chassis/bin/pip install -q . && "
        "~/.chassis/bin/chassis new ~/my-service --defaults",
        "uv tool install chassis-cli && chassis new billing",
        "uvx --from chassis-cli chassis template export",
        "pip install -e . # then run chassis check",
    ],
)
def test_the_scan_leaves_chassis_cli_and_the_command_alone(line: str) -> None:
    assert not FOREIGN_CHASSIS.search(line)


def test_no_file_here_tells_anyone_to_install_the_index_s_chassis() -> None:
    tracked = git("ls-files", "-z", cwd=REPO).split("\0")
    # This file states the instructions the scan must catch.
    scanned = [n for n in tracked if n and n not in {"tests/test_distribution.py", "uv.lock"}]

    assert foreign_install_instructions(REPO, scanned) == []


# --- the update bots ----------------------------------------------------------------


@pytest.fixture(scope="session")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Path]:
    projects: dict[str, Path] = {}

    def get(ci: str) -> Path:
        if ci not in projects:
            parent = tmp_path_factory.mktemp(f"dist-{ci}")
            projects[ci], _ = render_bundled(parent, {"ci": ci, "iac": "none"}, lock=False)
        return projects[ci]

    return get


def _github_install(project: Path) -> str:
    """The bot's steps up to its install, as one script (the actions are left out)."""
    workflow = yaml.safe_load((project / ".github/workflows/template-update.yml").read_text())
    (job,) = workflow["jobs"].values()
    script: list[str] = []
    for step in job["steps"]:
        if "run" in step:
            script.append(step["run"])
        if step.get("name") == "Install chassis":
            assert step["env"] == {"CHASSIS_VERSION": "${{ vars.CHASSIS_VERSION }}"}
            return "\n".join(script)
    pytest.fail("the bot has no step named 'Install chassis'")


def _gitlab_install(project: Path) -> str:
    """The bot job's before_script after the system packages and uv are installed."""
    job: dict[str, Any] = yaml.safe_load((project / ".gitlab-ci.yml").read_text())[
        "template-update"
    ]
    lines: list[str] = job["before_script"]
    tools = next(i for i, line in enumerate(lines) if "pip install" in line)
    return "\n".join(lines[tools + 1 :])


INSTALLS: dict[str, tuple[Callable[[Path], str], list[str]]] = {
    "github": (_github_install, ["tool", "install"]),
    "gitlab": (_gitlab_install, ["tool", "install", "--quiet"]),
}


def _run_install(
    script: str,
    version: str,
    tmp: Path,
    token: str = "bot-token",  # noqa: S107 - a stub
) -> tuple[int, str, list[str] | None]:
    bin_dir = tool_dir(tmp / "bin", uv=UV_STUB)
    recorded = tmp / "uv-args"
    env = {
        **os.environ,
        "PATH": f"{bin_dir}:{os.environ['PATH']}",
        "HOME": str(tmp),
        "UV_STUB_ARGS": str(recorded),
        "CHASSIS_VERSION": version,
        "CHASSIS_BOT_TOKEN": token,
        "BOT_TOKEN_SET": "true",
    }
    done = subprocess.run(
        ["bash", "-eo", "pipefail", "-c", script],
        cwd=tmp,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    args = recorded.read_text().splitlines() if recorded.exists() else None
    return done.returncode, done.stdout + done.stderr, args


@pytest.mark.parametrize("ci", list(INSTALLS))
@pytest.mark.parametrize("version", GOOD_VERSIONS)
def test_the_bot_installs_exactly_chassis_cli_at_the_version_set(
    rendered: Callable[[str], Path], ci: str, version: str, tmp_path: Path
) -> None:
    script, argv = INSTALLS[ci]

    code, log, args = _run_install(script(rendered(ci)), version, tmp_path)

    assert code == 0, log
    assert args == [*argv, f"{DIST}=={version}"]


@pytest.mark.parametrize("ci", list(INSTALLS))
@pytest.mark.parametrize("version", BAD_VERSIONS)
def test_the_bot_refuses_anything_but_a_version(
    rendered: Callable[[str], Path], ci: str, version: str, tmp_path: Path
) -> None:
    script, _ = INSTALLS[ci]

    code, log, args = _run_install(script(rendered(ci)), version, tmp_path)

    assert code == 1
    assert args is None  # nothing was installed
    assert "CHASSIS_VERSION" in log
    assert "such as 0.2.0" in log


def test_the_gitlab_bot_needs_its_token(rendered: Callable[[str], Path], tmp_path: Path) -> None:
    code, log, args = _run_install(_gitlab_install(rendered("gitlab")), "0.2.0", tmp_path, "")

    assert (code, args) == (1, None)
    assert log == "Set the CI/CD variable CHASSIS_BOT_TOKEN for the template-update bot.\n"
