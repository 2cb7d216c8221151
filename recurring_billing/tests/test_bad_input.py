# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Bad input gets a clear message, never a silent wrong bill nor a raw
database error, including when two transactions send it at once."""

import threading
from contextlib import closing, contextmanager

from freezegun import freeze_time
from psycopg2 import IntegrityError

from odoo import SUPERUSER_ID, Command, api
from odoo.exceptions import UserError, ValidationError
from odoo.service.model import (
    PG_CONCURRENCY_EXCEPTIONS_TO_RETRY,
    _as_validation_error,
)
from odoo.sql_db import db_connect
from odoo.tests import TransactionCase, tagged

from .common import RecurringBillingCommon


@tagged("post_install", "-at_install")
class TestBadInput(RecurringBillingCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.salesman = cls._create_role_user(
            "salesman", "rb_bad_input_salesman", email="vendeur@nuage-libre.example"
        )
        cls.sales_admin = cls._create_role_user(
            "sales_admin",
            "rb_bad_input_sales_admin",
            email="ventes@nuage-libre.example",
        )
        cls.tiered = cls._create_product(
            name="Seats (tiered)",
            type="service",
            lst_price=0.0,
            recurring_invoice=True,
            recurring_pricing_model="tiered",
            recurring_tier_ids=[
                Command.create({"up_to": 10, "unit_price": 2.0}),
                Command.create({"up_to": 0, "unit_price": 1.0}),
            ],
            invoice_policy="order",
        )

    @contextmanager
    def assertRefused(self, exception, regex):
        """``assertRaises`` (its savepoint rolls the refused change back),
        with the message checked."""
        with self.assertRaises(exception) as refused:
            yield
        self.assertRegex(str(refused.exception), regex)

    # ------------------------------------------------------------------
    # Tiers
    # ------------------------------------------------------------------

    def test_the_open_tier_cannot_be_deleted(self):
        sub = self._create_subscription("2025-01-01", lines=[(self.tiered, 15)])
        tiers = self.tiered.recurring_tier_ids.sorted("up_to_sort")
        open_tier = tiers[-1]
        for user in (self.sales_admin, self.env.user):
            with self.assertRefused(UserError, "open tier .* cannot be deleted"):
                open_tier.with_user(user).unlink()
        with self.assertRefused(UserError, "last tier cannot be deleted"):
            tiers.unlink()
        self.assertEqual(self.tiered.recurring_tier_ids, tiers)
        # 10 x 2.00 + 5 x 1.00, not 20.00.
        move = self._run_engine("2025-01-01")
        self.assertEqual(move.amount_untaxed, 25.0)
        self.assertEqual(sub.recurring_amount_untaxed, 25.0)

    def test_tiers_replaced_in_one_save_are_checked_together(self):
        tiers = self.tiered.recurring_tier_ids.sorted("up_to_sort")
        # A new open tier in place of the old one, in one save of the product.
        self.tiered.with_user(self.sales_admin).write(
            {
                "recurring_tier_ids": [
                    Command.delete(tiers[-1].id),
                    Command.create({"up_to": 0, "unit_price": 0.5}),
                ]
            }
        )
        sub = self._create_subscription("2025-01-01", lines=[(self.tiered, 15)])
        self.assertEqual(sub.recurring_amount_untaxed, 22.5)
        # Without an open tier, the product refuses the save.
        with self.assertRefused(ValidationError, "must be open-ended"):
            self.tiered.write(
                {
                    "recurring_tier_ids": [
                        Command.delete(self.tiered.recurring_tier_ids[-1].id)
                    ]
                }
            )
        # A bounded tier goes; the open one stays.
        self.tiered.recurring_tier_ids.sorted("up_to_sort")[0].unlink()
        self.assertEqual(self.tiered.recurring_tier_ids.mapped("up_to"), [0.0])

    # ------------------------------------------------------------------
    # Negative quantities
    # ------------------------------------------------------------------

    def test_negative_quantity_is_refused(self):
        SaleOrder = self.env["sale.order"].with_user(self.salesman)
        with self.assertRefused(ValidationError, "cannot be negative"):
            SaleOrder.create(
                {
                    "partner_id": self.customer.id,
                    "sale_order_template_id": self.template_monthly.id,
                    "order_line": [
                        Command.create({"product_id": self.product_cloud.id}),
                        Command.create(
                            {"product_id": self.product_seat.id, "product_uom_qty": -3}
                        ),
                    ],
                }
            )
        sub = self._create_subscription("2025-01-01", user_id=self.salesman.id)
        seat = sub.order_line.filtered(
            lambda line: line.product_id == self.product_seat
        )
        with self.assertRefused(ValidationError, "User seat .* cannot be negative"):
            seat.with_user(self.salesman).product_uom_qty = -1
        self.assertEqual(seat.product_uom_qty, 3)
        self.assertEqual(self._run_engine("2025-01-01").amount_untaxed, 66.0)

    def test_negative_quantity_is_refused_at_confirmation(self):
        """Lines typed before the order had a plan are checked when it is
        confirmed as a subscription."""
        order = self.env["sale.order"].create(
            {
                "partner_id": self.customer.id,
                "order_line": [
                    Command.create({"product_id": self.product_cloud.id}),
                    Command.create(
                        {"product_id": self.product_seat.id, "product_uom_qty": -3}
                    ),
                ],
            }
        )
        order.recurring_plan_id = self.plan_monthly
        self.assertTrue(order.is_subscription)
        with self.assertRefused(ValidationError, "cannot be negative"):
            order.action_confirm()
        self.assertEqual(order.state, "draft")
        # A negative one-off line (a refund of a fee) is none of this.
        order.order_line.filtered(
            lambda line: line.product_id == self.product_seat
        ).product_uom_qty = 3
        order.order_line = [
            Command.create({"product_id": self.product_setup.id, "product_uom_qty": -1})
        ]
        with freeze_time("2025-01-01"):
            order.action_confirm()
        self.assertEqual(order.subscription_state, "active")

    # ------------------------------------------------------------------
    # Duplicates
    # ------------------------------------------------------------------

    def test_two_prices_for_one_product_and_plan(self):
        template = self.product_cloud.product_tmpl_id
        with self.assertRefused(ValidationError, "already has a price on this plan"):
            template.with_user(self.sales_admin).write(
                {
                    "recurring_price_ids": [
                        Command.create({"plan_id": self.plan_yearly.id, "price": 300}),
                        Command.create({"plan_id": self.plan_yearly.id, "price": 280}),
                    ]
                }
            )
        self.assertFalse(template.recurring_price_ids)
        price = self.env["recurring.product.price"].create(
            {
                "product_tmpl_id": template.id,
                "plan_id": self.plan_yearly.id,
                "price": 300,
            }
        )
        other = self.env["recurring.product.price"].create(
            {
                "product_tmpl_id": template.id,
                "plan_id": self.plan_quarterly.id,
                "price": 85,
            }
        )
        with self.assertRefused(ValidationError, "already has a price on this plan"):
            other.plan_id = self.plan_yearly
        self.assertEqual(template.recurring_price_ids, price | other)
        self.assertEqual(other.plan_id, self.plan_quarterly)

    # ------------------------------------------------------------------
    # Mail sender
    # ------------------------------------------------------------------

    def test_salesman_without_email_confirms_a_subscription(self):
        salesman = self._create_role_user("salesman", "rb_salesman_no_email")
        salesman.partner_id.email = False
        self.assertFalse(salesman.email)
        order = (
            self.env["sale.order"]
            .with_user(salesman)
            .create(
                {
                    "partner_id": self.customer.id,
                    "sale_order_template_id": self.template_monthly.id,
                    "subscription_start_date": "2025-01-01",
                }
            )
        )
        order._onchange_sale_order_template_id()
        with freeze_time("2025-01-01"):
            order.action_confirm()
        self.assertEqual(order.subscription_state, "active")
        welcome = order.message_ids.filtered(
            lambda message: "welcome" in (message.subject or "")
        )
        self.assertEqual(len(welcome), 1)
        self.assertEqual(welcome.author_id, self.company.partner_id)
        self.assertIn("facturation@nuage-libre.example", welcome.email_from)
        self.assertEqual(welcome.partner_ids, self.customer)
        # Neither the salesman nor the company has an address: the
        # subscription still starts, and says why no email went out.
        self.company.partner_id.email = False
        other = order.copy({"subscription_start_date": "2025-02-01"})
        with freeze_time("2025-02-01"):
            other.with_user(salesman).action_confirm()
        self.assertEqual(other.subscription_state, "active")
        self.assertIn(
            "was not sent: neither the user nor the company has an email address",
            other.message_ids[:1].body,
        )


@tagged("post_install", "-at_install")
class TestConcurrentDuplicates(TransactionCase):
    """The same price or usage reference sent by two transactions at once:
    one is stored, the other gets the clear message."""

    def setUp(self):
        super().setUp()
        company = self.env["res.company"].search(
            [("chart_template", "!=", False)], limit=1
        )
        if not company:
            self.skipTest("The database has no company with a chart of accounts.")
        self.company_id = company.id
        with self._cursor() as cr:
            env = self._env(cr)
            plan = env["recurring.plan"].create(
                {"name": "Duplicates yearly", "billing_period_value": 12}
            )
            metered = env["product.product"].create(
                {
                    "name": "Duplicates API calls",
                    "type": "service",
                    "list_price": 0.01,
                    "recurring_invoice": True,
                    "recurring_usage": True,
                    "invoice_policy": "order",
                }
            )
            partner = env["res.partner"].create({"name": "Duplicates customer"})
            order = env["sale.order"].create(
                {
                    "partner_id": partner.id,
                    "company_id": self.company_id,
                    "recurring_plan_id": plan.id,
                    "subscription_start_date": "2025-01-01",
                    "order_line": [Command.create({"product_id": metered.id})],
                }
            )
            with freeze_time("2025-01-01"):
                order.action_confirm()
            self.ids = {
                "plan": plan.id,
                "product": metered.id,
                "template": metered.product_tmpl_id.id,
                "partner": partner.id,
                "order": order.id,
            }
            cr.commit()  # pylint: disable=invalid-commit
        self.addCleanup(self._remove_committed_data)

    def _cursor(self):
        return closing(db_connect(self.env.cr.dbname).cursor())

    def _env(self, cr):
        return api.Environment(
            cr,
            SUPERUSER_ID,
            {"allowed_company_ids": [self.company_id], "tracking_disable": True},
        )

    def _remove_committed_data(self):
        with self._cursor() as cr:
            env = self._env(cr)
            env["recurring.usage"].search(
                [("subscription_id", "=", self.ids["order"])]
            ).unlink()
            env["recurring.product.price"].search(
                [("product_tmpl_id", "=", self.ids["template"])]
            ).unlink()
            order = env["sale.order"].browse(self.ids["order"])
            order._action_cancel()
            order.unlink()
            env["product.template"].browse(self.ids["template"]).unlink()
            env["recurring.plan"].browse(self.ids["plan"]).unlink()
            env["res.partner"].browse(self.ids["partner"]).unlink()
            cr.commit()  # pylint: disable=invalid-commit

    def _at_once(self, model, vals):
        """Create ``vals`` in transaction A (held open), and in transaction B
        from another thread meanwhile; A commits, then B ends. B runs as Odoo
        runs a request: again after a serialization failure.

        :return: B's error, and the count of records matching ``vals`` stored
        """
        outcome = {}
        # B's environment is made here: Odoo's test runner holds the registry
        # lock that a new environment takes in another thread.
        cr_b = db_connect(self.env.cr.dbname).cursor()
        env_b = self._env(cr_b)

        def create_as_a_request():
            # What Odoo's retrying() does for a request, but for reloading the
            # registry: Odoo's test runner holds the registry lock that a new
            # registry takes in another thread.
            for _try in range(5):
                try:
                    env_b[model].create(vals)
                    env_b.flush_all()
                    return
                except PG_CONCURRENCY_EXCEPTIONS_TO_RETRY:
                    cr_b.rollback()
                except IntegrityError as error:
                    cr_b.rollback()
                    raise _as_validation_error(env_b, error) from error
            raise AssertionError("B never got past the serialization failures")

        def transaction_b():
            with closing(cr_b):
                try:
                    create_as_a_request()
                    cr_b.commit()  # pylint: disable=invalid-commit
                except Exception as error:  # noqa: BLE001 - checked by the test
                    outcome["error"] = error
                    cr_b.rollback()

        with self._cursor() as cr_a:
            with freeze_time("2025-01-15"):
                self._env(cr_a)[model].create(vals)
            thread = threading.Thread(target=transaction_b)
            thread.start()
            thread.join(2)  # B waits for A on the unique index
            self.assertTrue(thread.is_alive(), "B did not wait for A")
            cr_a.commit()  # pylint: disable=invalid-commit
        thread.join(60)
        self.assertFalse(thread.is_alive())
        with self._cursor() as cr:
            count = self._env(cr)[model].search_count(
                [(name, "=", value) for name, value in vals.items()]
            )
        return outcome.get("error"), count

    def test_same_usage_reference_at_once(self):
        error, count = self._at_once(
            "recurring.usage",
            {
                "subscription_id": self.ids["order"],
                "product_id": self.ids["product"],
                "date": "2025-01-10",
                "quantity": 120.0,
                "reference": "evt-42",
            },
        )
        self.assertIsInstance(error, ValidationError)
        self.assertIn("Usage reference evt-42 is already recorded", str(error))
        self.assertEqual(count, 1)

    def test_same_price_at_once(self):
        error, count = self._at_once(
            "recurring.product.price",
            {
                "product_tmpl_id": self.ids["template"],
                "plan_id": self.ids["plan"],
                "price": 99.0,
            },
        )
        self.assertIsInstance(error, ValidationError)
        self.assertIn("already has a price on this plan", str(error))
        self.assertEqual(count, 1)
