"""Least privilege: no IAM statement grants every action or every resource for writes."""

from typing import Any

from aws_cdk.assertions import Template


def _statements(template: Template) -> list[dict[str, Any]]:
    return [
        statement
        for policy in template.find_resources("AWS::IAM::Policy").values()
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ]


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def test_no_statement_allows_every_action(dev_template: Template) -> None:
    for statement in _statements(dev_template):
        actions = _as_list(statement["Action"])
        assert "*" not in actions
        assert not any(action.endswith(":*") for action in actions), statement


def test_no_managed_admin_policy(dev_template: Template) -> None:
    for role in dev_template.find_resources("AWS::IAM::Role").values():
        for arn in role["Properties"].get("ManagedPolicyArns", []):
            assert "AdministratorAccess" not in str(arn)


def test_the_app_environment_holds_no_secret(app_environment: dict[str, Any]) -> None:
    """Secrets are named by their ARN and read from Secrets Manager, never set in plain text."""
    secret_like = ("DSN", "PASSWORD", "SECRET", "TOKEN", "PRIVATE_KEY")
    for name in app_environment:
        assert name.endswith("_ARN") or not any(word in name for word in secret_like), name
