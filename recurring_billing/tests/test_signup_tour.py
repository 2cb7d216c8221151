# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Subscribing online in a real browser (Chromium), with Odoo's demo
payment provider."""

from datetime import timedelta

from odoo import Command
from odoo.tests import tagged

from .common_signup import RecurringSignupCommon


@tagged("post_install", "-at_install")
class TestSignupTours(RecurringSignupCommon):
    def test_company_subscribes(self):
        self.start_tour("/subscribe/cloud-monthly", "recurring_signup_company")
        signup = self.env["recurring.signup"].search([])
        self.assertEqual(signup.state, "done")
        order = signup.order_id
        commercial = order.partner_id.commercial_partner_id
        self.assertEqual(
            (commercial.name, commercial.siret, commercial.is_company),
            ("Atelier Morel", "73282932000017", True),
        )
        self.assertEqual(order.subscription_state, "active")
        self.assertEqual(order.amount_total, 85.2)
        self.assertTrue(order.payment_token_id)
        invoice = order.subscription_invoice_ids
        self.assertEqual(invoice.amount_total, 85.2)
        self.assertIn(invoice.payment_state, ("paid", "in_payment"))
        self.assertFalse(order.withdrawal_deadline)

    def test_consumer_subscribes_with_trial(self):
        self.start_tour("/subscribe/cloud-trial", "recurring_signup_consumer_trial")
        signup = self.env["recurring.signup"].search([])
        order = signup.order_id
        today = self.company._get_today()
        self.assertEqual(order.partner_id.name, "Paul Girard")
        self.assertFalse(order.partner_id.is_company)
        self.assertEqual(order.subscription_state, "trial")
        self.assertEqual(order.trial_end_date, today + timedelta(days=14))
        self.assertEqual(order.withdrawal_deadline, today + timedelta(days=14))
        self.assertTrue(signup.start_request_date)
        self.assertTrue(order.payment_token_id)
        self.assertFalse(order.subscription_invoice_ids)

    def test_quotation_signed_and_paid(self):
        self.customer.email = "compta@boulangerie-martin.example"
        order = self.env["sale.order"].create(
            {
                "partner_id": self.customer.id,
                "company_id": self.company.id,
                "sale_order_template_id": self.template_online.id,
                "require_signature": True,
                "require_payment": True,
                "prepayment_percent": 1.0,
                "order_line": [
                    Command.create(
                        {"product_id": self.product_cloud.id, "product_uom_qty": 1}
                    ),
                    Command.create(
                        {"product_id": self.product_seat.id, "product_uom_qty": 3}
                    ),
                ],
            }
        )
        order.action_quotation_sent()
        self.start_tour(
            f"/my/orders/{order.id}?access_token={order._portal_ensure_token()}",
            "recurring_signup_quotation",
        )
        self.assertTrue(order.signature)
        self.assertEqual(order.state, "sale")
        self.assertEqual(order.subscription_state, "active")
        tx = order.transaction_ids
        self.assertEqual(tx.state, "done")
        self.assertEqual(order.payment_token_id, tx.token_id)
        invoice = order.subscription_invoice_ids
        self.assertEqual(invoice.amount_total, 79.2)
        self.assertIn(invoice.payment_state, ("paid", "in_payment"))
