"""cfn-lint finds no error in the synthesized templates."""

import json

import pytest
from aws_cdk.assertions import Template
from cfnlint.api import ManualArgs, lint


@pytest.mark.parametrize("environment", ["dev", "prod"])
def test_cfn_lint_finds_no_errors(
    environment: str, dev_template: Template, prod_template: Template
) -> None:
    template = {"dev": dev_template, "prod": prod_template}[environment]
    matches = lint(json.dumps(template.to_json()), config=ManualArgs(regions=["eu-west-1"]))
    # Warnings are left out: CDK's own generated DependsOn trigger W3005.
    assert [str(match) for match in matches if match.rule.id.startswith("E")] == []
