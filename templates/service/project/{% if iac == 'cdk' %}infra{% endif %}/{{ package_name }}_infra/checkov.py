"""The checkov findings this app accepts, each with its reason, in one place.

checkov reads ``Metadata.checkov.skip`` on a resource of the synthesized template;
``skip(construct, "CKV_AWS_...")`` writes it with the reason below, so every
accepted finding is listed here and nowhere else.
"""

from collections.abc import Mapping

import aws_cdk as cdk
from constructs import IConstruct

REASONS = {
    # CloudWatch Logs
    "CKV_AWS_158": (
        "CloudWatch Logs encrypts log data at rest by default; a customer-managed KMS key "
        "costs $1/month and needs a key policy for the logs service"
    ),
    # Secrets Manager
    "CKV_AWS_149": (
        "Encrypted with the AWS-managed Secrets Manager key; a customer-managed key costs "
        "$1/month and would add no boundary beyond the IAM grants"
    ),
    # RDS
    "CKV_AWS_157": "Dev runs one database instance to halve its cost; prod is Multi-AZ",
    "CKV_AWS_118": (
        "Performance Insights (free tier) and the standard metrics cover an MVP; enhanced "
        "monitoring adds a role and per-instance log ingestion costs"
    ),
    "CKV_AWS_161": (
        "The app signs in with the generated password from Secrets Manager; IAM database "
        "authentication would need token refresh in the app's connection pool"
    ),
    "CKV_AWS_162": "The app signs in with the generated password (see CKV_AWS_161)",
    # DynamoDB
    "CKV_AWS_119": (
        "Encrypted at rest with the AWS-managed DynamoDB key; a customer-managed key costs "
        "$1/month plus a KMS request per uncached read or write"
    ),
    # SNS
    "CKV_AWS_26": (
        "Alarm notifications carry no secrets, and CloudWatch alarms cannot publish to a "
        "topic encrypted with the AWS-managed SNS key; a customer-managed key costs "
        "$1/month for nothing to protect"
    ),
    # S3
    "CKV_AWS_18": (
        "Server access logs need a second bucket of their own; CloudTrail already records "
        "who changes the bucket, and only this app's own roles may write to it"
    ),
    "CKV_AWS_21": (
        "The canary's run reports are written once and expire after 30 days: versions would "
        "keep nothing worth keeping"
    ),
    # Application Load Balancer
    "CKV_AWS_2": (
        "Dev only, deployed without a certificate: its load balancer serves plain HTTP; prod "
        "refuses to synthesize without -c certificate_arn=... and serves HTTPS only"
    ),
    "CKV_AWS_103": "Dev only, without a certificate: no TLS to set a policy for (see CKV_AWS_2)",
    "CKV_AWS_91": (
        "The app logs one JSON line per request to CloudWatch Logs; load balancer access "
        "logs would duplicate them in an S3 bucket of their own"
    ),
    "CKV_AWS_150": "Dev is torn down at will; prod turns deletion protection on",
    "CKV_AWS_260": (
        "The load balancer is the service's public entry point; with a certificate (always in "
        "prod) port 80 only redirects to HTTPS"
    ),
    # Lambda
    "CKV_AWS_115": (
        "The HTTP API's throttling caps the request rate; reserving concurrency fails on "
        "new accounts, whose limit is 10"
    ),
    "CKV_AWS_116": (
        "Invoked synchronously (API Gateway, deployment trigger): a dead-letter queue only "
        "applies to asynchronous invocations"
    ),
    "CKV_AWS_117": (
        "The function calls only public AWS and identity provider endpoints; a VPC would add "
        "NAT gateway costs and cold-start latency without isolating anything"
    ),
    "CKV_AWS_173": (
        "The environment holds names and ARNs, no secrets (credentials are read from Secrets "
        "Manager at run time); Lambda encrypts it at rest with an AWS-managed key"
    ),
}


# Handlers CDK deploys itself for custom resources, named by their construct id.
CDK_PROVIDER_PREFIXES = ("LogRetention", "Custom::", "AWSCDK.")
CDK_PROVIDER_REASON = (
    "A handler CDK itself deploys for a custom resource (log retention, deployment trigger, "
    "default security group): it runs only during deployments and CDK owns its configuration"
)
CDK_PROVIDER_CHECKS = {
    "AWS::Lambda::Function": ("CKV_AWS_115", "CKV_AWS_116", "CKV_AWS_117", "CKV_AWS_173"),
    "AWS::IAM::Policy": ("CKV_AWS_111",),
}


def skip(construct: IConstruct, *check_ids: str) -> None:
    """Tell checkov that ``construct``'s resource accepts these findings, with their reasons."""
    resource = construct if isinstance(construct, cdk.CfnResource) else construct.node.default_child
    if not isinstance(resource, cdk.CfnResource):
        msg = f"{construct.node.path} has no CloudFormation resource to annotate"
        raise TypeError(msg)
    _add(resource, {check: REASONS[check] for check in check_ids})


def skip_cdk_providers(stack: cdk.Stack) -> None:
    """Accept the findings on CDK's own custom-resource handlers; call it last."""
    for child in stack.node.children:
        if not child.node.id.startswith(CDK_PROVIDER_PREFIXES):
            continue
        for construct in child.node.find_all():
            if isinstance(construct, cdk.CfnResource):
                checks = CDK_PROVIDER_CHECKS.get(construct.cfn_resource_type, ())
                _add(construct, dict.fromkeys(checks, CDK_PROVIDER_REASON))


def _add(resource: cdk.CfnResource, reasons: Mapping[str, str]) -> None:
    if not reasons:
        return
    metadata = resource.get_metadata("checkov") or {"skip": []}
    metadata["skip"] += [{"id": check, "comment": reason} for check, reason in reasons.items()]
    resource.add_metadata("checkov", metadata)
