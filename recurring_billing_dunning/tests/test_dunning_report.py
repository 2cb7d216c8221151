# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Recovery figures: what recovered, what was cancelled, what was lost."""

from datetime import date

from freezegun import freeze_time

from odoo import Command
from odoo.tests import tagged

from .common import TEMPLATE, RecurringDunningCommon


@tagged("post_install", "-at_install")
class TestDunningReport(RecurringDunningCommon):
    def _report(self, invoices):
        return self.env["recurring.dunning.report"].search(
            [("move_id", "in", invoices.ids)], order="id"
        )

    def _dashboard(self, day):
        return self.env["recurring.kpi.dashboard"].create(
            {"date": day, "company_ids": [Command.set(self.company.ids)]}
        )

    def _manual_invoice(self):
        subscription = self._create_subscription("2026-01-05")
        invoice = self._invoice(subscription)
        self._dun_days("2026-01-06", "2026-01-09")
        self.assertEqual(len(invoice.dunning_history_ids), 1)
        self.assertTrue(invoice.dunning_history_ids.email_sent)
        return subscription, invoice

    def test_credit_note_cancels_the_dunning(self):
        _subscription, paid = self._manual_invoice()
        _subscription, credited = self._manual_invoice()
        self._pay(paid, "2026-01-10")
        self._credit(credited, "2026-01-10")
        self.assertEqual(credited.payment_state, "reversed")
        self.assertRecordValues(
            credited, [{"dunning_state": "cancelled", "dunning_recovered_date": False}]
        )
        self.assertFalse(self._dun_days("2026-01-10", "2026-01-20"))
        self.assertRecordValues(
            self._report(paid | credited),
            [
                {
                    "move_id": paid.id,
                    "dunning_state": "recovered",
                    "recovered_amount": 79.20,
                },
                {
                    "move_id": credited.id,
                    "dunning_state": "cancelled",
                    "recovered_amount": 0.0,
                },
            ],
        )
        [(rate, recovered)] = self.env["recurring.dunning.report"]._read_group(
            [("move_id", "in", (paid | credited).ids)],
            aggregates=["recovery_rate:avg", "recovered_amount:sum"],
        )
        self.assertEqual((rate, recovered), (100.0, 79.20))
        # The KPI dashboard of January shows the same figures.
        self.assertRecordValues(
            self._dashboard("2026-01-31"),
            [
                {
                    "dunning_failed_amount": 158.40,
                    "dunning_recovered_amount": 79.20,
                    "dunning_recovery_rate": 1.0,
                    "dunning_days_to_recover": 5.0,
                    "dunning_lost_count": 0,
                }
            ],
        )

    def _credit(self, invoice, day):
        with freeze_time(day):
            reversal = (
                self.env["account.move.reversal"]
                .with_context(active_model="account.move", active_ids=invoice.ids)
                .create({"journal_id": invoice.journal_id.id, "date": day})
            )
            reversal.refund_moves()
            credit_note = self.env["account.move"].search(
                [("reversed_entry_id", "=", invoice.id)]
            )
            # Posted, the credit note settles the invoice it reverses.
            credit_note.action_post()
        self.env.invalidate_all()

    def test_credit_note_lifts_the_suspension(self):
        subscription = self._create_subscription("2026-01-05")
        invoice = self._invoice(subscription)
        self._dun_days("2026-01-06", "2026-01-25")
        self.assertEqual(subscription.subscription_state, "suspended")
        self._credit(invoice, "2026-01-26")
        self.assertEqual(invoice.payment_state, "reversed")
        self.assertEqual(invoice.dunning_state, "cancelled")
        self.assertRecordValues(
            subscription,
            [
                {
                    "subscription_state": "active",
                    "service_access": True,
                    "dunning_suspended_since": False,
                }
            ],
        )
        self.assertFalse(self._dun_days("2026-01-26", "2026-03-10"))
        # The suspension and its end are MRR movements of their own.
        self.assertEqual(
            [
                (str(e.date), e.event_type, e.reason, e.mrr_delta_company)
                for e in subscription.mrr_event_ids.sorted("id")
            ],
            [
                ("2026-01-05", "new", "start", 66.0),
                ("2026-01-25", "churn", "suspend", -66.0),
                ("2026-01-26", "reactivation", "resume", 66.0),
            ],
        )

    def test_transfer_registered_by_the_accountant_recovers_no_step(self):
        _subscription, invoice = self._manual_invoice()
        self._pay(invoice, "2026-01-12")
        self.assertEqual(invoice.dunning_state, "recovered")
        self.assertRecordValues(
            self._report(invoice),
            [
                {
                    "recovered_amount": 79.20,
                    "recovered_step_id": False,
                    "recovered_attempt": 0,
                    "days_to_recover": 7,
                }
            ],
        )

    def test_online_payment_after_the_email_recovers_the_step(self):
        _subscription, invoice = self._manual_invoice()
        tx = self.env["payment.transaction"].create(
            {
                "provider_id": self.provider.id,
                "payment_method_id": self.method_card.id,
                "amount": 79.20,
                "currency_id": invoice.currency_id.id,
                "partner_id": self.customer.id,
                "reference": "DUNNING-ONLINE-1",
                "operation": "online_redirect",
                "invoice_ids": [Command.set(invoice.ids)],
            }
        )
        self._succeed_tx(tx, day="2026-01-12")
        self.assertEqual(invoice.dunning_state, "recovered")
        self.assertEqual(invoice.dunning_recovered_date, date(2026, 1, 12))
        self.assertRecordValues(
            self._report(invoice),
            [
                {
                    "recovered_amount": 79.20,
                    "recovered_step_id": self._step(self.policy_manual, "email", 0).id,
                    "recovered_attempt": 0,
                }
            ],
        )

    def test_lost_subscriptions_count_subscriptions(self):
        self.env["recurring.dunning.policy"].create(
            {
                "name": "Close early",
                "company_id": self.company.id,
                "payment_mode": "manual",
                "sequence": 1,
                "step_ids": [
                    Command.create(
                        {
                            "name": "Reminder",
                            "sequence": 1,
                            "delay_days": 1,
                            "action": "email",
                            "mail_template_id": self.env.ref(TEMPLATE + "friendly").id,
                        }
                    ),
                    Command.create(
                        {
                            "name": "Close",
                            "sequence": 2,
                            "delay_days": 40,
                            "action": "close",
                            "mail_template_id": self.env.ref(TEMPLATE + "close").id,
                        }
                    ),
                ],
            }
        )
        subscription = self._create_subscription("2026-01-05")
        other = self._create_subscription("2026-01-05")
        invoices = self._run_engine("2026-01-05").filtered(
            lambda move: move.subscription_id in subscription | other
        ) | self._invoice(subscription, "2026-02-05")
        self.assertEqual(len(invoices), 3)
        self._dun_days("2026-01-06", "2026-02-14")
        self.assertEqual(
            (subscription | other).mapped("subscription_state"), ["closed", "closed"]
        )
        self.assertEqual(set(invoices.mapped("dunning_state")), {"closed"})
        # Two subscriptions lost, with three invoices between them.
        [(lost, count)] = self.env["recurring.dunning.report"]._read_group(
            [("move_id", "in", invoices.ids)],
            aggregates=["lost_count:sum", "invoice_count:sum"],
        )
        self.assertEqual((lost, count), (2, 3))
        # The dashboard of January: the two invoices whose dunning started
        # then, two subscriptions lost.
        self.assertRecordValues(
            self._dashboard("2026-01-15"),
            [
                {
                    "dunning_failed_amount": 158.40,
                    "dunning_recovered_amount": 0.0,
                    "dunning_recovery_rate": 0.0,
                    "dunning_lost_count": 2,
                }
            ],
        )
