# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""A charge that was not attempted is no decline: the customer is not told
their payment method was refused, and the invoice is chased as one paid by
hand, from its due date."""

from datetime import timedelta

from odoo.tests import tagged

from .common import RecurringDunningCommon

REFUSED = "payment method was refused"


@tagged("post_install", "-at_install")
class TestDunningSkippedCharge(RecurringDunningCommon):
    def _skipped_invoice(self, block):
        subscription = self._create_charged_subscription()
        invoice = self._invoice(subscription)
        block(subscription)
        self._charge()
        self.assertEqual(invoice.recurring_charge_state, "skipped")
        self.assertFalse(invoice.recurring_charge_ids)
        return invoice

    def _assert_chased_as_paid_by_hand(self, invoice):
        due = invoice.invoice_date_due
        # Not on the day of the charge, nor before the due date.
        self._dun_days(invoice.invoice_date, due)
        self.assertFalse(invoice.dunning_state)
        self.assertFalse(self._dunning_mails(invoice))

        history = self._dun_days(due + timedelta(days=1), due + timedelta(days=10))

        self.assertEqual(invoice.dunning_state, "running")
        self.assertEqual(invoice.dunning_policy_id, self.policy_manual)
        self.assertEqual(invoice.dunning_start_date, due)
        self.assertFalse(invoice.dunning_failure_class)
        self.assertEqual([(h.date - due).days for h in history.sorted("id")], [3, 10])
        mails = self._dunning_mails(invoice)
        self.assertEqual(len(mails), 2)
        self.assertIn("payment reminder", mails[0].subject)
        self.assertFalse(self._messages_with_subject(invoice, REFUSED))
        self.assertFalse(self._messages_with_subject(invoice, "confirm the payment"))

    def test_no_payment_method(self):
        invoice = self._skipped_invoice(
            lambda subscription: subscription.write({"payment_token_id": False})
        )
        self.assertIn("no saved payment method", invoice.recurring_charge_message)
        self._assert_chased_as_paid_by_hand(invoice)

    def test_provider_in_test_mode_on_a_live_company(self):
        invoice = self._skipped_invoice(
            lambda _subscription: setattr(self.company, "recurring_test_charges", False)
        )
        self.assertIn("test mode", invoice.recurring_charge_message)
        self._assert_chased_as_paid_by_hand(invoice)

    def test_provider_disabled(self):
        invoice = self._skipped_invoice(
            lambda _subscription: setattr(self.provider, "state", "disabled")
        )
        self.assertIn("disabled", invoice.recurring_charge_message)
        self._assert_chased_as_paid_by_hand(invoice)

    def test_payment_started_online_by_the_customer(self):
        def pay_online(subscription):
            invoice = subscription.invoice_ids
            self.env["payment.transaction"].create(
                {
                    "provider_id": self.provider.id,
                    "payment_method_id": self.method_card.id,
                    "amount": invoice.amount_residual,
                    "currency_id": invoice.currency_id.id,
                    "partner_id": self.customer.id,
                    "operation": "online_redirect",
                    "invoice_ids": [(6, 0, invoice.ids)],
                }
            )._set_pending()

        invoice = self._skipped_invoice(pay_online)
        self.assertIn("already under way", invoice.recurring_charge_message)
        # The customer's payment is under way: no reminder for it.
        self._dun_days(invoice.invoice_date, invoice.invoice_date_due)
        self.assertFalse(invoice.dunning_state)
        self.assertFalse(self._messages_with_subject(invoice, REFUSED))

    def test_sepa_debit_not_pre_notified_waits_for_its_notice(self):
        self.template_auto.charge_delay_days = 3
        subscription = self._create_charged_subscription()
        invoice = self._invoice(subscription)
        invoice.recurring_charge_date = invoice.invoice_date
        sepa = self.env.ref("payment.payment_method_sepa_direct_debit")
        sepa.write({"provider_ids": [(4, self.provider.id)]})
        sepa.active = True
        subscription.payment_token_id.payment_method_id = sepa

        self._charge(invoice.invoice_date)

        # Pre-notified now, debited on the notice's date: no skip, no failure.
        self.assertTrue(invoice.recurring_prenotified)
        self.assertEqual(invoice.recurring_charge_state, "to_charge")
        self.assertEqual(
            invoice.recurring_charge_date, invoice.invoice_date + timedelta(days=3)
        )
        self.assertFalse(invoice.recurring_charge_ids)
        self.assertFalse(invoice.dunning_state)
        self.assertFalse(self._messages_with_subject(invoice, REFUSED))
