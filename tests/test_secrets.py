"""No secret in a generated project: `.env` stays out of git, the answers file records no
secret, and the scan every variant gets (checks.secret_findings) catches a real one."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from checks import check_no_secrets, project_files, secret_findings
from conftest import REPO, answers_of, commit_all, git, render_bundled

from chassis.projects import MODULE_QUESTIONS

VARIANTS = {
    "defaults": {},
    "serverless-dynamodb-cognito-gitlab-sentry": {
        "architecture": "serverless",
        "database": "dynamodb",
        "auth": "cognito",
        "ci": "gitlab",
        "sentry": True,
    },
}
# An access key id in AWS's shape (AWS's documented example), assembled so that no
# scanner of this repository mistakes the source for a leak.
AWS_KEY = "AKIA" + "IOSFODNN7" + "EXAMPLE"
SENSITIVE = re.compile(r"secret|token|password|passwd|dsn|credential|private|api_?key", re.I)


def _committed(answers: dict[str, Any], parent: Path) -> Path:
    """A project rendered with ``answers``, in a git repository with everything committed."""
    project, _ = render_bundled(parent, answers, lock=False)
    git("init", "--quiet", cwd=project)
    commit_all(project, "Generated")
    return project


@pytest.mark.parametrize("answers", VARIANTS.values(), ids=VARIANTS.keys())
def test_env_is_ignored_and_env_example_is_tracked(answers: dict[str, Any], tmp_path: Path) -> None:
    project = _committed(answers, tmp_path)
    tracked = git("ls-files", cwd=project).splitlines()
    assert ".env.example" in tracked
    assert ".env" not in tracked

    (project / ".env").write_text(f"SENTRY_DSN=https://{AWS_KEY}@o1.ingest.sentry.io/1\n")

    git("check-ignore", "--quiet", ".env", cwd=project)  # fails unless .env is ignored
    assert git("status", "--porcelain", "--untracked-files=all", cwd=project) == ""
    assert ".env" not in project_files(project)
    assert secret_findings(project) == []


def test_the_answers_file_records_no_secret(tmp_path: Path) -> None:
    questions = yaml.safe_load((REPO / "templates" / "service" / "copier.yml").read_text())
    asked = {name: q for name, q in questions.items() if not name.startswith("_")}
    secret = {name for name, q in asked.items() if isinstance(q, dict) and q.get("secret")}
    answers = {"auth": "auth0", "database": "postgresql", "sentry": True}
    project, _ = render_bundled(tmp_path, answers, lock=False)

    recorded = answers_of(project)

    # Copier leaves `secret: true` answers out of the answers file; the rest are recorded,
    # but for the module questions, which only a module's own answers file records.
    assert set(recorded) == {"_commit", "_src_path", *(set(asked) - secret - set(MODULE_QUESTIONS))}
    assert [name for name in recorded if SENSITIVE.search(name)] == []
    # Settings such as SENTRY_DSN are no question at all: they come from the environment.
    assert not any(SENSITIVE.search(name) for name in asked), sorted(asked)
    assert ".copier-answers.yml" in project_files(project)  # scanned, though not in git
    assert secret_findings(project) == []


def test_the_scan_reports_a_secret_in_any_file_the_project_would_commit(tmp_path: Path) -> None:
    project = _committed({}, tmp_path)
    readme = project / "README.md"
    lines = readme.read_text().count("\n")
    readme.write_text(readme.read_text() + f"aws_access_key_id = {AWS_KEY}\n")  # tracked
    (project / "deploy.cfg").write_text(f"key={AWS_KEY}\n")  # new, not ignored
    (project / ".env").write_text(f"AWS_ACCESS_KEY_ID={AWS_KEY}\n")  # ignored: never committed

    findings = secret_findings(project)

    assert findings == [f"README.md:{lines + 1}: AWS Access Key", "deploy.cfg:1: AWS Access Key"]
    with pytest.raises(AssertionError, match=r"README\.md:\d+: AWS Access Key"):
        check_no_secrets(project)
