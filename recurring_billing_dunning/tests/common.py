# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from datetime import date

from odoo import Command

from odoo.addons.account.tests.common import AccountTestInvoicingCommon


class RecurringDunningCommon(AccountTestInvoicingCommon):
    """A running subscription of partner_a and the three usual dunning levels
    for the test company."""

    @classmethod
    def get_default_groups(cls):
        return super().get_default_groups() | cls.env.ref(
            "sales_team.group_sale_salesman"
        )

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.due_date = date(2026, 3, 2)
        cls.product_a.recurring_invoice = True
        cls.plan_monthly = cls.env.ref("recurring_billing.plan_monthly")
        cls.subscription = cls._create_subscription(cls.partner_a)
        cls.levels = cls._create_levels(cls.env.company)
        cls.level_reminder, cls.level_retry, cls.level_suspend = cls.levels

    @classmethod
    def _create_subscription(cls, partner, company=None):
        company = company or cls.env.company
        subscription = (
            cls.env["sale.order"]
            .with_company(company)
            .create(
                {
                    "partner_id": partner.id,
                    "company_id": company.id,
                    "recurring_plan_id": cls.plan_monthly.id,
                    "order_line": [Command.create({"product_id": cls.product_a.id})],
                }
            )
        )
        subscription.action_confirm()
        return subscription

    @classmethod
    def _create_levels(cls, company):
        return cls.env["recurring.dunning.level"].create(
            [
                {
                    "name": name,
                    "sequence": sequence,
                    "company_id": company.id,
                    "delay_days": delay,
                    "action": action,
                }
                for name, sequence, delay, action in (
                    ("Reminder", 10, 3, "reminder"),
                    ("Retry", 20, 10, "retry"),
                    ("Suspend", 30, 20, "suspend"),
                )
            ]
        )

    @classmethod
    def _create_subscription_invoice(cls, subscription=None, due_date=None, post=True):
        """A posted invoice of ``subscription`` due on ``due_date`` (immediate
        payment term, so due on its invoice date)."""
        subscription = subscription or cls.subscription
        invoice = cls.init_invoice(
            "out_invoice",
            partner=subscription.partner_id,
            invoice_date=due_date or cls.due_date,
            amounts=[100.0],
            company=subscription.company_id,
        )
        invoice.subscription_id = subscription
        if post:
            invoice.action_post()
        return invoice
