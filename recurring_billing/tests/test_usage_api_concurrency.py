# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Two calls of the usage API at once, with references in common, on two
database connections: each reference is stored once, and each call says
which of its records it stored and which were known."""

import threading
from contextlib import closing

from freezegun import freeze_time

from odoo import SUPERUSER_ID, Command, api
from odoo.service.model import PG_CONCURRENCY_EXCEPTIONS_TO_RETRY
from odoo.sql_db import db_connect
from odoo.tests import TransactionCase, tagged
from odoo.tools import mute_logger


@tagged("post_install", "-at_install")
class TestUsageApiConcurrency(TransactionCase):
    def setUp(self):
        super().setUp()
        with self._cursor() as cr:
            env = self._env(cr)
            company = env.user.company_id
            plan = env["recurring.plan"].create(
                {"name": "Usage API monthly", "billing_period_value": 1}
            )
            metered = env["product.product"].create(
                {
                    "name": "Usage API calls",
                    "type": "service",
                    "list_price": 0.01,
                    "recurring_invoice": True,
                    "recurring_usage": True,
                    "invoice_policy": "order",
                }
            )
            partner = env["res.partner"].create({"name": "Usage API customer"})
            order = env["sale.order"].create(
                {
                    "partner_id": partner.id,
                    "company_id": company.id,
                    "recurring_plan_id": plan.id,
                    "subscription_start_date": "2025-01-01",
                    "order_line": [Command.create({"product_id": metered.id})],
                }
            )
            with freeze_time("2025-01-01"):
                order.action_confirm()
            self.ids = {
                "plan": plan.id,
                "template": metered.product_tmpl_id.id,
                "partner": partner.id,
                "order": order.id,
                "name": order.name,
            }
            cr.commit()  # pylint: disable=invalid-commit
        self.addCleanup(self._remove_committed_data)

    def _cursor(self):
        return closing(db_connect(self.env.cr.dbname).cursor())

    def _env(self, cr):
        return api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True})

    def _remove_committed_data(self):
        with self._cursor() as cr:
            env = self._env(cr)
            env["recurring.usage"].search(
                [("subscription_id", "=", self.ids["order"])]
            ).unlink()
            order = env["sale.order"].browse(self.ids["order"])
            order._action_cancel()
            order.unlink()
            env["product.template"].browse(self.ids["template"]).unlink()
            env["recurring.plan"].browse(self.ids["plan"]).unlink()
            env["res.partner"].browse(self.ids["partner"]).unlink()
            cr.commit()  # pylint: disable=invalid-commit

    def _records(self, numbers):
        return [
            {
                "reference": f"conc-{number}",
                "subscription": self.ids["name"],
                "quantity": 10 + number,
                "timestamp": "2025-01-15T09:00:00Z",
            }
            for number in numbers
        ]

    @mute_logger("odoo.sql_db")  # B's expected serialization failure
    def test_two_calls_with_overlapping_references(self):
        answers = {}
        # B's environment is made here: Odoo's test runner holds the registry
        # lock that a new environment takes in another thread.
        cr_b = db_connect(self.env.cr.dbname).cursor()
        env_b = self._env(cr_b)

        def call_b():
            # As Odoo serves a request: run again after a serialization
            # failure, answer once committed.
            with closing(cr_b):
                for _try in range(5):
                    try:
                        answer = env_b["recurring.usage.ingest"]._ingest(
                            self._records(range(3, 9))
                        )
                        cr_b.commit()  # pylint: disable=invalid-commit
                        answers["b"] = answer
                        return
                    except PG_CONCURRENCY_EXCEPTIONS_TO_RETRY:
                        cr_b.rollback()
                        answers["b_retries"] = answers.get("b_retries", 0) + 1

        with self._cursor() as cr_a:
            answers["a"] = self._env(cr_a)["recurring.usage.ingest"]._ingest(
                self._records(range(6))
            )
            thread = threading.Thread(target=call_b)
            thread.start()
            thread.join(2)
            self.assertTrue(thread.is_alive(), "B did not wait for A")
            cr_a.commit()  # pylint: disable=invalid-commit
        thread.join(60)
        self.assertFalse(thread.is_alive())
        self.assertEqual(
            answers["a"],
            {"created": [f"conc-{n}" for n in range(6)], "known": [], "errors": []},
        )
        self.assertEqual(
            answers["b"],
            {
                "created": ["conc-6", "conc-7", "conc-8"],
                "known": ["conc-3", "conc-4", "conc-5"],
                "errors": [],
            },
        )
        self.assertEqual(answers["b_retries"], 1)
        with self._cursor() as cr:
            cr.execute(
                "SELECT reference, count(*), sum(quantity) FROM recurring_usage "
                "WHERE subscription_id = %s GROUP BY reference ORDER BY reference",
                [self.ids["order"]],
            )
            rows = cr.fetchall()
        self.assertEqual(rows, [(f"conc-{n}", 1, 10.0 + n) for n in range(9)])
