# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Tests of work done by separate Odoo workers.

Each worker is an environment on its own database connection, as two Odoo
cron threads, two servers or two ``queue_job`` jobs are: what a worker
commits is committed for real, and removed again at the end of each test.
"""

from contextlib import closing, contextmanager

from freezegun import freeze_time

from odoo import SUPERUSER_ID, Command, api
from odoo.osv import expression
from odoo.sql_db import db_connect
from odoo.tests import TransactionCase


class SeparateWorkersCase(TransactionCase):
    """Committed subscriptions billed by workers on their own connections."""

    def setUp(self):
        super().setUp()
        company = self.env["res.company"].search(
            [("chart_template", "!=", False)], limit=1
        )
        if not company:
            self.skipTest("The database has no company with a chart of accounts.")
        self.company_id = company.id
        self.sub_ids = []
        self.records = None

    def _env(self, cr):
        return api.Environment(
            cr,
            SUPERUSER_ID,
            {"allowed_company_ids": [self.company_id], "tracking_disable": True},
        )

    @contextmanager
    def _worker(self, commit=True):
        """An environment on its own connection, like a separate Odoo worker."""
        with closing(db_connect(self.env.cr.dbname).cursor()) as cr:
            yield self._env(cr)
            if commit:
                # A second connection standing for another worker: its commit
                # is the point of the test; the test's own transaction is
                # untouched.
                cr.commit()  # pylint: disable=invalid-commit
            else:
                cr.rollback()

    def _create_committed_subscriptions(
        self,
        name,
        count,
        start,
        today,
        auto_post=False,
        quantities=None,
        partner_email=False,
    ):
        """Commit ``count`` subscriptions of a monthly 10.00 product, started
        on ``start`` and confirmed on ``today``, and remove them (with what
        was billed) at the end of the test.

        :param quantities: the quantity of each subscription (1 by default)
        :param partner_email: the email address of their customer
        :return: the subscriptions, in the worker's environment (closed)
        """
        self.addCleanup(self._remove_committed_data)
        quantities = quantities or [1] * count
        with self._worker() as env:
            plan = env["recurring.plan"].create(
                {"name": f"{name} monthly", "billing_period_value": 1}
            )
            product = env["product.product"].create(
                {
                    "name": f"{name} seat",
                    "type": "service",
                    "list_price": 10.0,
                    "recurring_invoice": True,
                    "invoice_policy": "order",
                }
            )
            template = env["sale.order.template"].create(
                {"name": name, "plan_id": plan.id, "auto_post": auto_post}
            )
            partner = env["res.partner"].create(
                {"name": f"{name} customer", "email": partner_email}
            )
            self.records = {
                "plan": plan.id,
                "product": product.id,
                "template": template.id,
                "partner": partner.id,
            }
            orders = env["sale.order"].create(
                [
                    {
                        "partner_id": partner.id,
                        "company_id": self.company_id,
                        "sale_order_template_id": template.id,
                        "subscription_start_date": start,
                        "order_line": [
                            Command.create(
                                {"product_id": product.id, "product_uom_qty": qty}
                            )
                        ],
                    }
                    for qty in quantities
                ]
            )
            with freeze_time(today):
                orders.action_confirm()
            self.sub_ids = orders.ids
        return orders

    def _restrict_job_to_test_subscriptions(self):
        """The job of every worker sees only this test's subscriptions, not
        those of the demo data."""
        SaleOrder = type(self.env["sale.order"])
        domain = SaleOrder._get_subscriptions_to_invoice_domain
        sub_ids = self.sub_ids
        self.patch(
            SaleOrder,
            "_get_subscriptions_to_invoice_domain",
            lambda model: expression.AND([domain(model), [("id", "in", sub_ids)]]),
        )

    def _remove_committed_data(self):
        with self._worker() as env:
            self._remove_committed_records(env)

    def _remove_committed_records(self, env):
        """Remove the test's invoices, subscriptions and their set-up."""
        moves = env["account.move"].search(
            [("subscription_id", "in", self.sub_ids)], order="id desc"
        )
        moves.filtered(lambda move: move.state == "posted").button_draft()
        moves.with_context(force_delete=True).unlink()
        orders = env["sale.order"].browse(self.sub_ids).exists()
        orders._action_cancel()
        orders.unlink()
        if not self.records:
            return
        env["sale.order.template"].browse(self.records["template"]).unlink()
        env["recurring.plan"].browse(self.records["plan"]).unlink()
        product = env["product.product"].browse(self.records["product"])
        product.product_tmpl_id.unlink()
        env["res.partner"].browse(self.records["partner"]).unlink()
