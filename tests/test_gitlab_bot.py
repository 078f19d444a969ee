"""The GitLab template-update job, run for real against a project behind its template.

The job's `script` runs as GitLab's runner would (bash, -e, in a detached checkout)
with `chassis` on PATH (its before_script only installs tools), the project's remote
redirected to a bare repository, and a stub `curl` standing in for GitLab's API.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import git, render_bundled, tool_dir
from test_update_bot import Repo, _release_2, _team_edits_config, repo

__all__ = ["repo"]  # the fixture, shared with the GitHub bot's tests

BRANCH = "chassis/update-2.0.0"
REMOTE = "https://gitlab.example.com/acme/svc.git"
# A `git` that records each command line (JSON, one a line) before running the real one.
GIT_LOGGER = """\
#!{python}
import json, os, sys
with open(os.environ["GIT_CALLS"], "a") as out:
    out.write(json.dumps(sys.argv[1:]) + "\\n")
os.execv({git!r}, ["git", *sys.argv[1:]])
"""
CURL_STUB = """\
#!{python}
import json, os, pathlib, sys
args = sys.argv[1:]
data = args[args.index("--data") + 1]
request = pathlib.Path(data[1:]).read_text() if data.startswith("@") else data
with pathlib.Path(os.environ["CURL_STUB_CALLS"]).open("a") as out:
    out.write(json.dumps({{"args": args, "request": json.loads(request)}}) + "\\n")
"""


@pytest.fixture(scope="session")
def job(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    project, _ = render_bundled(
        tmp_path_factory.mktemp("gitlab"), {"ci": "gitlab", "iac": "none"}, lock=False
    )
    pipeline = yaml.safe_load((project / ".gitlab-ci.yml").read_text())
    bot: dict[str, Any] = pipeline["template-update"]
    return bot


@dataclass
class Run:
    returncode: int
    log: str
    api_calls: list[dict[str, Any]]
    git_calls: list[list[str]]


def _run(job: dict[str, Any], repo: Repo, name: str, tmp: Path) -> Run:
    checkout = repo.checkout(name)
    # GitLab's runner checks out the commit, detached, without a local branch.
    git("checkout", "--quiet", "--detach", cwd=checkout)
    git("branch", "--quiet", "-D", "main", cwd=checkout)
    tmp.mkdir()
    git_logger = GIT_LOGGER.format(python=sys.executable, git=shutil.which("git"))
    bin_dir = tool_dir(tmp / "bin", curl=CURL_STUB.format(python=sys.executable), git=git_logger)
    calls = tmp / "api-calls.jsonl"
    git_calls = tmp / "git-calls.jsonl"
    env = {
        **os.environ,
        "PATH": f"{bin_dir}:{os.environ['PATH']}",
        **{key: str(value) for key, value in job["variables"].items()},
        "CI": "true",
        "GITLAB_CI": "true",
        "CI_DEFAULT_BRANCH": "main",
        "CI_SERVER_HOST": "gitlab.example.com",
        "CI_SERVER_URL": "https://gitlab.example.com",
        "GIT_CALLS": str(git_calls),
        "CI_PROJECT_PATH": "acme/svc",
        "CI_PROJECT_ID": "7",
        "CI_API_V4_URL": "https://gitlab.example.com/api/v4",
        "CHASSIS_VERSION": "0.2.0",
        "CHASSIS_BOT_TOKEN": "bot-token",
        "CURL_STUB_CALLS": str(calls),
        # The project's GitLab remote is the bare repository here.
        "GIT_CONFIG_COUNT": "1",
        "GIT_CONFIG_KEY_0": f"url.{repo.origin.as_uri()}.insteadOf",
        "GIT_CONFIG_VALUE_0": REMOTE,
    }
    env["UV_CACHE_DIR"] = str(tmp / "uv-cache")
    script = "\n".join(job["script"])
    done = subprocess.run(
        ["bash", "--noprofile", "--norc", "-e", "-c", script],
        cwd=checkout,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    api_calls = (
        [json.loads(line) for line in calls.read_text().splitlines()] if calls.exists() else []
    )
    lines = git_calls.read_text().splitlines() if git_calls.exists() else []
    return Run(done.returncode, done.stdout + done.stderr, api_calls, list(map(json.loads, lines)))


def test_a_conflicting_update_opens_a_draft_merge_request_listing_the_conflicts(
    job: dict[str, Any], repo: Repo, tmp_path: Path
) -> None:
    _team_edits_config(repo)
    _release_2(repo)

    run = _run(job, repo, "ci", tmp_path / "run")

    assert run.returncode == 0, run.log
    assert git("log", "--format=%an|%s", f"main..{BRANCH}", cwd=repo.origin).splitlines() == [
        "chassis bot|Update the chassis template to 2.0.0"
    ]
    config = git("show", f"{BRANCH}:config.toml", cwd=repo.origin)
    assert "<<<<<<< " in config
    assert "port = 9000" in config
    (call,) = run.api_calls
    assert call["args"][-1] == "https://gitlab.example.com/api/v4/projects/7/merge_requests"
    assert "PRIVATE-TOKEN: bot-token" in call["args"]
    request = call["request"]
    assert request["source_branch"] == BRANCH
    assert request["target_branch"] == "main"
    assert request["title"] == "Draft: Update the chassis template to 2.0.0"
    assert "from chassis template 1.0.0 to 2.0.0" in request["description"]
    assert "**Conflicts to resolve by hand**" in request["description"]
    assert "- `config.toml`" in request["description"]


def test_a_clean_update_opens_a_ready_merge_request_and_is_not_repeated(
    job: dict[str, Any], repo: Repo, tmp_path: Path
) -> None:
    _release_2(repo)

    first = _run(job, repo, "first", tmp_path / "run-1")
    second = _run(job, repo, "second", tmp_path / "run-2")

    assert first.returncode == 0, first.log
    (call,) = first.api_calls
    assert call["request"]["title"] == "Update the chassis template to 2.0.0"
    assert call["request"]["description"].endswith("No conflicts.")
    assert second.returncode == 0, second.log
    assert f"{BRANCH} exists already" in second.log
    assert second.api_calls == []


def test_up_to_date_does_nothing(job: dict[str, Any], repo: Repo, tmp_path: Path) -> None:
    run = _run(job, repo, "ci", tmp_path / "run")

    assert run.returncode == 0, run.log
    assert "Up to date." in run.log
    assert run.api_calls == []
    assert git("ls-remote", "--heads", str(repo.origin), BRANCH, cwd=tmp_path) == ""


def test_a_failing_check_fails_the_job_and_pushes_nothing(
    job: dict[str, Any], repo: Repo, tmp_path: Path
) -> None:
    # A template source that cannot be read: chassis check exits 1.
    repo.template.rename(repo.template.with_name("moved"))

    run = _run(job, repo, "ci", tmp_path / "run")

    assert run.returncode == 1, run.log
    assert run.api_calls == []
    assert git("ls-remote", "--heads", str(repo.origin), cwd=tmp_path).count("refs/heads/") == 1


def test_the_token_reaches_git_only_through_a_credential_helper(
    job: dict[str, Any], repo: Repo, tmp_path: Path
) -> None:
    _release_2(repo)

    run = _run(job, repo, "ci", tmp_path / "run")

    assert run.returncode == 0, run.log
    # Never in a URL or any other argument, in the log, or in the checkout's git config.
    assert not [argv for argv in run.git_calls if any("bot-token" in arg for arg in argv)]
    assert "bot-token" not in run.log
    assert "bot-token" not in (repo.root / "ci" / ".git" / "config").read_text()
    (push,) = [argv for argv in run.git_calls if "push" in argv]
    assert REMOTE in push
    # What git would send GitLab for that push: the bot's token, from the environment.
    options = push[: push.index("push")]
    done = subprocess.run(
        ["git", *options, "credential", "fill"],
        input="protocol=https\nhost=gitlab.example.com\n\n",
        env={**os.environ, "CHASSIS_BOT_TOKEN": "bot-token", "GIT_TERMINAL_PROMPT": "0"},
        capture_output=True,
        text=True,
        check=True,
    )
    assert "username=oauth2\npassword=bot-token\n" in done.stdout
