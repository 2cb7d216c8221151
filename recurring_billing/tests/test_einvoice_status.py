# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import base64
from datetime import date
from unittest.mock import patch

from freezegun import freeze_time
from psycopg2 import IntegrityError

from odoo.exceptions import UserError
from odoo.tests import tagged
from odoo.tools import mute_logger

from ..tools.facturx_validation import validate_facturx
from .test_fr_invoice import FrenchInvoiceCommon


class FakePlatform:
    """An approved platform without network: it keeps the documents it
    receives and answers with its reference of each deposit."""

    name = "Fake PA"

    def __init__(self):
        self.documents = {}

    def receive(self, move, filename, content):
        reference = f"PA-{len(self.documents) + 1:04d}"
        self.documents[reference] = (move, filename, content)
        return self.name, reference


@tagged("post_install", "-at_install")
class TestEinvoiceStatus(FrenchInvoiceCommon):
    """The lifecycle statuses of the e-invoices: reported by a connector,
    set by payments ("collected", partial, full, reversed, refunded), and the
    e-reporting of payments for services to consumers, to the cent."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.billing = cls._create_role_user("billing", "h30_status_billing")
        cls.accountant = cls._create_role_user("accountant", "h30_status_accountant")
        cls.connector = cls.env["recurring.einvoice.connector"]
        cls.tax_55 = cls.tax_20.copy({"name": "TVA 5,5 %", "amount": 5.5})
        cls.consumer = cls.env["res.partner"].create(
            {
                "name": "Camille Dupont",
                "street": "8 rue des Lilas",
                "zip": "69003",
                "city": "Lyon",
                "country_id": cls.env.ref("base.fr").id,
                "email": "camille.dupont@example.com",
            }
        )

    def _connected(self, platform):
        """The connector's transmission goes to ``platform``."""

        def _einvoice_transmit(connector, move, filename, content):
            return platform.receive(move, filename, content)

        return patch.object(
            type(self.connector), "_einvoice_transmit", _einvoice_transmit
        )

    def _pay(self, move, amount, day, user=None):
        wizard = (
            self.env["account.payment.register"]
            .with_user(user or self.billing)
            .with_context(active_model="account.move", active_ids=move.ids)
            .create({"amount": amount, "payment_date": day})
        )
        return wizard._create_payments()

    def _history(self, move):
        return [
            (s.code, s.date, s.source_type, s.amount)
            for s in move.einvoice_status_ids.sorted(lambda s: (s.date, s.id))
        ]

    # ------------------------------------------------------------
    # A connector
    # ------------------------------------------------------------

    def test_fake_connector_reports_statuses(self):
        self._create_subscription("2025-03-10")
        moves = self._run_engine("2025-04-10").sorted("subscription_period_start")
        first, second = moves
        platform = FakePlatform()
        with self._connected(platform), freeze_time("2025-04-10"):
            moves.with_user(self.billing).action_einvoice_send()
        self.assertEqual(sorted(platform.documents), ["PA-0001", "PA-0002"])
        # What the platform received is the invoice's valid Factur-X.
        sent_move, filename, xml = platform.documents["PA-0001"]
        self.assertEqual(sent_move, first)
        self.assertTrue(filename.endswith(".xml"))
        self.assertEqual(
            validate_facturx(xml), {"xsd": [], "en16931": [], "fr_ctc": []}
        )
        self.assertEqual(moves.mapped("einvoice_status"), ["200", "200"])
        self.assertEqual(first.einvoice_status_ids.reference, "PA-0001")
        # The platform reports back: the first invoice is rejected, then the
        # second refused by the buyer, the same report arriving twice.
        self.connector._einvoice_report_status(
            first, "213", "2025-04-11", "Fake PA", message="BR-FR-12: bad SIREN"
        )
        for _twice in range(2):
            self.connector._einvoice_report_status(
                second, "210", date(2025, 4, 12), "Fake PA", message="Wrong price"
            )
        self.assertEqual(first.einvoice_status, "213")
        self.assertEqual(second.einvoice_status, "210")
        self.assertEqual(
            self._history(second),
            [
                ("200", date(2025, 4, 10), "connector", 0.0),
                ("210", date(2025, 4, 12), "connector", 0.0),
            ],
        )
        self.assertIn("Wrong price", second.message_ids[0].body)
        self.assertIn("Refused", second.message_ids[0].body)
        # Then approved: the current status follows.
        self.connector._einvoice_report_status(first, "205", "2025-04-15", "Fake PA")
        self.assertEqual(first.einvoice_status, "205")
        self.assertEqual(len(first.einvoice_status_ids), 3)
        with self.assertRaises(UserError):
            self.connector._einvoice_report_status(first, "999", "2025-04-15", "X")
        # Two transactions reporting the same status at once: the database
        # keeps one.
        approved = first.einvoice_status_ids.filtered(lambda s: s.code == "205")
        with self.assertRaises(IntegrityError), mute_logger("odoo.sql_db"):
            approved.sudo().copy().flush_recordset()

    def test_no_connector(self):
        self._create_subscription("2025-03-10")
        move = self._run_engine("2025-03-10")
        with self.assertRaisesRegex(UserError, "No e-invoicing connector"):
            move.with_user(self.billing).action_einvoice_send()
        self.assertFalse(move.einvoice_status_ids)

    # ------------------------------------------------------------
    # Payments
    # ------------------------------------------------------------

    def test_partial_full_and_reversed_payments(self):
        self._create_subscription("2025-03-10")
        move = self._run_engine("2025-03-10")
        self.assertEqual(move.amount_total, 79.2)
        self._pay(move, 30.0, "2025-03-15")
        self.assertEqual(move.einvoice_status, "212")
        self.assertEqual(move.einvoice_amount_collected, 30.0)
        payment = self._pay(move, 49.2, "2025-03-20")
        self.assertIn(move.payment_state, ("paid", "in_payment"))
        self.assertEqual(move.einvoice_amount_collected, 79.2)
        self.assertEqual(
            self._history(move),
            [
                ("212", date(2025, 3, 15), "payment", 30.0),
                ("212", date(2025, 3, 20), "payment", 49.2),
            ],
        )
        self.assertEqual(
            sorted(move.einvoice_status_ids.payment_move_id.mapped("date")),
            [date(2025, 3, 15), date(2025, 3, 20)],
        )
        # The second payment is cancelled: a collection reversed, that day.
        with freeze_time("2025-03-25"):
            payment.with_user(self.accountant).action_draft()
        self.assertEqual(move.einvoice_amount_collected, 30.0)
        self.assertEqual(
            self._history(move)[-1], ("212", date(2025, 3, 25), "payment", -49.2)
        )
        self.assertEqual(
            move.einvoice_status_ids.sorted("id")[-1].message, "Payment reversed."
        )
        # Posted and matched again: collected again, nothing counted twice.
        payment.action_post()
        (payment.move_id | move).line_ids.filtered(
            lambda line: line.account_id.account_type == "asset_receivable"
            and not line.reconciled
        ).reconcile()
        self.assertEqual(move.einvoice_amount_collected, 79.2)
        self.assertEqual(len(move.einvoice_status_ids), 4)
        self.assertEqual(sum(move.einvoice_status_ids.mapped("amount_company")), 79.2)

    def test_refund_of_a_paid_invoice(self):
        self._create_subscription("2025-03-10")
        move = self._run_engine("2025-03-10")
        self._pay(move, 79.2, "2025-03-15")
        credit = move._reverse_moves(
            default_values_list=[
                {
                    "invoice_date": "2025-03-31",
                    "date": "2025-03-31",
                    "invoice_date_due": "2025-03-31",
                }
            ]
        )
        credit.action_post()
        # The credit note, not reconciled with the paid invoice, collects
        # nothing until it is refunded.
        self.assertFalse(credit.einvoice_status_ids)
        self._pay(credit, 79.2, "2025-04-02")
        self.assertEqual(
            self._history(credit), [("212", date(2025, 4, 2), "payment", -79.2)]
        )
        self.assertEqual(credit.einvoice_amount_collected, -79.2)
        self.assertEqual(move.einvoice_amount_collected, 79.2)

    def test_credit_note_reconciled_with_unpaid_invoice_collects_nothing(self):
        self._create_subscription("2025-03-10")
        move = self._run_engine("2025-03-10")
        self._pay(move, 30.0, "2025-03-15")
        credit = move._reverse_moves(
            default_values_list=[
                {
                    "invoice_date": "2025-03-31",
                    "date": "2025-03-31",
                    "invoice_date_due": "2025-03-31",
                }
            ]
        )
        credit.action_post()
        # Posting the credit note matched it with what was left to pay.
        self.assertEqual(move.payment_state, "paid")
        self.assertEqual(credit.payment_state, "partial")
        self.assertEqual(move.einvoice_amount_collected, 30.0)
        self.assertEqual(len(move.einvoice_status_ids), 1)
        self.assertFalse(credit.einvoice_status_ids)
        # The rest of the credit note, refunded to the customer.
        self._pay(credit, 30.0, "2025-04-02")
        self.assertEqual(credit.einvoice_amount_collected, -30.0)

    # ------------------------------------------------------------
    # E-reporting of payments (B2C services)
    # ------------------------------------------------------------

    def test_b2c_ereporting_per_rate(self):
        sub = self._create_subscription(
            "2025-03-10", partner_id=self.consumer.id, confirm=False
        )
        seat_line = sub.order_line.filtered(
            lambda line: line.product_id == self.product_seat
        )
        seat_line.tax_id = self.tax_55
        with freeze_time("2025-03-10"):
            sub.action_confirm()
        b2b = self._create_subscription("2025-03-10")
        march = self._run_engine("2025-03-10").filtered(
            lambda m: m.subscription_id == sub
        )
        # 30.00 at 20 % and 36.00 at 5.5 %.
        self.assertEqual(march.amount_total, 73.98)
        self._pay(march, 36.99, "2025-03-15")
        self._pay(b2b.subscription_invoice_ids, 79.2, "2025-03-15")
        self._pay(march, 36.99, "2025-04-02")
        april = self._run_engine("2025-04-10").filtered(
            lambda m: m.subscription_id == sub
        )
        self._pay(april, 73.98, "2025-04-12")
        credit = april._reverse_moves(
            default_values_list=[
                {
                    "invoice_date": "2025-05-05",
                    "date": "2025-05-05",
                    "invoice_date_due": "2025-05-05",
                }
            ]
        )
        credit.action_post()
        self._pay(credit, 73.98, "2025-05-05")
        Line = self.env["recurring.ereporting.line"].with_user(self.billing)
        figures = Line._get_period_figures(
            self.company, date(2025, 3, 1), date(2025, 5, 31)
        )
        self.assertEqual(
            [
                (
                    f["month"],
                    f["tax_rate"],
                    f["amount_untaxed"],
                    f["amount_tax"],
                    f["amount_total"],
                )
                for f in figures
            ],
            [
                (date(2025, 3, 1), 5.5, 18.0, 0.99, 18.99),
                (date(2025, 3, 1), 20.0, 15.0, 3.0, 18.0),
                (date(2025, 4, 1), 5.5, 54.0, 2.97, 56.97),
                (date(2025, 4, 1), 20.0, 45.0, 9.0, 54.0),
                (date(2025, 5, 1), 5.5, -36.0, -1.98, -37.98),
                (date(2025, 5, 1), 20.0, -30.0, -6.0, -36.0),
            ],
        )
        # What was collected, less what was refunded: the March invoice.
        self.assertAlmostEqual(sum(f["amount_total"] for f in figures), 73.98, places=2)
        wizard = (
            self.env["recurring.ereporting.export"]
            .with_user(self.billing)
            .create({"date_from": "2025-03-01", "date_to": "2025-05-31"})
        )
        action = wizard.action_export()
        self.assertIn("download=true", action["url"])
        self.assertEqual(
            wizard.file_name, "ereporting_334175221_2025-03-01_2025-05-31.csv"
        )
        self.assertEqual(
            base64.b64decode(wizard.file_data).decode().splitlines(),
            [
                "period;siren;vat_rate;amount_untaxed;amount_tax;amount_total;currency",
                "2025-03;334175221;5.50;18.00;0.99;18.99;EUR",
                "2025-03;334175221;20.00;15.00;3.00;18.00;EUR",
                "2025-04;334175221;5.50;54.00;2.97;56.97;EUR",
                "2025-04;334175221;20.00;45.00;9.00;54.00;EUR",
                "2025-05;334175221;5.50;-36.00;-1.98;-37.98;EUR",
                "2025-05;334175221;20.00;-30.00;-6.00;-36.00;EUR",
            ],
        )

    def test_billing_user_records_a_status(self):
        """A refusal received by letter, recorded by a billing user."""
        self._create_subscription("2025-03-10")
        move = self._run_engine("2025-03-10")
        wizard = (
            self.env["recurring.einvoice.status.record"]
            .with_user(self.billing)
            .with_context(active_model="account.move", active_id=move.id)
            .create({"code": "210", "date": "2025-03-20", "message": "Par courrier"})
        )
        self.assertEqual(wizard.move_id, move)
        wizard.action_record()
        status = move.einvoice_status_ids
        self.assertEqual(
            (status.code, status.date, status.source_type, status.source),
            ("210", date(2025, 3, 20), "user", self.billing.name),
        )
        self.assertEqual(move.einvoice_status, "210")
