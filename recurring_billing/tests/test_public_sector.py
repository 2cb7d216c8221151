# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from datetime import date

from freezegun import freeze_time
from lxml import etree

from odoo.exceptions import UserError, ValidationError
from odoo.tests import tagged

from ..tools.facturx_validation import validate_facturx
from .test_fr_invoice import FrenchInvoiceCommon

NS = {
    "ram": "urn:un:unece:uncefact:data:standard:"
    "ReusableAggregateBusinessInformationEntity:100",
}
AGREEMENT = "//ram:ApplicableHeaderTradeAgreement"


@tagged("post_install", "-at_install")
class TestPublicSector(FrenchInvoiceCommon):
    """Subscriptions of French public-sector buyers: their invoices carry the
    service code (BT-10) and the engagement number (BT-13) that Chorus Pro
    requires, and are refused without them."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.mairie = cls.env["res.partner"].create(
            {
                "name": "Mairie de Villeurbanne",
                "is_company": True,
                "street": "Place Lazare Goujon",
                "zip": "69100",
                "city": "Villeurbanne",
                "country_id": cls.env.ref("base.fr").id,
                "siret": "21690266800013",
                "fr_public_buyer": True,
                "fr_service_code_required": True,
                "fr_engagement_required": True,
            }
        )
        cls.salesman = cls._create_role_user("salesman", "h30_public_salesman")
        cls.billing = cls._create_role_user("billing", "h30_public_billing")

    def _public_subscription(self, start="2025-03-10", engagements=(), **vals):
        """A subscription of the town hall, its Chorus Pro references entered
        by the salesman."""
        sub = self._create_subscription(
            start, partner_id=self.mairie.id, user_id=self.salesman.id, **vals
        )
        sub.with_user(self.salesman).write(
            {
                "fr_service_code": "SERV-INFO",
                "fr_engagement_ids": [
                    (0, 0, {"name": name, "date_start": start_, "date_end": end})
                    for name, start_, end in engagements
                ],
            }
        )
        return sub

    def _xml(self, move):
        xml = self.env["account.edi.xml.cii"]._export_invoice(move)[0]
        failures = validate_facturx(xml)
        self.assertEqual(
            failures, {"xsd": [], "en16931": [], "fr_ctc": []}, xml.decode()
        )
        return etree.fromstring(xml)

    def _text(self, tree, path):
        return [node.text for node in tree.xpath(AGREEMENT + path, namespaces=NS)]

    def test_invoice_without_required_engagement_is_refused(self):
        """The job cannot post the town hall's invoice without an engagement
        number: the subscription is flagged with the reason, no invoice is
        issued, and the other subscriptions of the batch are billed."""
        sub = self._public_subscription()
        other = self._create_subscription("2025-03-10")
        moves = self._run_engine("2025-03-10")
        self.assertEqual(moves.subscription_id, other)
        self.assertEqual(moves.amount_total, 79.2)
        self.assertFalse(sub.subscription_invoice_ids)
        self.assertIn("Mairie de Villeurbanne", sub.recurring_billing_error)
        self.assertIn(
            "which requires the engagement number (purchase order reference).",
            sub.recurring_billing_error,
        )
        self.assertNotIn("the service code (buyer", sub.recurring_billing_error)
        # The engagement entered, the job bills the period.
        sub.with_user(self.salesman).fr_engagement_ids = [
            (0, 0, {"name": "EJ-2025-0042", "date_start": "2025-01-01"})
        ]
        sub.action_recurring_clear_error()
        move = self._run_engine("2025-03-10")
        self.assertEqual(move.state, "posted")
        self.assertEqual(move.purchase_order_reference, "EJ-2025-0042")

    def test_successive_engagements_and_facturx(self):
        """Each invoice carries the engagement that covers its period, and its
        Factur-X the service code (BT-10) and engagement number (BT-13)."""
        self._public_subscription(
            engagements=[
                ("EJ-2025-0001", "2025-01-01", "2025-03-31"),
                ("EJ-2025-0002", "2025-04-01", False),
            ]
        )
        moves = self._run_engine("2025-04-10").sorted("subscription_period_start")
        self.assertEqual(len(moves), 2)
        self.assertEqual(moves.mapped("state"), ["posted", "posted"])
        self.assertEqual(
            [(m.subscription_period_start, m.buyer_reference) for m in moves],
            [(date(2025, 3, 10), "SERV-INFO"), (date(2025, 4, 10), "SERV-INFO")],
        )
        self.assertEqual(
            moves.mapped("purchase_order_reference"),
            ["EJ-2025-0001", "EJ-2025-0002"],
        )
        self.assertEqual(moves.mapped("amount_total"), [79.2, 79.2])
        tree = self._xml(moves[1])
        self.assertEqual(self._text(tree, "/ram:BuyerReference"), ["SERV-INFO"])
        self.assertEqual(
            self._text(tree, "/ram:BuyerOrderReferencedDocument/ram:IssuerAssignedID"),
            ["EJ-2025-0002"],
        )
        # The buyer's SIRET (BT-47).
        self.assertEqual(
            self._text(
                tree,
                "/ram:BuyerTradeParty/ram:SpecifiedLegalOrganization/ram:ID",
            ),
            ["216902668"],
        )
        # The credit note of an invoice keeps its references.
        credit = moves[0]._reverse_moves()
        credit.action_post()
        self.assertEqual(credit.purchase_order_reference, "EJ-2025-0001")
        tree = self._xml(credit)
        self.assertEqual(
            self._text(tree, "/ram:BuyerOrderReferencedDocument/ram:IssuerAssignedID"),
            ["EJ-2025-0001"],
        )

    def test_buyer_without_engagement_obligation(self):
        """A public buyer that requires no engagement number: its invoice
        passes without one, and carries its service code."""
        self.mairie.fr_engagement_required = False
        sub = self._public_subscription()
        move = self._run_engine("2025-03-10")
        self.assertEqual(move.subscription_id, sub)
        self.assertEqual(move.state, "posted")
        self.assertFalse(move.purchase_order_reference)
        tree = self._xml(move)
        self.assertEqual(self._text(tree, "/ram:BuyerReference"), ["SERV-INFO"])
        # Odoo's default order reference: the invoice's number.
        self.assertEqual(
            self._text(tree, "/ram:BuyerOrderReferencedDocument/ram:IssuerAssignedID"),
            [move.name],
        )

    def test_manual_posting_names_what_is_missing(self):
        """A billing user posting an invoice by hand is told what the public
        buyer lacks."""
        self.mairie.siret = False
        draft = self.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": self.mairie.id,
                "invoice_date": "2025-03-01",
                "invoice_line_ids": [
                    (0, 0, {"product_id": self.product_cloud.id, "quantity": 1})
                ],
            }
        )
        with self.assertRaises(UserError) as caught:
            draft.with_user(self.billing).action_post()
        message = str(caught.exception)
        self.assertIn("Invoice INV/2025/", message)
        self.assertIn("Mairie de Villeurbanne", message)
        self.assertIn("SIRET", message)
        self.assertIn("service code", message)
        self.assertIn("engagement number", message)
        self.assertEqual(draft.state, "draft")
        self.mairie.siret = "21690266800013"
        draft.write(
            {"buyer_reference": "SERV-INFO", "purchase_order_reference": "EJ-1"}
        )
        draft.with_user(self.billing).action_post()
        self.assertEqual(draft.state, "posted")

    def test_engagements_may_not_overlap(self):
        sub = self._public_subscription(
            engagements=[("EJ-A", "2025-01-01", "2025-12-31")]
        )
        with self.assertRaises(ValidationError):
            sub.with_user(self.salesman).fr_engagement_ids = [
                (0, 0, {"name": "EJ-B", "date_start": "2025-06-01"})
            ]
        with freeze_time("2025-03-10"):
            self.assertEqual(sub._get_fr_engagement(date(2025, 6, 1)).name, "EJ-A")
            self.assertFalse(sub._get_fr_engagement(date(2026, 1, 1)))
