# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Stripe's webhook events through real HTTP requests, signed by the test as
Stripe signs them. Odoo's test HTTP server listens on a port of its own
(Odoo's runner: --http-port; pytest-odoo: --odoo-http, a free random port),
never on another Odoo's 8069."""

import json
import time
from datetime import date

from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tools import mute_logger

from odoo.addons.payment_stripe.controllers.main import StripeController

from .. import const
from . import stripe_bodies as bodies
from .common import RecurringStripePaymentCommon, sign, stripe_answers

MUTED = (
    "odoo.addons.recurring_billing_stripe.controllers.main",
    "odoo.addons.recurring_billing_stripe.models.recurring_stripe_event",
    "odoo.addons.payment_stripe.controllers.main",
    "odoo.addons.payment_stripe.models.payment_transaction",
    "odoo.addons.payment.models.payment_transaction",
    "odoo.http",
)


@tagged("post_install", "-at_install")
class TestStripeWebhook(RecurringStripePaymentCommon, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Event = cls.env["recurring.stripe.event"]
        cls.subscription = cls._create_subscription(
            "2026-01-05",
            template=cls.template_auto,
            payment_token_id=cls.card_token.id,
        )

    def _post(self, event, secret=None, timestamp=None, signed=True, url=None):
        payload = json.dumps(event)
        headers = {"Content-Type": "application/json"}
        if signed:
            headers["Stripe-Signature"] = sign(
                payload, **({"secret": secret} if secret else {}), timestamp=timestamp
            )
        with mute_logger(*MUTED):
            return self.url_open(
                url or const.WEBHOOK_URL % self.stripe.id,
                data=payload,
                headers=headers,
            )

    def _events(self, event_id):
        return self.Event.search([("stripe_event_id", "=", event_id)])

    def _pm_event(self, event_id="evt_1PmUpdated0001", created=1767225600, **card):
        return bodies.event(
            event_id,
            "payment_method.automatically_updated",
            bodies.card_payment_method(**card),
            created=created,
        )

    # ------------------------------------------------------------
    # SIGNATURE
    # ------------------------------------------------------------

    def test_signed_event_updates_the_card(self):
        current = bodies.card_payment_method(exp_month=3, exp_year=2030, last4="1881")
        with stripe_answers(current) as calls:
            response = self._post(self._pm_event(exp_month=3, exp_year=2030))

        self.assertEqual(response.status_code, 200)
        self.assertEqual(
            [(c["endpoint"], c["method"]) for c in calls],
            [(f"payment_methods/{bodies.CARD_PM}", "GET")],
        )
        self.assertEqual(self.card_token.expiry_date, date(2030, 3, 31))
        self.assertEqual(self.card_token.payment_details, "1881")
        event = self._events("evt_1PmUpdated0001")
        self.assertRecordValues(
            event,
            [
                {
                    "state": "processed",
                    "event_type": "payment_method.automatically_updated",
                    "object_id": bodies.CARD_PM,
                    "provider_id": self.stripe.id,
                }
            ],
        )

    def test_wrong_secret_is_refused(self):
        with stripe_answers(bodies.card_payment_method(exp_year=2030)) as calls:
            response = self._post(self._pm_event(), secret="whsec_forged")
        self.assertEqual(response.status_code, 403)
        self.assertFalse(calls)
        self.assertFalse(self._events("evt_1PmUpdated0001"))
        self.assertFalse(self.card_token.expiry_date)

    def test_unsigned_event_is_refused(self):
        response = self._post(self._pm_event(), signed=False)
        self.assertEqual(response.status_code, 403)
        self.assertFalse(self._events("evt_1PmUpdated0001"))

    def test_stale_timestamp_is_refused(self):
        stale = int(time.time()) - StripeController.WEBHOOK_AGE_TOLERANCE - 60
        response = self._post(self._pm_event(), timestamp=stale)
        self.assertEqual(response.status_code, 403)
        self.assertFalse(self._events("evt_1PmUpdated0001"))

    def test_no_secret_configured_refuses_every_event(self):
        self.stripe.stripe_webhook_secret = False
        response = self._post(self._pm_event())
        self.assertEqual(response.status_code, 403)
        self.assertFalse(self._events("evt_1PmUpdated0001"))
        self.assertTrue(self.stripe.recurring_stripe_config_error)

    def test_odoo_endpoint_refuses_unsigned_events_of_a_subscription_provider(self):
        self.stripe.stripe_webhook_secret = False
        invoice = self._invoice(self.subscription)
        with (
            stripe_answers(
                bodies.payment_intent(invoice.name, 7920, status="processing")
            ),
            mute_logger(*MUTED),
        ):
            tx = self._charge()
        event = bodies.event(
            "evt_1PiSucceeded0001",
            "payment_intent.succeeded",
            bodies.payment_intent(invoice.name, 7920),
        )
        response = self._post(event, signed=False, url=StripeController._webhook_url)
        self.assertEqual(response.status_code, 403)
        self.assertEqual(tx.state, "pending")

    # ------------------------------------------------------------
    # ONCE, IN ANY ORDER
    # ------------------------------------------------------------

    def test_replayed_event_is_processed_once(self):
        current = bodies.card_payment_method(exp_year=2030)
        with stripe_answers(current) as calls:
            first = self._post(self._pm_event())
            again = self._post(self._pm_event())
        self.assertEqual(first.status_code, 200)
        self.assertEqual(again.status_code, 200)
        self.assertEqual(again.json(), {"status": "already received"})
        self.assertEqual(len(calls), 1)
        self.assertEqual(len(self._events("evt_1PmUpdated0001")), 1)

    def test_events_out_of_order_leave_the_current_state(self):
        # Stripe's current state: the card renewed twice, last to 11/2031.
        current = bodies.card_payment_method(exp_month=11, exp_year=2031, last4="0077")
        newer = self._pm_event(
            "evt_1PmUpdatedNewer", 1767229200, exp_month=11, exp_year=2031
        )
        older = self._pm_event(
            "evt_1PmUpdatedOlder", 1767225600, exp_month=5, exp_year=2029
        )
        with stripe_answers(current):
            self._post(newer)
            self._post(older)
        self.assertEqual(self.card_token.expiry_date, date(2031, 11, 30))
        self.assertEqual(self.card_token.payment_details, "0077")

    def test_unknown_event_type_is_recorded_and_ignored(self):
        event = bodies.event("evt_1Unknown0001", "customer.created", {"id": "cus_X"})
        with stripe_answers({}) as calls:
            response = self._post(event)
        self.assertEqual(response.status_code, 200)
        self.assertFalse(calls)
        self.assertEqual(self._events("evt_1Unknown0001").state, "ignored")

    # ------------------------------------------------------------
    # HANDLERS
    # ------------------------------------------------------------

    def test_revoked_mandate_deactivates_the_token(self):
        self.sepa_token.stripe_mandate = bodies.MANDATE
        self.subscription.payment_token_id = self.sepa_token
        event = bodies.event("evt_1Mandate0001", "mandate.updated", bodies.mandate())
        with stripe_answers(bodies.mandate("inactive")) as calls:
            response = self._post(event)
        self.assertEqual(response.status_code, 200)
        self.assertEqual(calls[0]["endpoint"], f"mandates/{bodies.MANDATE}")
        self.assertFalse(self.sepa_token.active)
        self.assertEqual(self.subscription.recurring_payment_mode, "manual")
        self.assertFalse(self.subscription.payment_token_id)
        self.assertTrue(
            self._messages_with_subject(self.subscription, "mandate was revoked")
        )

    def test_mandate_still_active_changes_nothing(self):
        self.sepa_token.stripe_mandate = bodies.MANDATE
        self.subscription.payment_token_id = self.sepa_token
        event = bodies.event("evt_1Mandate0002", "mandate.updated", bodies.mandate())
        with stripe_answers(bodies.mandate("active")):
            self._post(event)
        self.assertTrue(self.sepa_token.active)
        self.assertEqual(self.subscription.recurring_payment_mode, "auto")

    def test_dispute_flags_the_invoice_for_the_accountant(self):
        accountant = new_test_user(
            self.env,
            "rbs_dispute_accountant",
            groups="account.group_account_manager",
            company_id=self.company.id,
            company_ids=[self.company.id],
        )
        invoice = self._invoice(self.subscription)
        with (
            stripe_answers(bodies.payment_intent(invoice.name, 7920)),
            mute_logger(*MUTED),
        ):
            self._charge()
        self.assertIn(invoice.payment_state, ("paid", "in_payment"))
        event = bodies.event(
            "evt_1Dispute0001", "charge.dispute.created", bodies.dispute()
        )

        response = self._post(event)

        self.assertEqual(response.status_code, 200)
        self.assertTrue(invoice.payment_disputed)
        activity = self._activities(invoice)
        self.assertEqual(len(activity), 1)
        self.assertTrue(activity.user_id.has_group("account.group_account_manager"))
        self.assertTrue(accountant.has_group("account.group_account_manager"))
        self.assertIn("fraudulent", activity.summary)

    def test_sepa_debit_settled_by_webhook_pays_the_invoice(self):
        self.template_auto.charge_delay_days = 2
        self.subscription.payment_token_id = self.sepa_token
        invoice = self._invoice(self.subscription)
        processing = bodies.payment_intent(
            invoice.name,
            7920,
            status="processing",
            payment_method=bodies.sepa_payment_method(),
        )
        with stripe_answers(processing), mute_logger(*MUTED):
            self._charge()  # Pre-notification.
            tx = self._charge("2026-01-07")
        self.assertEqual(tx.state, "pending")
        succeeded = bodies.payment_intent(
            invoice.name, 7920, payment_method=bodies.sepa_payment_method()
        )
        succeeded["payment_method"] = bodies.SEPA_PM  # Webhooks do not expand it.
        event = bodies.event(
            "evt_1PiSucceeded0002", "payment_intent.succeeded", succeeded
        )

        response = self._post(event)

        self.assertEqual(response.status_code, 200)
        self.assertEqual(tx.state, "done")
        self.assertEqual(self._events("evt_1PiSucceeded0002").state, "processed")
        tx._post_process()  # What Odoo's post-processing cron does next.
        self.assertIn(invoice.payment_state, ("paid", "in_payment"))
        self.assertEqual(invoice.recurring_charge_state, "done")
