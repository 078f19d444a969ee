"""Every stack: alarms mailed to AlarmEmail, a dashboard, a budget, retained logs."""

import pytest
from aws_cdk.assertions import Match, Template


def test_alarm_email_and_budget_amount_are_parameters(dev_template: Template) -> None:
    dev_template.has_parameter("AlarmEmail", {"Type": "String"})
    dev_template.has_parameter("BudgetAmount", {"Type": "Number", "MinValue": 1})


def test_alarms_notify_a_topic_mailing_the_alarm_email(dev_template: Template) -> None:
    dev_template.has_resource_properties(
        "AWS::SNS::Subscription", {"Protocol": "email", "Endpoint": {"Ref": "AlarmEmail"}}
    )
    topic_ref = {"Ref": Match.string_like_regexp("Alarms")}
    alarms = dev_template.find_resources(
        "AWS::CloudWatch::Alarm", {"Properties": {"AlarmActions": [topic_ref]}}
    )
    assert len(alarms) == 2


def test_an_alarm_watches_the_5xx_rate(dev_template: Template) -> None:
    dev_template.has_resource_properties(
        "AWS::CloudWatch::Alarm",
        {
            "Threshold": 5,
            "Metrics": Match.array_with(
                [Match.object_like({"Expression": Match.string_like_regexp("100 \\* FILL")})]
            ),
        },
    )


def test_an_alarm_watches_the_p95_latency(dev_template: Template) -> None:
    dev_template.has_resource_properties(
        "AWS::CloudWatch::Alarm", {"ExtendedStatistic": "p95", "EvaluationPeriods": 3}
    )


def test_a_dashboard_shows_the_api(dev_template: Template) -> None:
    dev_template.resource_count_is("AWS::CloudWatch::Dashboard", 1)


def test_a_monthly_cost_budget_mails_the_alarm_email(dev_template: Template) -> None:
    dev_template.has_resource_properties(
        "AWS::Budgets::Budget",
        {
            "Budget": {
                "BudgetType": "COST",
                "TimeUnit": "MONTHLY",
                "BudgetLimit": {"Amount": {"Ref": "BudgetAmount"}, "Unit": "USD"},
            },
            "NotificationsWithSubscribers": Match.array_with(
                [
                    {
                        "Notification": Match.object_like({"NotificationType": "FORECASTED"}),
                        "Subscribers": [
                            {"SubscriptionType": "EMAIL", "Address": {"Ref": "AlarmEmail"}}
                        ],
                    }
                ]
            ),
        },
    )


@pytest.mark.parametrize(("environment", "days"), [("dev", 30), ("prod", 365)])
def test_every_log_group_has_a_retention(
    environment: str, days: int, dev_template: Template, prod_template: Template
) -> None:
    template = {"dev": dev_template, "prod": prod_template}[environment]
    retention = {
        name: log_group["Properties"].get("RetentionInDays")
        for name, log_group in template.find_resources("AWS::Logs::LogGroup").items()
    }
    assert retention
    assert retention == dict.fromkeys(retention, days)


def test_dev_log_groups_are_deleted_with_the_stack(dev_template: Template) -> None:
    for log_group in dev_template.find_resources("AWS::Logs::LogGroup").values():
        assert log_group["DeletionPolicy"] == "Delete"


def test_prod_log_groups_are_kept(prod_template: Template) -> None:
    for log_group in prod_template.find_resources("AWS::Logs::LogGroup").values():
        assert log_group["DeletionPolicy"] == "Retain"
