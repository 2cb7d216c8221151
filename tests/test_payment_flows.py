# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Automatic payment across the addons: subscription, invoice, charge through
payment_stripe (Stripe's network edge replaced by its documented answers),
webhooks and the customer's on-session payment over real HTTP."""

import json

from odoo.tests import HttpCase, tagged
from odoo.tools import mute_logger

from odoo.addons.recurring_billing_stripe import const
from odoo.addons.recurring_billing_stripe.tests import stripe_bodies as bodies
from odoo.addons.recurring_billing_stripe.tests.common import (
    RecurringStripePaymentCommon,
    sign,
    stripe_answers,
)

AMOUNT = 7920
NEW_PM = "pm_1OnSession3DSecure0005"
MUTED = (
    "odoo.addons.payment_stripe.models.payment_transaction",
    "odoo.addons.payment_stripe.controllers.main",
    "odoo.addons.payment.models.payment_transaction",
    "odoo.addons.recurring_billing_stripe.controllers.main",
)


@tagged("post_install", "-at_install")
class TestAutomaticPaymentFlow(RecurringStripePaymentCommon, HttpCase):
    def _subscription_invoice(self):
        subscription = self._create_charged_subscription(token=self.card_token)
        return subscription, self._invoice(subscription)

    def test_charge_succeeds_invoice_paid_and_reconciled(self):
        subscription, invoice = self._subscription_invoice()

        with (
            stripe_answers(bodies.payment_intent(invoice.name, AMOUNT)),
            mute_logger(*MUTED),
        ):
            tx = self._charge()

        self.assertEqual(tx.state, "done")
        self.assertIn(invoice.payment_state, ("paid", "in_payment"))
        self.assertEqual(invoice.amount_residual, 0.0)
        lines = (invoice.line_ids + tx.payment_id.move_id.line_ids).filtered(
            lambda line: line.account_id.account_type == "asset_receivable"
        )
        self.assertTrue(all(lines.mapped("reconciled")))
        self.assertEqual(sum(lines.mapped("balance")), 0.0)
        self.assertTrue(self._messages_with_subject(invoice, "payment received"))
        self.assertEqual(subscription.recurring_last_charge_state, "done")

    def test_soft_failure_is_handed_to_dunning(self):
        subscription, invoice = self._subscription_invoice()
        answer = bodies.card_error(
            invoice.name,
            AMOUNT,
            "card_declined",
            "insufficient_funds",
            "Your card has insufficient funds.",
            advice_code="try_again_later",
        )

        with stripe_answers(answer), mute_logger(*MUTED):
            tx = self._charge()

        self.assertEqual(tx.failure_class, "soft")
        self.assertEqual(invoice.recurring_charge_state, "failed")
        # The hand-off hook ran: without a dunning override, an activity.
        activity = self._activities(subscription)
        self.assertEqual(len(activity), 1)
        self.assertIn(invoice.name, activity.summary)
        # The invoice stays unpaid and is what dunning chases once overdue.
        self.assertEqual(
            subscription._get_overdue_subscription_invoices(
                invoice.invoice_date_due.replace(day=invoice.invoice_date_due.day + 1)
            ),
            invoice,
        )

    def test_sca_pay_link_on_session_payment_replaces_the_token(self):
        subscription, invoice = self._subscription_invoice()
        declined = bodies.card_error(
            invoice.name,
            AMOUNT,
            "authentication_required",
            "authentication_required",
            "Your card was declined. This transaction requires authentication.",
        )
        with stripe_answers(declined), mute_logger(*MUTED):
            self._charge()
        mail = self._messages_with_subject(invoice, "confirm the payment")
        self.assertEqual(len(mail), 1)
        pay_url = invoice._recurring_get_pay_url()
        self.assertIn(pay_url.replace("&", "&amp;"), mail.body)

        # The customer opens the link: Odoo's invoice page with its payment form.
        new_card = bodies.card_payment_method(exp_month=9, exp_year=2031, last4="0005")
        new_card["id"] = NEW_PM

        def stripe_api(endpoint):
            if endpoint == "customers":
                return {"id": bodies.CUSTOMER, "object": "customer"}
            if endpoint.startswith("payment_methods/"):
                return new_card
            return bodies.payment_intent(
                "", AMOUNT, status="requires_payment_method", payment_method=new_card
            )

        with stripe_answers(stripe_api), mute_logger(*MUTED):
            page = self.url_open(invoice.get_portal_url())
            self.assertEqual(page.status_code, 200)
            processing = self.make_jsonrpc_request(
                f"/invoice/transaction/{invoice.id}",
                {
                    "access_token": invoice._portal_ensure_token(),
                    "provider_id": self.stripe.id,
                    "payment_method_id": self.method_card_stripe.id,
                    "token_id": None,
                    "amount": invoice.amount_residual,
                    "flow": "direct",
                    "tokenization_requested": True,
                    "landing_route": invoice.get_portal_url(),
                },
            )
        self.assertIn("client_secret", processing)
        online = self.env["payment.transaction"].search(
            [("reference", "=", processing["reference"])]
        )
        self.assertRecordValues(
            online, [{"operation": "online_direct", "tokenize": True, "state": "draft"}]
        )

        # 3-D Secure passed in the browser; Stripe tells Odoo by webhook.
        intent = bodies.payment_intent(
            online.reference, AMOUNT, payment_method=new_card
        )
        intent["payment_method"] = NEW_PM
        event = json.dumps(
            bodies.event("evt_1OnSession0001", "payment_intent.succeeded", intent)
        )
        with stripe_answers(stripe_api), mute_logger(*MUTED):
            response = self.url_open(
                const.WEBHOOK_URL % self.stripe.id,
                data=event,
                headers={
                    "Content-Type": "application/json",
                    "Stripe-Signature": sign(event),
                },
            )
        self.assertEqual(response.status_code, 200)
        self.assertEqual(online.state, "done")
        online._post_process()  # Odoo's post-processing (cron or landing page).

        self.assertIn(invoice.payment_state, ("paid", "in_payment"))
        new_token = subscription.payment_token_id
        self.assertNotEqual(new_token, self.card_token)
        self.assertRecordValues(
            new_token,
            [
                {
                    "stripe_payment_method": NEW_PM,
                    "payment_details": "0005",
                    "partner_id": self.customer.id,
                }
            ],
        )
        self.assertEqual(str(new_token.expiry_date), "2031-09-30")
