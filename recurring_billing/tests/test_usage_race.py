# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Usage recorded while the job bills its subscription, on two real
connections: billed exactly once, never lost."""

from datetime import date

from freezegun import freeze_time
from psycopg2 import errors as pg_errors

from odoo import Command
from odoo.exceptions import ValidationError
from odoo.sql_db import db_connect
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common_workers import SeparateWorkersCase

START = "2025-01-01"
DUE = "2025-02-01"


@tagged("post_install", "-at_install")
class TestUsageRace(SeparateWorkersCase):
    def setUp(self):
        super().setUp()
        self.addCleanup(self._remove_committed_data)
        with self._worker() as env:
            plan = env["recurring.plan"].create(
                {"name": "Race monthly", "billing_period_value": 1}
            )
            flat = env["product.product"].create(
                {
                    "name": "Race hosting",
                    "type": "service",
                    "list_price": 10.0,
                    "recurring_invoice": True,
                    "invoice_policy": "order",
                }
            )
            metered = env["product.product"].create(
                {
                    "name": "Race API calls",
                    "type": "service",
                    "list_price": 0.5,
                    "recurring_invoice": True,
                    "recurring_usage": True,
                    "invoice_policy": "order",
                }
            )
            template = env["sale.order.template"].create(
                {
                    "name": "Race postpaid",
                    "plan_id": plan.id,
                    "invoicing_mode": "postpaid",
                    "auto_post": False,
                }
            )
            partner = env["res.partner"].create({"name": "Race customer"})
            order = env["sale.order"].create(
                {
                    "partner_id": partner.id,
                    "company_id": self.company_id,
                    "sale_order_template_id": template.id,
                    "subscription_start_date": START,
                    "order_line": [
                        Command.create({"product_id": flat.id}),
                        Command.create({"product_id": metered.id}),
                    ],
                }
            )
            with freeze_time(START):
                order.action_confirm()
            self.assertEqual(order.next_invoice_date, date(2025, 2, 1))
            self.records = {
                "plan": plan.id,
                "product": flat.id,
                "metered": metered.id,
                "template": template.id,
                "partner": partner.id,
            }
            self.sub_ids = order.ids
        self._restrict_job_to_test_subscriptions()

    def _remove_committed_records(self, env):
        # The retry a stale job asks of the cron, in the frozen year.
        env["ir.cron.trigger"].search(
            [
                (
                    "cron_id",
                    "=",
                    env.ref("recurring_billing.ir_cron_recurring_invoice").id,
                ),
                ("call_at", ">=", "2025-01-01"),
                ("call_at", "<", "2026-01-01"),
            ]
        ).unlink()
        env["account.move"].search(
            [("subscription_id", "in", self.sub_ids)]
        ).with_context(force_delete=True).unlink()
        env["recurring.usage"].search(
            [("subscription_id", "in", self.sub_ids)]
        ).unlink()
        if self.records:
            metered = env["product.product"].browse(self.records["metered"])
            super()._remove_committed_records(env)
            metered.product_tmpl_id.unlink()

    def _usage_vals(self, day, quantity):
        return {
            "subscription_id": self.sub_ids[0],
            "product_id": self.records["metered"],
            "date": day,
            "quantity": quantity,
        }

    def _run(self, env):
        with freeze_time(DUE):
            return env["recurring.invoicing"]._cron_recurring_invoice()

    def _assert_billed_once(self, quantity):
        """One invoice for January: 10.00 flat + ``quantity`` x 0.50, the
        usage of January linked to it, nothing left unbilled."""
        with self._worker(commit=False) as env:
            moves = env["account.move"].search(
                [("subscription_id", "in", self.sub_ids)]
            )
            self.assertEqual(len(moves), 1)
            self.assertEqual(
                (moves.subscription_period_start, moves.subscription_period_end),
                (date(2025, 1, 1), date(2025, 1, 31)),
            )
            self.assertEqual(moves.amount_untaxed, 10.0 + quantity * 0.5)
            usage = env["recurring.usage"].search(
                [("subscription_id", "in", self.sub_ids)]
            )
            self.assertEqual(usage.move_id, moves)
            self.assertEqual(
                env["sale.order"].browse(self.sub_ids).usage_billed_until,
                date(2025, 2, 1),
            )

    @mute_logger("odoo.sql_db")
    def test_usage_committed_after_the_job_began_is_billed(self):
        """The job's snapshot is taken, then usage of January is committed,
        then the job bills January: the database stops the job, whose next
        run bills the usage."""
        cr_job = db_connect(self.env.cr.dbname).cursor()
        try:
            env_job = self._env(cr_job)
            with freeze_time(DUE):
                SaleOrder = env_job["sale.order"]
                self.assertEqual(
                    SaleOrder.search_count(
                        SaleOrder._get_subscriptions_to_invoice_domain()
                    ),
                    1,
                )  # the job's snapshot is taken here
            with self._worker() as env:
                env["recurring.usage"].create(self._usage_vals("2025-01-20", 100.0))
            self.assertFalse(self._run(env_job), "a stale job bills nothing")
            cr_job.commit()  # pylint: disable=invalid-commit
            # The next run of the cron, in a new transaction.
            self.assertEqual(len(self._run(env_job)), 1)
            cr_job.commit()  # pylint: disable=invalid-commit
        finally:
            cr_job.close()
        self._assert_billed_once(100.0)

    @mute_logger("odoo.sql_db")
    def test_usage_recorded_while_the_job_bills_waits_for_it(self):
        """The job holds the subscription (not committed yet) when usage of
        January comes: the usage waits for the job; once the job commits,
        the same usage sent again is refused with a clear message, never
        stored unbilled in a billed period."""
        cr_job = db_connect(self.env.cr.dbname).cursor()
        try:
            with self._worker() as env:
                env["recurring.usage"].create(self._usage_vals("2025-01-10", 40.0))
            env_job = self._env(cr_job)
            self.assertEqual(len(self._run(env_job)), 1)  # held, not committed
            with self._worker(commit=False) as env:
                env.cr.execute("SET LOCAL lock_timeout = '300ms'")
                with self.assertRaises(pg_errors.LockNotAvailable):
                    env["recurring.usage"].create(self._usage_vals("2025-01-20", 100.0))
            cr_job.commit()  # pylint: disable=invalid-commit
        finally:
            cr_job.close()
        with self._worker(commit=False) as env:
            with self.assertRaisesRegex(
                ValidationError, "falls in a period .* that is already invoiced"
            ):
                env["recurring.usage"].create(self._usage_vals("2025-01-20", 100.0))
            # February's usage is recorded, for February's invoice.
            february = env["recurring.usage"].create(
                self._usage_vals("2025-02-01", 7.0)
            )
            self.assertFalse(february.move_id)
        self._assert_billed_once(40.0)
