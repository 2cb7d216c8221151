# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from lxml import etree

from odoo.tests import tagged

from odoo.addons.recurring_billing.tools.facturx_validation import validate_facturx

from . import stripe_bodies as bodies
from .common import RecurringStripePaymentCommon

NS = {
    "ram": "urn:un:unece:uncefact:data:standard:"
    "ReusableAggregateBusinessInformationEntity:100",
}


@tagged("post_install", "-at_install")
class TestStripeFacturx(RecurringStripePaymentCommon):
    def _xml(self, invoice):
        xml, _errors = self.env["account.edi.xml.cii"]._export_invoice(invoice)
        return xml, etree.fromstring(xml)

    def test_sepa_invoice_carries_means_59_mandate_and_creditor(self):
        self.company.sepa_creditor_identifier = "FR12ZZZ123456"
        self.sepa_token.stripe_mandate = bodies.MANDATE
        self.template_auto.charge_delay_days = 2
        invoice = self._stripe_subscription_invoice(token=self.sepa_token)

        xml, tree = self._xml(invoice)

        settlement = tree.xpath("//ram:ApplicableHeaderTradeSettlement", namespaces=NS)[
            0
        ]
        self.assertEqual(
            etree.QName(settlement[0]).localname, "CreditorReferenceID", xml.decode()
        )
        self.assertEqual(settlement[0].text, "FR12ZZZ123456")
        self.assertEqual(
            tree.xpath(
                "//ram:SpecifiedTradeSettlementPaymentMeans/ram:TypeCode/text()",
                namespaces=NS,
            ),
            ["59"],
        )
        self.assertEqual(
            tree.xpath(
                "//ram:SpecifiedTradePaymentTerms/ram:DirectDebitMandateID/text()",
                namespaces=NS,
            ),
            [bodies.MANDATE],
        )
        self.assertEqual(validate_facturx(xml)["xsd"], [])

    def test_card_invoice_has_no_direct_debit_data(self):
        self.company.sepa_creditor_identifier = "FR12ZZZ123456"
        invoice = self._stripe_subscription_invoice(token=self.card_token)

        xml, tree = self._xml(invoice)

        self.assertFalse(tree.xpath("//ram:CreditorReferenceID", namespaces=NS))
        self.assertFalse(tree.xpath("//ram:DirectDebitMandateID", namespaces=NS))
        self.assertNotIn(
            "59",
            tree.xpath(
                "//ram:SpecifiedTradeSettlementPaymentMeans/ram:TypeCode/text()",
                namespaces=NS,
            ),
        )
