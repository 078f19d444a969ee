"""The template-update bot: `.github/workflows/template-update.yml` of `ci: github`.

First the workflow as a file: only for GitHub, scheduled, never trusting the
template, pinned actions, least privilege, the token kept away from chassis, and
clean for actionlint (with shellcheck when installed) and the workflow schema.

Then its behaviour: the job's `run:` steps are executed in order, as the runner
would (bash -eo pipefail, `$GITHUB_OUTPUT`, `if:` on step outputs), in a shallow
checkout of a real project whose template is behind, with a bare repository as
`origin`, `chassis` on PATH and a stub `gh` that records its calls.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import (
    TINY_COPIER_YML,
    Result,
    commit_all,
    git,
    release,
    render_bundled,
    tool_dir,
    write_tree,
)

TOOLS = Path(sys.executable).parent
WORKFLOW = Path(".github") / "workflows" / "template-update.yml"
PINNED_ACTIONS = {
    "actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1 # v7.0.1",
    "astral-sh/setup-uv@20cfd1bf945f4377ade1205e4dbc17946fc9a30d # v10.0.1",
}
USES = re.compile(r"^\s*(?:-\s+)?uses:\s*(?P<ref>.*?)\s*$", re.MULTILINE)
PINNED = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40} # v\d+(\.\d+)*$")
TOKEN = "${{ secrets.CHASSIS_BOT_TOKEN || github.token }}"  # noqa: S105 - an expression
INSTALL = 'uv tool install "chassis-cli==$CHASSIS_VERSION"'
BRANCH = "chassis/update-2.0.0"
THIRD_PARTY = re.compile(r"^\s*(?:chassis|uv) ", re.MULTILINE)

Cli = Callable[..., Result]


@pytest.fixture(scope="session")
def render(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Path]:
    """Render the bundled template with `ci: github` or `ci: none`, once per session."""
    rendered: dict[str, Path] = {}

    def get(ci: str) -> Path:
        if ci not in rendered:
            answers = {"ci": ci, "database": "none", "iac": "none"}
            rendered[ci], _ = render_bundled(
                tmp_path_factory.mktemp(f"ci-{ci}"), answers, lock=False
            )
        return rendered[ci]

    return get


@pytest.fixture
def workflow(render: Callable[[str], Path]) -> dict[Any, Any]:
    data = yaml.safe_load((render("github") / WORKFLOW).read_text())
    assert isinstance(data, dict)
    return data


def _job(workflow: dict[Any, Any]) -> dict[str, Any]:
    (job,) = workflow["jobs"].values()
    assert isinstance(job, dict)
    return job


def _steps(workflow: dict[Any, Any]) -> list[dict[str, Any]]:
    steps = _job(workflow)["steps"]
    assert isinstance(steps, list)
    return steps


# --- the workflow file -------------------------------------------------------------


def test_only_ci_github_gets_the_bot(render: Callable[[str], Path]) -> None:
    assert (render("github") / WORKFLOW).is_file()
    assert not (render("none") / ".github").exists()


def test_it_runs_weekly_and_on_demand(workflow: dict[Any, Any]) -> None:
    # PyYAML reads the key `on` as True (YAML 1.1).
    triggers = workflow[True]

    assert set(triggers) == {"schedule", "workflow_dispatch"}
    ((cron,),) = [list(entry.values()) for entry in triggers["schedule"]]
    minute, hour, day, month, weekday = cron.split()
    assert (day, month) == ("*", "*")
    assert minute.isdigit()
    assert hour.isdigit()
    assert weekday.isdigit()


def test_it_never_trusts_the_template(workflow: dict[Any, Any]) -> None:
    runs = "\n".join(step.get("run", "") for step in _steps(workflow))

    assert "--trust" not in json.dumps(workflow)  # anywhere but in comments
    assert "chassis update --json --conflict inline " in runs
    assert "chassis check --json " in runs


def test_every_action_is_pinned_to_a_verified_commit(render: Callable[[str], Path]) -> None:
    refs = [m.group("ref") for m in USES.finditer((render("github") / WORKFLOW).read_text())]

    assert refs
    for ref in refs:
        assert PINNED.match(ref), f"not pinned to a commit with its version: {ref}"
    assert set(refs) <= PINNED_ACTIONS


def test_least_privilege(workflow: dict[Any, Any]) -> None:
    job = _job(workflow)

    assert workflow["permissions"] == {"contents": "read"}
    assert job["permissions"] == {"contents": "write", "pull-requests": "write"}
    assert 0 < job["timeout-minutes"] <= 30
    assert workflow["concurrency"]["cancel-in-progress"] is False


def test_the_token_reaches_only_checkout_git_and_gh(workflow: dict[Any, Any]) -> None:
    steps = _steps(workflow)
    checkout = next(s for s in steps if s.get("uses", "").startswith("actions/checkout@"))

    assert checkout["with"] == {"token": TOKEN, "persist-credentials": False}
    assert "GH_TOKEN" not in _job(workflow).get("env", {})
    third_party, remote = [], []
    for step in steps:
        run = step.get("run", "")
        token = step.get("env", {}).get("GH_TOKEN")
        if THIRD_PARTY.search(run):  # chassis and the template never see the token
            third_party.append(step["name"])
            assert token is None, step["name"]
        if "git push" in run or "git ls-remote" in run or "gh pr" in run:
            remote.append(step["name"])
            assert token == TOKEN, step["name"]
            assert "GIT_CONFIG_VALUE_0" in run  # passed to git in the environment only
    assert len(third_party) == 3  # install, check, update
    assert len(remote) == 2  # look for the branch; push and open the pull request


def test_actionlint_and_the_workflow_schema_find_nothing(render: Callable[[str], Path]) -> None:
    project = render("github")
    for argv in (
        [str(TOOLS / "actionlint"), str(WORKFLOW)],
        [
            str(TOOLS / "check-jsonschema"),
            "--builtin-schema",
            "vendor.github-workflows",
            str(WORKFLOW),
        ],
    ):
        done = subprocess.run(argv, cwd=project, capture_output=True, text=True, check=False)
        assert done.returncode == 0, done.stdout + done.stderr


# --- the workflow run --------------------------------------------------------------

STEP_OUTPUT = re.compile(r"steps\.(\w+)\.outputs\.(\w+)")
EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
CONDITION = re.compile(r"(.+?)\s*==\s*'([^']*)'")

GH_STUB = """\
#!{python}
import json, os, pathlib, sys
calls = pathlib.Path(os.environ["GH_STUB_CALLS"])
args = sys.argv[1:]
body = pathlib.Path(args[args.index("--body-file") + 1]).read_text()
with calls.open("a") as out:
    out.write(json.dumps({{"args": args, "auth": os.environ.get("GH_TOKEN"), "body": body}}))
    out.write("\\n")
if "--draft" in args and os.environ.get("GH_STUB_REFUSE_DRAFT"):
    sys.exit("pull request create failed: Draft pull requests are not supported")
"""


@dataclass
class Run:
    """What one run of the job did."""

    returncode: int
    log: str
    outputs: dict[str, dict[str, str]]
    ran: list[str]
    summary: str
    gh_calls: list[dict[str, Any]] = field(default_factory=list)


def _resolve(
    expression: str, outputs: Mapping[str, Mapping[str, str]], context: Mapping[str, str]
) -> str:
    if match := STEP_OUTPUT.fullmatch(expression):
        return outputs.get(match[1], {}).get(match[2], "")
    assert expression in context, f"the test does not know ${{{{ {expression} }}}}"
    return context[expression]


def _run_job(
    workflow: dict[Any, Any],
    checkout: Path,
    tmp: Path,
    context: Mapping[str, str],
    extra_env: Mapping[str, str] | None = None,
) -> Run:
    """Run the job's steps in ``checkout`` as GitHub's runner would, skipping the actions
    (the test did their work) and the chassis install (``chassis`` is on PATH)."""
    tmp.mkdir()
    bin_dir = tool_dir(tmp / "bin", gh=GH_STUB.format(python=sys.executable))
    runner_temp = tmp / "runner"
    runner_temp.mkdir()
    summary = tmp / "summary.md"
    summary.touch()
    calls = tmp / "gh-calls.jsonl"
    base = {
        **os.environ,
        "PATH": f"{bin_dir}:{os.environ['PATH']}",
        "CI": "true",
        "GITHUB_ACTIONS": "true",
        "GITHUB_REF_NAME": "main",
        "GITHUB_REPOSITORY": "acme/svc",
        "GITHUB_SERVER_URL": "https://github.com",
        "GITHUB_STEP_SUMMARY": str(summary),
        "RUNNER_TEMP": str(runner_temp),
        "GH_STUB_CALLS": str(calls),
        **(extra_env or {}),
    }
    job = _job(workflow)
    outputs: dict[str, dict[str, str]] = {}
    ran: list[str] = []
    log: list[str] = []

    def substitute(value: object) -> str:
        return EXPRESSION.sub(lambda m: _resolve(m[1], outputs, context), str(value))

    returncode = 0
    for index, step in enumerate(job["steps"]):
        name = step.get("name") or step.get("uses", "")
        if "uses" in step or step["run"] == INSTALL:
            continue
        if "if" in step:
            condition = CONDITION.fullmatch(step["if"])
            assert condition, f"the test cannot evaluate if: {step['if']}"
            if _resolve(condition[1], outputs, context) != condition[2]:
                continue
        output = tmp / f"output-{index}"
        output.touch()
        env = {**base, "GITHUB_OUTPUT": str(output)}
        for key, value in {**job.get("env", {}), **step.get("env", {})}.items():
            env[key] = substitute(value)
        script = tmp / f"step-{index}.sh"
        script.write_text(step["run"])
        done = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
            cwd=checkout,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        ran.append(name)
        log.append(f"## {name}\n{done.stdout}{done.stderr}")
        if "id" in step:
            lines = output.read_text().splitlines()
            outputs[step["id"]] = dict(line.split("=", 1) for line in lines)
        if done.returncode != 0:
            returncode = done.returncode
            break
    gh_calls = (
        [json.loads(line) for line in calls.read_text().splitlines()] if calls.exists() else []
    )
    return Run(returncode, "\n".join(log), outputs, ran, summary.read_text(), gh_calls)


CONTEXT = {
    "vars.CHASSIS_VERSION": "0.2.0",
    "vars.CHASSIS_TRUST": "",
    "secrets.CHASSIS_BOT_TOKEN != ''": "true",
    "secrets.CHASSIS_BOT_TOKEN || github.token": "bot-token",
}


@dataclass
class Repo:
    """A project pushed to a bare ``origin``, and the template it was made from."""

    origin: Path
    template: Path
    root: Path

    def checkout(self, name: str) -> Path:
        """A fresh shallow clone of ``origin``, as actions/checkout makes one."""
        path = self.root / name
        git("clone", "--quiet", "--depth", "1", self.origin.as_uri(), str(path), cwd=self.root)
        return path


@pytest.fixture
def repo(cli: Cli, template_repo: Path, tmp_path: Path) -> Repo:
    result = cli("new", "proj", "--template", template_repo, "--defaults")
    assert result.exit_code == 0, result.stderr
    project = Path("proj").resolve()
    origin = tmp_path / "origin.git"
    git("clone", "--quiet", "--bare", str(project), str(origin), cwd=tmp_path)
    return Repo(origin=origin, template=template_repo, root=tmp_path)


def _team_edits_config(repo: Repo) -> None:
    """The team changes the port on main; the template will change the same line."""
    work = repo.checkout("team")
    write_tree(work, {"config.toml": "[service]\nport = 9000\ntimeout = 5\n"})
    commit_all(work, "team work")
    git("push", "--quiet", "origin", "HEAD:main", cwd=work)


def _release_2(repo: Repo) -> None:
    release(
        repo.template,
        "2.0.0",
        {
            "project/config.toml": "[service]\nport = 8080\ntimeout = 5\n",
            "project/CONTRIBUTING.md": "Be kind.\n",
        },
    )


def test_a_conflicting_update_opens_a_draft_pull_request_that_lists_the_conflicts(
    repo: Repo, workflow: dict[Any, Any], tmp_path: Path
) -> None:
    _team_edits_config(repo)
    _release_2(repo)

    run = _run_job(workflow, repo.checkout("ci"), tmp_path / "run", CONTEXT)

    assert run.returncode == 0, run.log
    assert run.outputs["check"] == {"behind": "true", "version": "2.0.0", "branch": BRANCH}
    assert run.outputs["update"] == {"conflicts": "1"}
    # The branch is on origin, with one commit by the bot on top of main.
    pushed = repo.origin
    assert git("log", "--format=%an <%ae>|%s", f"main..{BRANCH}", cwd=pushed).splitlines() == [
        "github-actions[bot] <41898282+github-actions[bot]@users.noreply.github.com>"
        "|Update the chassis template to 2.0.0"
    ]
    assert "1 file(s) have conflict markers" in git("log", "-1", "--format=%b", BRANCH, cwd=pushed)
    config = git("show", f"{BRANCH}:config.toml", cwd=pushed)
    assert "<<<<<<< " in config
    assert "port = 9000" in config
    assert "port = 8080" in config
    assert git("show", f"{BRANCH}:CONTRIBUTING.md", cwd=pushed) == "Be kind.\n"
    assert "_commit: 2.0.0" in git("show", f"{BRANCH}:.copier-answers.yml", cwd=pushed)
    # One draft pull request, opened with the bot's token, that says it needs a human.
    (call,) = run.gh_calls
    assert call["auth"] == "bot-token"
    args = call["args"]
    assert args[:2] == ["pr", "create"]
    assert args[args.index("--repo") + 1] == "acme/svc"
    assert args[args.index("--base") + 1] == "main"
    assert args[args.index("--head") + 1] == BRANCH
    assert args[args.index("--title") + 1] == "Update the chassis template to 2.0.0 (conflicts)"
    assert "--draft" in args
    body = call["body"]
    assert "from the chassis template **1.0.0** to **2.0.0**" in body
    assert "Template tasks and migrations were not run." in body
    assert "**This pull request needs a human.**" in body
    assert "> - `config.toml`\n" in body
    assert "| `config.toml` | **conflict** |" in body
    assert "| `CONTRIBUTING.md` | added |" in body
    assert "| `.copier-answers.yml` | updated |" in body


def test_a_second_run_does_not_open_a_duplicate(
    repo: Repo, workflow: dict[Any, Any], tmp_path: Path
) -> None:
    _release_2(repo)
    first = _run_job(workflow, repo.checkout("first"), tmp_path / "run-1", CONTEXT)
    assert first.returncode == 0, first.log

    second = _run_job(workflow, repo.checkout("second"), tmp_path / "run-2", CONTEXT)

    assert second.returncode == 0, second.log
    assert second.outputs["branch"] == {"create": "false"}
    assert f"::notice::The branch {BRANCH} exists already" in second.log
    assert second.gh_calls == []
    assert "Update from the template (without running its tasks)" not in second.ran


def test_a_clean_update_opens_a_ready_pull_request(
    repo: Repo, workflow: dict[Any, Any], tmp_path: Path
) -> None:
    _release_2(repo)

    run = _run_job(workflow, repo.checkout("ci"), tmp_path / "run", CONTEXT)

    assert run.returncode == 0, run.log
    (call,) = run.gh_calls
    assert "--draft" not in call["args"]
    assert call["args"][call["args"].index("--title") + 1] == "Update the chassis template to 2.0.0"
    assert "No conflicts" in call["body"]
    assert "needs a human" not in call["body"]
    assert "| `config.toml` | updated |" in call["body"]


def test_without_drafts_the_conflicted_pull_request_is_opened_ready(
    repo: Repo, workflow: dict[Any, Any], tmp_path: Path
) -> None:
    _team_edits_config(repo)
    _release_2(repo)

    run = _run_job(
        workflow, repo.checkout("ci"), tmp_path / "run", CONTEXT, {"GH_STUB_REFUSE_DRAFT": "1"}
    )

    assert run.returncode == 0, run.log
    assert ["--draft" in call["args"] for call in run.gh_calls] == [True, False]
    assert "::warning::Could not open a draft pull request" in run.log


def test_up_to_date_does_nothing_and_warns_without_the_bot_token(
    repo: Repo, workflow: dict[Any, Any], tmp_path: Path
) -> None:
    context = {**CONTEXT, "secrets.CHASSIS_BOT_TOKEN != ''": "false"}

    run = _run_job(workflow, repo.checkout("ci"), tmp_path / "run", context)

    assert run.returncode == 0, run.log
    assert "::warning::The secret CHASSIS_BOT_TOKEN is not set" in run.log
    assert run.outputs == {"check": {"behind": "false"}}
    assert "Up to date: chassis template 1.0.0." in run.summary
    assert run.gh_calls == []
    assert git("ls-remote", "--heads", str(repo.origin), "chassis/*", cwd=tmp_path) == ""


def test_a_missing_requirement_variable_fails_naming_it(
    repo: Repo, workflow: dict[Any, Any], tmp_path: Path
) -> None:
    context = {**CONTEXT, "vars.CHASSIS_VERSION": ""}

    run = _run_job(workflow, repo.checkout("ci"), tmp_path / "run", context)

    assert run.returncode == 1
    assert "::error::Set the repository variable CHASSIS_VERSION" in run.log
    assert run.ran == ["Check the repository variable and secret"]


@pytest.mark.parametrize("trusted", [False, True])
def test_a_template_that_runs_code_is_updated_only_where_the_team_trusts_it(
    repo: Repo, workflow: dict[Any, Any], tmp_path: Path, trusted: bool
) -> None:
    copier_yml = TINY_COPIER_YML + '_tasks:\n  - "touch task-ran"\n'
    release(repo.template, "2.0.0", {"copier.yml": copier_yml, "project/NEW.md": "new\n"})
    context = {**CONTEXT, "vars.CHASSIS_TRUST": str(repo.template) if trusted else ""}

    run = _run_job(workflow, repo.checkout("ci"), tmp_path / "run", context)

    if trusted:
        assert run.returncode == 0, run.log
        assert git("show", f"{BRANCH}:NEW.md", cwd=repo.origin) == "new\n"
        assert "task-ran" in git("ls-tree", "--name-only", BRANCH, cwd=repo.origin)
        assert len(run.gh_calls) == 1
    else:
        assert run.returncode == 1
        assert "uses features that run code on your machine (" in run.log
        assert "::error::chassis update failed with exit code 1." in run.log
        assert run.gh_calls == []
        assert git("ls-remote", "--heads", str(repo.origin), "chassis/*", cwd=tmp_path) == ""


def test_a_failing_update_fails_the_job_without_a_pull_request(
    repo: Repo, workflow: dict[Any, Any], tmp_path: Path
) -> None:
    _release_2(repo)
    checkout = repo.checkout("ci")
    (checkout / "stray.txt").write_text("left by an earlier step\n")  # chassis refuses: exit 1

    run = _run_job(workflow, checkout, tmp_path / "run", CONTEXT)

    assert run.returncode == 1
    assert "::error::chassis update failed with exit code 1." in run.log
    assert run.gh_calls == []
    assert git("ls-remote", "--heads", str(repo.origin), "chassis/*", cwd=tmp_path) == ""


def test_a_refused_push_fails_the_job_naming_the_workflows_permission(
    repo: Repo, workflow: dict[Any, Any], tmp_path: Path
) -> None:
    _release_2(repo)
    hook = repo.origin / "hooks" / "pre-receive"
    hook.write_text(
        "#!/bin/sh\necho 'refusing to allow a token without `workflow` scope' >&2\nexit 1\n"
    )
    hook.chmod(0o755)

    run = _run_job(workflow, repo.checkout("ci"), tmp_path / "run", CONTEXT)

    assert run.returncode == 1
    assert f"::error::Could not push {BRANCH}." in run.log
    assert "Workflows (read and write) permission" in run.log
    assert run.gh_calls == []
