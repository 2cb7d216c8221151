# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from contextlib import contextmanager
from unittest.mock import patch

from freezegun import freeze_time

from odoo import Command

from .common import RecurringBillingCommon


@contextmanager
def electronic_none_method(env):
    """Odoo's own test trick (``account_payment/tests/common.py``): declare
    the payment method of the test provider (code ``none``) as electronic, so
    that its journal gets a payment method line."""
    Method = env.registry["account.payment.method"]
    original = Method._get_payment_method_information

    def _get_payment_method_information(self):
        res = original(self)
        res["none"] = {"mode": "electronic", "type": ("bank",)}
        return res

    with patch.object(
        Method, "_get_payment_method_information", _get_payment_method_information
    ):
        yield


class RecurringPaymentCommon(RecurringBillingCommon):
    """A subscription template charged automatically, a payment provider
    whose network edge does nothing (Odoo's test provider, code ``none``),
    and a saved card of the customer."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.recurring_test_charges = True
        cls.customer.email = "compta@boulangerie-martin.example"
        cls.bank_journal = cls.company_data["default_journal_bank"]
        cls.method_card = cls.env.ref("payment.payment_method_unknown")
        with electronic_none_method(cls.env):
            cls.env["account.payment.method"].sudo().create(
                {"name": "Test provider", "code": "none", "payment_type": "inbound"}
            )
            cls.provider = cls.env["payment.provider"].create(
                {
                    "name": "Test Provider",
                    "code": "none",
                    "state": "test",
                    "company_id": cls.company.id,
                    "allow_tokenization": True,
                    "payment_method_ids": [Command.set(cls.method_card.ids)],
                    "journal_id": cls.bank_journal.id,
                }
            )
        cls.method_card.write({"active": True, "support_tokenization": True})
        cls.template_auto = cls.template_monthly.copy(
            {"name": "Cloud monthly, charged", "auto_charge": True}
        )
        cls.token = cls._create_token()

    @classmethod
    def _create_token(cls, partner=None, provider=None, **vals):
        provider = provider or cls.provider
        return cls.env["payment.token"].create(
            {
                "provider_id": provider.id,
                "payment_method_id": cls.method_card.id,
                "payment_details": "4242",
                "partner_id": (partner or cls.customer).id,
                "provider_ref": "cus_TestCustomer01",
                **vals,
            }
        )

    def _create_charged_subscription(self, start="2026-01-05", token=None, **vals):
        return self._create_subscription(
            start,
            template=self.template_auto,
            payment_token_id=(token if token is not None else self.token).id,
            **vals,
        )

    def _invoice(self, subscription, day="2026-01-05"):
        invoice = self._run_engine(day).filtered(
            lambda move: move.subscription_id == subscription
        )
        self.assertEqual(len(invoice), 1)
        self.assertEqual(invoice.state, "posted")
        return invoice

    def _charge(self, day="2026-01-05", batch_size=100):
        with freeze_time(day):
            return self.env["recurring.payment.charge"]._cron_charge_invoices(
                batch_size=batch_size
            )

    def _activities(self, record):
        return self.env["mail.activity"].search(
            [("res_model", "=", record._name), ("res_id", "=", record.id)]
        )

    def _messages_with_subject(self, record, text):
        return record.message_ids.filtered(
            lambda message: text in (message.subject or "")
        )
