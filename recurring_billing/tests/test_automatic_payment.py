# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Automatic payment of subscription invoices with the saved payment method,
whatever the provider (here Odoo's test provider: the provider's answer is
given through the transaction's own state methods, as a provider would)."""

from datetime import date, datetime

import psycopg2
from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import ValidationError
from odoo.tests import new_test_user, tagged
from odoo.tools import mute_logger

from .payment_common import RecurringPaymentCommon, electronic_none_method


@tagged("post_install", "-at_install")
class TestAutomaticPayment(RecurringPaymentCommon):
    # ------------------------------------------------------------
    # CHARGE
    # ------------------------------------------------------------

    def test_posted_invoice_is_charged_with_an_offline_transaction(self):
        subscription = self._create_charged_subscription()
        invoice = self._invoice(subscription)
        self.assertEqual(invoice.recurring_charge_state, "to_charge")
        self.assertEqual(invoice.recurring_charge_date, date(2026, 1, 5))

        tx = self._charge()

        self.assertRecordValues(
            tx,
            [
                {
                    "operation": "offline",
                    "token_id": self.token.id,
                    "provider_id": self.provider.id,
                    "reference": invoice.name,
                    "amount": 79.20,  # (30 + 3 x 12) x 1.2
                    "currency_id": invoice.currency_id.id,
                    "partner_id": self.customer.id,
                    "recurring_invoice_id": invoice.id,
                    "state": "draft",
                }
            ],
        )
        self.assertEqual(tx.invoice_ids, invoice)
        self.assertFalse(tx.sale_order_ids)
        self.assertEqual(invoice.recurring_charge_state, "pending")
        self.assertEqual(subscription.recurring_charge_count, 1)
        self.assertEqual(subscription.recurring_last_charge_state, "draft")

    def test_charge_waits_for_the_template_delay(self):
        self.template_auto.charge_delay_days = 5
        subscription = self._create_charged_subscription()
        invoice = self._invoice(subscription)
        self.assertEqual(invoice.recurring_charge_date, date(2026, 1, 10))

        self.assertFalse(self._charge("2026-01-09"))
        self.assertEqual(len(self._charge("2026-01-10")), 1)

    def test_pending_charge_is_never_charged_twice(self):
        invoice = self._invoice(self._create_charged_subscription())
        tx = self._charge()
        tx._set_pending()

        self.assertFalse(self._charge())
        self.assertFalse(self._charge("2026-01-20"))
        invoice.action_recurring_charge_now()
        self.assertEqual(invoice.recurring_charge_ids, tx)

    def test_database_refuses_a_second_live_charge(self):
        invoice = self._invoice(self._create_charged_subscription())
        tx = self._charge()
        vals = invoice._recurring_prepare_charge_transaction_vals()

        with self.assertRaises(psycopg2.IntegrityError), mute_logger("odoo.sql_db"):
            with self.env.cr.savepoint():
                self.env["payment.transaction"].create(vals)
                self.env.flush_all()
        # Once the first attempt failed, a retry is a new transaction with its
        # own reference (the provider's idempotency key derives from it).
        tx._set_error("Declined")
        self.env.flush_all()
        retry = self.env["payment.transaction"].create(
            invoice._recurring_prepare_charge_transaction_vals()
        )
        self.assertEqual(retry.reference, f"{invoice.name}-1")

    def test_two_workers_take_disjoint_batches(self):
        subscriptions = [self._create_charged_subscription() for _i in range(3)]
        self._run_engine("2026-01-05")
        Charge = self.env["recurring.payment.charge"]
        with freeze_time("2026-01-05"):
            first = Charge._lock_batch(Charge._get_invoices_to_charge_domain(), 2)
            self.assertEqual(len(first), 2)
            self.assertEqual(first.subscription_id, first.subscription_id)
            self.assertTrue(
                set(first.subscription_id.ids) <= {s.id for s in subscriptions}
            )

    def test_batch_is_charged_each_with_its_own_token(self):
        other = self.env["res.partner"].create(
            {"name": "Café Dupont", "email": "compta@cafe-dupont.example"}
        )
        other_token = self._create_token(partner=other, provider_ref="cus_Other02")
        first = self._create_charged_subscription()
        second = self._create_charged_subscription(
            token=other_token, partner_id=other.id
        )
        blocked = self._create_charged_subscription()
        invoices = self._run_engine("2026-01-05")
        self.assertEqual(len(invoices), 3)
        blocked.payment_token_id = False
        invoices.write({"is_manually_modified": False})

        txs = self._charge()

        self.assertEqual(len(txs), 2)
        # Each charge was recorded as sent before its request left.
        for tx in txs:
            self.assertEqual(tx.recurring_send_count, 1)
            self.assertEqual(tx.recurring_sent_datetime, datetime(2026, 1, 5))
            # Odoo's test provider took the request without error: not unknown.
            self.assertFalse(tx.recurring_outcome_unknown)
        by_subscription = {tx.recurring_invoice_id.subscription_id: tx for tx in txs}
        self.assertEqual(by_subscription[first].token_id, self.token)
        self.assertEqual(by_subscription[second].token_id, other_token)
        self.assertEqual(by_subscription[second].partner_id, other)
        for tx in txs:
            invoice = tx.recurring_invoice_id
            self.assertEqual(tx.invoice_ids, invoice)
            self.assertEqual(tx.reference, invoice.name)
            self.assertEqual(tx.amount, 79.20)
            self.assertEqual(invoice.recurring_charge_state, "pending")
            # The charge fields are not an edit of the journal entry.
            self.assertFalse(invoice.is_manually_modified)
        blocked_invoice = invoices.filtered(lambda m: m.subscription_id == blocked)
        self.assertEqual(blocked_invoice.recurring_charge_state, "skipped")
        self.assertIn(
            "no saved payment method", blocked_invoice.recurring_charge_message
        )

    def test_succeeded_charge_pays_and_reconciles_the_invoice(self):
        subscription = self._create_charged_subscription()
        invoice = self._invoice(subscription)
        tx = self._charge()

        tx._set_done()
        tx._post_process()

        self.assertEqual(invoice.recurring_charge_state, "done")
        self.assertIn(invoice.payment_state, ("paid", "in_payment"))
        self.assertEqual(invoice.amount_residual, 0.0)
        self.assertRecordValues(
            tx.payment_id,
            [{"amount": 79.20, "state": "paid", "partner_id": self.customer.id}],
        )
        receivable = invoice.line_ids.filtered(
            lambda line: line.account_id.account_type == "asset_receivable"
        )
        self.assertTrue(receivable.reconciled)
        self.assertTrue(self._messages_with_subject(invoice, "payment received"))
        self.assertEqual(subscription.recurring_last_charge_state, "done")

    # ------------------------------------------------------------
    # FAILURES
    # ------------------------------------------------------------

    def _fail(self, invoice, message="Declined", **codes):
        tx = invoice.recurring_charge_ids[:1]
        tx.write(codes)
        tx._set_error(message)
        tx._post_process()
        return tx

    def test_soft_failure_is_handed_over(self):
        subscription = self._create_charged_subscription()
        invoice = self._invoice(subscription)
        self._charge()

        tx = self._fail(
            invoice,
            "Your card has insufficient funds.",
            error_code="card_declined",
            decline_code="insufficient_funds",
        )

        self.assertEqual(tx.failure_class, "soft")
        self.assertEqual(invoice.recurring_charge_state, "failed")
        self.assertEqual(invoice.recurring_charge_failure, "soft")
        self.assertEqual(
            invoice.recurring_charge_message, "Your card has insufficient funds."
        )
        self.assertEqual(invoice.payment_state, "not_paid")
        activity = self._activities(subscription)
        self.assertEqual(len(activity), 1)
        self.assertIn(invoice.name, activity.summary)
        self.assertEqual(activity.user_id, subscription.user_id or self.env.user)
        self.assertFalse(self._messages_with_subject(invoice, "confirm the payment"))
        # Processing the outcome again changes nothing.
        tx._post_process()
        self.assertEqual(len(self._activities(subscription)), 1)

    def test_hard_failure_asks_for_another_payment_method(self):
        invoice = self._invoice(self._create_charged_subscription())
        self._charge()

        tx = self._fail(invoice, "Your card has expired.", error_code="expired_card")

        self.assertEqual(tx.failure_class, "hard")
        message = self._messages_with_subject(invoice, "payment method was refused")
        self.assertEqual(len(message), 1)
        self.assertIn(invoice.get_portal_url(), message.body)

    def test_authentication_required_sends_the_pay_link(self):
        invoice = self._invoice(self._create_charged_subscription())
        self._charge()

        tx = self._fail(
            invoice,
            "This payment requires authentication.",
            error_code="authentication_required",
            decline_code="authentication_required",
        )

        self.assertEqual(tx.failure_class, "customer")
        message = self._messages_with_subject(invoice, "confirm the payment")
        self.assertEqual(len(message), 1)
        self.assertIn(invoice.get_portal_url(), message.body)
        self.assertIn("access_token=", message.body)
        self.assertIn(
            self.customer.partner_share and self.customer, message.partner_ids
        )

    def test_retry_after_failure_is_a_new_transaction(self):
        invoice = self._invoice(self._create_charged_subscription())
        first = self._charge()
        self._fail(invoice, error_code="card_declined", decline_code="try_again_later")

        invoice.action_recurring_charge_now()

        retry = invoice.recurring_charge_ids - first
        self.assertEqual(len(retry), 1)
        self.assertEqual(retry.reference, f"{invoice.name}-1")
        self.assertEqual(invoice.recurring_charge_state, "pending")

    def test_online_payment_with_a_new_card_replaces_the_token(self):
        subscription = self._create_charged_subscription()
        invoice = self._invoice(subscription)
        new_token = self._create_token(payment_details="5555")
        online = self.env["payment.transaction"].create(
            {
                "provider_id": self.provider.id,
                "payment_method_id": self.method_card.id,
                "amount": invoice.amount_residual,
                "currency_id": invoice.currency_id.id,
                "partner_id": self.customer.id,
                "operation": "online_direct",
                "token_id": new_token.id,
                "invoice_ids": [Command.set(invoice.ids)],
            }
        )

        online._set_done()
        online._post_process()

        self.assertEqual(subscription.payment_token_id, new_token)
        self.assertIn(invoice.payment_state, ("paid", "in_payment"))

    # ------------------------------------------------------------
    # BAD INPUT
    # ------------------------------------------------------------

    def assertSkipped(self, invoice, reason, handed_over=True):
        txs = self.env["payment.transaction"].search(
            [("invoice_ids", "in", invoice.ids)]
        )
        self.assertFalse(txs, "Nothing may be charged.")
        self.assertEqual(invoice.recurring_charge_state, "skipped")
        self.assertIn(reason, invoice.recurring_charge_message)
        self.assertEqual(bool(self._activities(invoice.subscription_id)), handed_over)

    def test_no_token_is_skipped_with_the_reason(self):
        invoice = self._invoice(
            self._create_charged_subscription(token=self.env["payment.token"])
        )
        self._charge()
        self.assertSkipped(invoice, "has no saved payment method")

    def test_archived_token_is_skipped(self):
        invoice = self._invoice(self._create_charged_subscription())
        self.token.active = False
        self._charge()
        self.assertSkipped(invoice, "is archived")

    def test_token_of_another_partner_is_refused(self):
        other = self.env["res.partner"].create({"name": "Autre client"})
        subscription = self._create_charged_subscription()
        with self.assertRaisesRegex(ValidationError, "belongs to Autre client"):
            subscription.payment_token_id = self._create_token(partner=other)

    def test_token_of_a_contact_of_the_customer_is_accepted(self):
        contact = self.env["res.partner"].create(
            {"name": "Marie Martin", "parent_id": self.customer.id}
        )
        subscription = self._create_charged_subscription()
        token = self._create_token(partner=contact)
        subscription.payment_token_id = token
        self.assertEqual(subscription.payment_token_id, token)

    def test_token_of_another_company_is_refused(self):
        other_company = self.env["res.company"].create({"name": "Autre société"})
        with electronic_none_method(self.env):
            other_provider = self.env["payment.provider"].create(
                {
                    "name": "Other Test Provider",
                    "code": "none",
                    "state": "test",
                    "company_id": other_company.id,
                    "payment_method_ids": [Command.set(self.method_card.ids)],
                }
            )
        subscription = self._create_charged_subscription()
        with self.assertRaises(ValidationError):
            subscription.payment_token_id = self._create_token(provider=other_provider)

    def test_disabled_provider_is_skipped(self):
        invoice = self._invoice(self._create_charged_subscription())
        self.provider.state = "disabled"
        self._charge()
        self.assertSkipped(invoice, "is disabled")

    def test_test_provider_on_a_live_company_is_skipped(self):
        invoice = self._invoice(self._create_charged_subscription())
        self.company.recurring_test_charges = False
        self._charge()
        self.assertSkipped(invoice, "is in test mode")

    def test_sepa_outside_eur_is_skipped(self):
        sepa = self.env.ref("payment.payment_method_sepa_direct_debit")
        self.provider.payment_method_ids = [Command.link(sepa.id)]
        sepa.write({"active": True})
        usd = self.env.ref("base.USD")
        usd.active = True
        token = self._create_token(payment_method_id=sepa.id)
        subscription = self._create_charged_subscription(
            token=token,
            pricelist_id=self.env["product.pricelist"]
            .create({"name": "USD", "currency_id": usd.id})
            .id,
        )
        invoice = self._invoice(subscription)
        self.assertEqual(invoice.currency_id, usd)
        invoice.recurring_prenotified = True
        self._charge()
        self.assertSkipped(invoice, "cannot pay in USD")

    def test_nothing_left_to_pay_is_skipped(self):
        invoice = self._invoice(self._create_charged_subscription())
        self.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=invoice.ids
        ).create({})._create_payments()
        invoice.recurring_charge_state = "to_charge"
        invoice.action_recurring_charge_now()
        self.assertSkipped(invoice, "Nothing is left to pay")

    def test_zero_invoice_is_skipped(self):
        subscription = self._create_charged_subscription(
            lines=[(self.product_cloud, 1)]
        )
        subscription.order_line.price_unit = 0.0
        invoice = self._invoice(subscription)
        self._charge()
        self.assertSkipped(invoice, "Nothing is left to pay", handed_over=False)

    def test_credit_note_is_never_charged(self):
        invoice = self._invoice(self._create_charged_subscription())
        credit_note = invoice._reverse_moves()
        credit_note.action_post()
        self.assertFalse(credit_note.recurring_charge_state)

    def test_manual_subscription_is_not_charged(self):
        subscription = self._create_charged_subscription()
        subscription.recurring_payment_mode = "manual"
        invoice = self._invoice(subscription)
        self.assertFalse(invoice.recurring_charge_state)
        self.assertFalse(self._charge())

    # ------------------------------------------------------------
    # SEPA AND CARD EXPIRY
    # ------------------------------------------------------------

    def test_sepa_debit_is_pre_notified_before_the_charge(self):
        sepa = self.env.ref("payment.payment_method_sepa_direct_debit")
        self.provider.payment_method_ids = [Command.link(sepa.id)]
        sepa.write({"active": True})
        self.template_auto.charge_delay_days = 5
        token = self._create_token(payment_method_id=sepa.id, payment_details="3000")
        invoice = self._invoice(self._create_charged_subscription(token=token))

        self.assertFalse(self._charge("2026-01-05"))

        self.assertTrue(invoice.recurring_prenotified)
        message = self._messages_with_subject(invoice, "upcoming direct debit")
        self.assertEqual(len(message), 1)
        self.assertIn("79.20", message.body)
        self.assertIn("01/10/2026", message.body)
        self.assertFalse(self._charge("2026-01-09"))
        tx = self._charge("2026-01-10")
        self.assertEqual(tx.token_id, token)
        self.assertEqual(len(self._messages_with_subject(invoice, "upcoming")), 1)

    def test_card_expiry_reminder(self):
        self.token.expiry_date = date(2026, 2, 28)
        subscription = self._create_charged_subscription()
        Token = self.env["payment.token"]

        with freeze_time("2026-01-28"):
            Token._cron_card_expiry_reminders()
        self.assertFalse(self._messages_with_subject(subscription, "expires soon"))

        with freeze_time("2026-01-29"):
            Token._cron_card_expiry_reminders()
            Token._cron_card_expiry_reminders()
        message = self._messages_with_subject(subscription, "expires soon")
        self.assertEqual(len(message), 1)
        self.assertIn("/my/payment_method", message.body)
        self.assertIn("02/28/2026", message.body)
        self.assertTrue(self.token.expiry_reminder_sent)

        # The card network renewed the card: remind again before the new date.
        self.token.expiry_date = date(2029, 2, 28)
        self.assertFalse(self.token.expiry_reminder_sent)

    def test_card_expiry_days_are_configurable(self):
        self.company.card_expiry_reminder_days = 10
        self.token.expiry_date = date(2026, 2, 28)
        subscription = self._create_charged_subscription()
        with freeze_time("2026-02-17"):
            self.env["payment.token"]._cron_card_expiry_reminders()
        self.assertFalse(self._messages_with_subject(subscription, "expires soon"))
        with freeze_time("2026-02-18"):
            self.env["payment.token"]._cron_card_expiry_reminders()
        self.assertTrue(self._messages_with_subject(subscription, "expires soon"))

    # ------------------------------------------------------------
    # ROLES
    # ------------------------------------------------------------

    def test_salesman_sets_the_payment_method_and_billing_user_charges(self):
        company = {
            "company_id": self.company.id,
            "company_ids": [Command.set(self.company.ids)],
        }
        salesman = new_test_user(
            self.env, "rbp_salesman", groups="sales_team.group_sale_salesman", **company
        )
        billing = new_test_user(
            self.env, "rbp_billing", groups="account.group_account_invoice", **company
        )
        subscription = self._create_charged_subscription(
            token=self.env["payment.token"], user_id=salesman.id
        )
        subscription.with_user(salesman).payment_token_id = self.token
        invoice = self._invoice(subscription)

        invoice.with_user(billing).action_recurring_charge_now()

        self.assertEqual(len(invoice.recurring_charge_ids), 1)
        self.assertEqual(invoice.with_user(billing).recurring_charge_state, "pending")
        self.assertEqual(
            subscription.with_user(salesman).recurring_last_charge_state, "draft"
        )
