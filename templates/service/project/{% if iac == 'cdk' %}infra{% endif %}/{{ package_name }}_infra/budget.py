"""A monthly AWS Budgets cost budget that mails before the money is spent."""

import aws_cdk as cdk
from aws_cdk import aws_budgets as budgets
from constructs import Construct


class CostBudget(Construct):
    """Mails ``email`` at 80% of ``amount`` (USD) actually spent, and at 100% forecast."""

    def __init__(self, scope: Construct, construct_id: str, *, amount: float, email: str) -> None:
        super().__init__(scope, construct_id)
        subscribers = [
            budgets.CfnBudget.SubscriberProperty(subscription_type="EMAIL", address=email)
        ]
        self.budget = budgets.CfnBudget(
            self,
            "Budget",
            budget=budgets.CfnBudget.BudgetDataProperty(
                budget_name=f"{cdk.Stack.of(self).stack_name}-monthly",
                budget_type="COST",
                time_unit="MONTHLY",
                budget_limit=budgets.CfnBudget.SpendProperty(amount=amount, unit="USD"),
            ),
            notifications_with_subscribers=[
                budgets.CfnBudget.NotificationWithSubscribersProperty(
                    notification=budgets.CfnBudget.NotificationProperty(
                        notification_type=notification_type,
                        comparison_operator="GREATER_THAN",
                        threshold=threshold,
                        threshold_type="PERCENTAGE",
                    ),
                    subscribers=subscribers,
                )
                for notification_type, threshold in (("ACTUAL", 80), ("FORECASTED", 100))
            ],
        )
