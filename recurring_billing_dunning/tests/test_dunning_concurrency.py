# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Two dunning workers on real concurrent transactions of the real database:
each step (its email) fires once per invoice. The data is committed through
independent connections and removed at the end of each test."""

from contextlib import closing

from freezegun import freeze_time
from psycopg2 import errors as pg_errors

from odoo import SUPERUSER_ID, Command, api
from odoo.sql_db import db_connect
from odoo.tests import tagged
from odoo.tools import mute_logger

from odoo.addons.recurring_billing.tests.common_workers import SeparateWorkersCase

DUE = "2025-03-01"
TODAY = "2025-03-04"


@tagged("post_install", "-at_install")
class TestDunningConcurrency(SeparateWorkersCase):
    def setUp(self):
        super().setUp()
        orders = self._create_committed_subscriptions(
            "Dunning concurrency", 3, DUE, DUE, partner_email="c@example.com"
        )
        with self._worker() as env:
            orders = orders.with_env(env)
            product = env["product.product"].browse(self.records["product"])
            invoices = env["account.move"].create(
                [
                    {
                        "move_type": "out_invoice",
                        "partner_id": orders.partner_id.id,
                        "company_id": self.company_id,
                        "invoice_date": DUE,
                        "invoice_date_due": DUE,
                        "subscription_id": order.id,
                        "invoice_line_ids": [
                            Command.create(
                                {"product_id": product.id, "price_unit": 10.0}
                            )
                        ],
                    }
                    for order in orders
                ]
            )
            invoices.action_post()
            policy = env["recurring.dunning.policy"].create(
                {
                    "name": "Dunning concurrency",
                    "company_id": self.company_id,
                    "payment_mode": "manual",
                    "sequence": 0,
                    "partner_ids": [Command.set(orders.partner_id.ids)],
                    "step_ids": [
                        Command.create(
                            {
                                "name": "Reminder",
                                "delay_days": 3,
                                "action": "email",
                                "mail_template_id": env.ref(
                                    "recurring_billing_dunning."
                                    "mail_template_dunning_friendly"
                                ).id,
                            }
                        ),
                        Command.create(
                            {
                                "name": "Second",
                                "sequence": 20,
                                "delay_days": 10,
                                "action": "email",
                            }
                        ),
                    ],
                }
            )
            self.records.update(invoices=invoices.ids, policy=policy.id)

    def _remove_committed_records(self, env):
        if not self.records:
            return
        invoices = env["account.move"].browse(self.records.get("invoices", []))
        env["mail.mail"].search(
            [("model", "=", "account.move"), ("res_id", "in", invoices.ids)]
        ).unlink()
        env["mail.message"].search(
            [("model", "=", "account.move"), ("res_id", "in", invoices.ids)]
        ).unlink()
        invoices.button_draft()
        invoices.with_context(force_delete=True).unlink()
        env["recurring.dunning.policy"].browse(self.records.get("policy")).unlink()
        super()._remove_committed_records(env)

    def _env(self, cr):
        return api.Environment(
            cr, SUPERUSER_ID, {"allowed_company_ids": [self.company_id]}
        )

    def _run(self, env):
        with freeze_time(TODAY):
            return env["recurring.dunning.run"]._cron_dunning(batch_size=100)

    def _committed_counts(self):
        with self._worker(commit=False) as env:
            invoices = env["account.move"].browse(self.records["invoices"])
            history = env["recurring.dunning.history"].search(
                [("move_id", "in", invoices.ids)]
            )
            mails = env["mail.message"].search(
                [
                    ("model", "=", "account.move"),
                    ("res_id", "in", invoices.ids),
                    ("subject", "ilike", "payment reminder"),
                ]
            )
            # One customer: its three invoices share one letter.
            return len(history), len(mails)

    def test_two_workers_at_once_send_each_email_once(self):
        with (
            closing(db_connect(self.env.cr.dbname).cursor()) as cr_a,
            closing(db_connect(self.env.cr.dbname).cursor()) as cr_b,
        ):
            # Put the invoices in dunning first (both workers start them at once).
            self.assertEqual(self._run(self._env(cr_a)), 6)  # 3 started, 3 reminded
            self.assertEqual(self._run(self._env(cr_b)), 0)  # all locked by A
            cr_b.commit()
            cr_a.commit()
            # A rerun on either worker does nothing.
            self.assertEqual(self._run(self._env(cr_b)), 0)
            self.assertEqual(self._run(self._env(cr_a)), 0)
            cr_a.commit()
            cr_b.commit()
        self.assertEqual(self._committed_counts(), (3, 1))

    def test_stale_worker_is_refused_by_the_database(self):
        with (
            closing(db_connect(self.env.cr.dbname).cursor()) as cr_a,
            closing(db_connect(self.env.cr.dbname).cursor()) as cr_b,
        ):
            env_b = self._env(cr_b)
            # B's snapshot predates A's commit.
            self.assertEqual(
                len(env_b["account.move"].browse(self.records["invoices"]).exists()),
                3,
            )
            self.assertEqual(self._run(self._env(cr_a)), 6)
            cr_a.commit()
            with (
                self.assertRaises(pg_errors.TransactionRollbackError),
                mute_logger("odoo.sql_db"),
            ):
                self._run(env_b)
            cr_b.rollback()
            self.assertEqual(self._run(self._env(cr_b)), 0)
            cr_b.commit()
        self.assertEqual(self._committed_counts(), (3, 1))

    def test_crash_mid_run_leaves_nothing_half_done(self):
        with closing(db_connect(self.env.cr.dbname).cursor()) as cr_a:
            self.assertEqual(self._run(self._env(cr_a)), 6)
            cr_a.rollback()  # the worker died before committing
        self.assertEqual(self._committed_counts(), (0, 0))
        with closing(db_connect(self.env.cr.dbname).cursor()) as cr_b:
            self.assertEqual(self._run(self._env(cr_b)), 6)
            cr_b.commit()
            self.assertEqual(self._run(self._env(cr_b)), 0)
            cr_b.commit()
        self.assertEqual(self._committed_counts(), (3, 1))

    def test_history_of_a_step_is_unique_in_the_database(self):
        with closing(db_connect(self.env.cr.dbname).cursor()) as cr_a:
            self._run(self._env(cr_a))
            cr_a.commit()
        with closing(db_connect(self.env.cr.dbname).cursor()) as cr_b:
            env_b = self._env(cr_b)
            invoice = env_b["account.move"].browse(self.records["invoices"][0])
            history = invoice.dunning_history_ids
            self.assertEqual(len(history), 1)
            # A worker that would take the step again inserts nothing...
            self.assertFalse(
                invoice._dunning_insert_history(history.step_id, history.date)
            )
            # ... and the constraint refuses a second line whatever writes it.
            with (
                self.assertRaises(pg_errors.UniqueViolation),
                mute_logger("odoo.sql_db"),
            ):
                env_b["recurring.dunning.history"].create(
                    {
                        "move_id": invoice.id,
                        "step_id": history.step_id.id,
                        "date": history.date,
                        "outcome": "done",
                    }
                )
            cr_b.rollback()
