# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The main flows as the users who run them, none of them an administrator."""

from datetime import date

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import tagged

from .common import RecurringBillingCommon


@tagged("post_install", "-at_install")
class TestRoles(RecurringBillingCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.salesman = cls._create_role_user(
            "salesman", "rb_salesman", email="salesman@nuage-libre.example"
        )
        cls.sales_admin = cls._create_role_user(
            "sales_admin", "rb_sales_admin", email="ventes@nuage-libre.example"
        )
        cls.billing_user = cls._create_role_user(
            "billing", "rb_billing", email="facturation@nuage-libre.example"
        )
        cls.accountant = cls._create_role_user(
            "accountant", "rb_accountant", email="comptable@nuage-libre.example"
        )
        cls.portal_user = cls._create_role_user(
            "portal", "rb_portal", partner_id=cls.customer.id
        )
        cls.product_api = cls._create_product(
            name="API calls",
            type="service",
            lst_price=0.02,
            recurring_invoice=True,
            recurring_usage=True,
            recurring_usage_included=1000,
            invoice_policy="order",
        )

    def _salesman_subscription(self, start="2025-01-01"):
        """A quotation made from the template by the salesman, confirmed."""
        SaleOrder = self.env["sale.order"].with_user(self.salesman)
        order = SaleOrder.create(
            {
                "partner_id": self.customer.id,
                "sale_order_template_id": self.template_monthly.id,
                "subscription_start_date": start,
            }
        )
        order._onchange_sale_order_template_id()
        with freeze_time(start):
            order.action_confirm()
        return order

    def test_salesman_runs_a_subscription(self):
        sub = self._salesman_subscription()
        self.assertEqual(sub.subscription_state, "active")
        self.assertEqual(sub.user_id, self.salesman)
        self.assertEqual(sub.order_line.mapped("product_uom_qty"), [1.0, 3.0])
        self.assertEqual(sub.recurring_amount_untaxed, 66.0)
        first = self._run_engine("2025-01-01")
        self.assertEqual((first.amount_untaxed, first.amount_total), (66.0, 79.2))
        # An upgrade mid-period: the salesman may not post invoices, so the
        # prorated invoice waits in draft for someone who may.
        with freeze_time("2025-01-11"):
            change = sub.with_user(self.salesman)._subscription_change(
                {self.product_seat: 5}
            )
        self.assertEqual(change.state, "sale")
        upsell = change.with_user(self.env.user).invoice_ids
        self.assertEqual(upsell.state, "draft")
        self.assertEqual(upsell.amount_untaxed, 16.26)
        with freeze_time("2025-01-20"):
            sub.with_user(self.salesman).action_subscription_pause()
        self.assertEqual(sub.subscription_state, "paused")
        with freeze_time("2025-01-25"):
            sub.with_user(self.salesman).action_subscription_resume()
            sub.with_user(self.salesman).action_subscription_cancel_at_period_end()
        self.assertEqual(sub.subscription_state, "to_close")
        self.assertEqual(sub.subscription_end_date, date(2025, 2, 5))

    def test_salesman_cannot_close_now(self):
        """Close Now credits unused days: the button is for sales
        administrators, and so is the method, over RPC too."""
        sub = self._salesman_subscription()
        with freeze_time("2025-01-15"), self.assertRaises(AccessError):
            sub.with_user(self.salesman).action_subscription_close()
        sub.invalidate_recordset()
        self.assertEqual(sub.subscription_state, "active")
        self.assertFalse(sub.subscription_end_date)
        with freeze_time("2025-01-15"):
            sub.with_user(self.sales_admin).action_subscription_close()
        self.assertEqual(sub.subscription_state, "closed")
        self.assertEqual(sub.subscription_end_date, date(2025, 1, 15))

    def test_sales_admin_closes_a_metered_subscription(self):
        """The final usage invoice of a subscription closed by a sales
        administrator without invoicing rights is created, in draft."""
        self.assertFalse(self.sales_admin.has_group("account.group_account_invoice"))
        sub = self._create_subscription(
            "2025-03-01",
            lines=[(self.product_cloud, 1), (self.product_api, 1)],
        )
        self._run_engine("2025-03-01")
        self.env["recurring.usage"].create(
            {
                "subscription_id": sub.id,
                "product_id": self.product_api.id,
                "date": "2025-03-05",
                "quantity": 6_000,
            }
        )
        with freeze_time("2025-03-10"):
            sub.with_user(self.sales_admin).action_subscription_close()
        self.assertEqual(sub.subscription_state, "closed")
        final = sub.subscription_invoice_ids.filtered(
            lambda move: move.invoice_line_ids.product_id == self.product_api
        )
        self.assertEqual(len(final), 1)
        self.assertEqual(final.state, "draft")
        # 6,000 - 1,000 included = 5,000 x 0.02 = 100.00 + 20 % VAT.
        self.assertEqual((final.amount_untaxed, final.amount_total), (100.0, 120.0))
        self.assertIn("Created in draft", final.message_ids[0].body)

    def test_billing_user_registers_a_payment_and_sends_the_invoice(self):
        self.assertFalse(self.billing_user.has_group("sales_team.group_sale_salesman"))
        self._create_subscription("2025-01-10")
        move = self._run_engine("2025-01-10").with_user(self.billing_user)
        wizard = (
            self.env["account.move.send.wizard"]
            .with_user(self.billing_user)
            .with_context(active_model="account.move", active_ids=move.ids)
            .create({})
        )
        self.assertEqual(
            wizard.mail_template_id, self.env.ref("account.email_template_edi_invoice")
        )
        wizard.action_send_and_print()
        self.assertTrue(move.is_move_sent)
        self.env["account.payment.register"].with_user(self.billing_user).with_context(
            active_model="account.move", active_ids=move.ids
        ).create({"payment_date": "2025-01-12"})._create_payments()
        self.assertIn(move.payment_state, ("paid", "in_payment"))
        self.assertEqual(move.amount_residual, 0.0)
        subject = f"{self.company.name}: payment received for invoice {move.name}"
        message = move.sudo().message_ids.filtered(lambda m: m.subject == subject)
        self.assertEqual(len(message), 1)
        # Queued for the mail queue, not sent inside the reconciliation.
        mail = (
            self.env["mail.mail"].sudo().search([("mail_message_id", "=", message.id)])
        )
        self.assertEqual(mail.mapped("state"), ["outgoing"])

    def test_accountant_credits_a_subscription_invoice(self):
        sub = self._create_subscription("2025-01-10")
        move = self._run_engine("2025-01-10")
        reversal = (
            self.env["account.move.reversal"]
            .with_user(self.accountant)
            .with_context(active_model="account.move", active_ids=move.ids)
            .create({"journal_id": move.journal_id.id, "date": "2025-01-15"})
        )
        credit = (
            self.env["account.move"]
            .with_user(self.accountant)
            .browse(reversal.refund_moves()["res_id"])
        )
        credit.action_post()
        self.assertEqual(credit.state, "posted")
        self.assertEqual(credit.amount_total, 79.2)
        self.assertEqual(credit.reversed_entry_id, move)
        self.assertEqual(move.payment_state, "reversed")
        self.assertEqual(sub.with_user(self.accountant).subscription_state, "active")

    def test_portal_user_reads_no_plan_price_or_tier(self):
        price = self.env["recurring.product.price"].create(
            {
                "product_tmpl_id": self.product_cloud.product_tmpl_id.id,
                "plan_id": self.plan_yearly.id,
                "price": 300.0,
            }
        )
        for records in (self.plan_monthly, price):
            with self.assertRaises(AccessError):
                records.with_user(self.portal_user).read(["display_name"])
        with self.assertRaises(AccessError):
            self.env["recurring.price.tier"].with_user(self.portal_user).search([])

    def test_sales_admin_simulates_the_job(self):
        """A sales administrator without invoicing rights sees what the job
        would bill, and nothing is kept."""
        sub = self._create_subscription("2025-01-15")
        invoice_count = self.env["account.move"].search_count([])
        simulation = (
            self.env["recurring.simulation"]
            .with_user(self.sales_admin)
            .create(
                {"date_until": "2025-03-15", "subscription_ids": [Command.set(sub.ids)]}
            )
        )
        with freeze_time("2025-01-15"):
            simulation.action_simulate()
        self.assertEqual(set(simulation.line_ids.mapped("line_type")), {"invoice"})
        self.assertEqual(
            simulation.line_ids.mapped("invoice_date"),
            [date(2025, 1, 15), date(2025, 2, 15), date(2025, 3, 15)],
        )
        self.assertEqual(simulation.amount_total, 237.6)
        self.assertEqual(self.env["account.move"].search_count([]), invoice_count)
        self.assertEqual(sub.next_invoice_date, date(2025, 1, 15))
        with self.assertRaises(AccessError):
            self.env["recurring.simulation"].with_user(self.salesman).create(
                {"date_until": "2025-03-15"}
            )
