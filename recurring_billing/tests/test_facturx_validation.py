# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from lxml import etree

from odoo import Command, fields
from odoo.tests import tagged

from odoo.addons.account.tests.common import AccountTestInvoicingCommon

from ..tools import facturx_validation
from ..tools.facturx_validation import (
    _address_space_limited,
    validate_facturx,
    validate_schematron,
    validate_xsd,
)
from .common import RecurringBillingCommon

NS = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:"
    "ReusableAggregateBusinessInformationEntity:100",
}


def _set_text(xml_bytes, path, text):
    root = etree.fromstring(xml_bytes)
    root.xpath(path, namespaces=NS)[0].text = text
    return etree.tostring(root)


def _ids(failures):
    return {failure["id"] for failure in failures}


@tagged("post_install", "-at_install")
class TestFacturxValidation(RecurringBillingCommon):
    @classmethod
    @AccountTestInvoicingCommon.setup_country("fr")
    def setUpClass(cls):
        super().setUpClass()
        cls.company.partner_id.siret = "33417522100029"
        cls.customer.write({"is_company": True, "siret": "73282932000074"})
        invoice = cls.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": cls.customer.id,
                "invoice_date": fields.Date.today(),
                "invoice_line_ids": [
                    Command.create(
                        {
                            "product_id": cls.product_cloud.id,
                            "quantity": 2,
                            "price_unit": 30.0,
                            "tax_ids": [Command.set(cls.tax_20.ids)],
                        }
                    )
                ],
            }
        )
        invoice.action_post()
        credit_note = invoice._reverse_moves()
        credit_note.action_post()
        builder = cls.env["account.edi.xml.cii"]
        # The project's export is valid as it is (see test_facturx.py).
        cls.invoice_xml = builder._export_invoice(invoice)[0]
        cls.credit_note_xml = builder._export_invoice(credit_note)[0]

    def test_xsd_rejects_other_root(self):
        errors = validate_xsd(
            b'<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"/>'
        )
        self.assertEqual(len(errors), 1)
        self.assertIn("No matching global declaration", errors[0])

    def test_xsd_rejects_missing_required_element(self):
        root = etree.fromstring(self.invoice_xml)
        type_code = root.find("rsm:ExchangedDocument/ram:TypeCode", NS)
        type_code.getparent().remove(type_code)
        errors = validate_xsd(etree.tostring(root))
        self.assertTrue(errors)
        self.assertIn("TypeCode", errors[0])

    def test_xsd_rejects_malformed_xml(self):
        errors = validate_xsd(self.invoice_xml[:-40])
        self.assertEqual(len(errors), 1)
        self.assertTrue(errors[0].startswith("XML syntax error"))

    def test_en16931_reports_line_total_mismatch(self):
        """Header line total 61.00 while the lines sum to 60.00: BR-CO-10."""
        xml = _set_text(
            self.invoice_xml,
            "//ram:SpecifiedTradeSettlementHeaderMonetarySummation/ram:LineTotalAmount",
            "61.00",
        )
        failures = validate_schematron(xml, "en16931")
        self.assertIn("BR-CO-10", _ids(failures))
        failure = next(f for f in failures if f["id"] == "BR-CO-10")
        self.assertEqual(failure["flag"], "fatal")
        self.assertIn(
            "SpecifiedTradeSettlementHeaderMonetarySummation", failure["location"]
        )
        self.assertIn("BT-106", failure["text"])
        self.assertEqual(validate_xsd(xml), [])

    def test_en16931_reports_element_outside_profile(self):
        """Successful reports (no id, no flag) are failures too."""
        root = etree.fromstring(self.invoice_xml)
        root.xpath("//ram:SellerTradeParty//ram:URIID", namespaces=NS)[0].set(
            "schemeID", "SMTP"
        )
        failures = validate_schematron(etree.tostring(root), "en16931")
        self.assertEqual(len(failures), 1)
        self.assertEqual(failures[0]["id"], "")
        self.assertIn("not used in the given context", failures[0]["text"])

    def test_fr_ctc_reports_siret_as_siren(self):
        xml = _set_text(
            self.invoice_xml,
            "//ram:SellerTradeParty/ram:SpecifiedLegalOrganization/ram:ID",
            "33417522100029",
        )
        self.assertIn("BR-FR-10_BT-30", _ids(validate_schematron(xml, "fr_ctc")))
        self.assertEqual(validate_schematron(xml, "en16931"), [])

    def test_unknown_schematron(self):
        with self.assertRaises(ValueError):
            validate_schematron(self.invoice_xml, "xrechnung")

    def test_valid_invoice_and_credit_note(self):
        empty = {"xsd": [], "en16931": [], "fr_ctc": []}
        self.assertEqual(validate_facturx(self.invoice_xml), empty)
        self.assertEqual(validate_facturx(self.credit_note_xml), empty)

    def test_subprocess_gives_the_same_answer(self):
        """Odoo's servers limit the address space, where Saxon cannot start:
        there the schematrons run in a child process."""
        xml = _set_text(
            self.invoice_xml,
            "//ram:SellerTradeParty/ram:SpecifiedLegalOrganization/ram:ID",
            "33417522100029",
        )
        if _address_space_limited():
            # Odoo's own runner applies limit_memory_hard to the tests'
            # process too, where Saxon's native runtime cannot live: the
            # comparison runs under pytest-odoo.
            self.skipTest("Saxon cannot run in a process under limit_memory_hard")
        in_child = validate_facturx(xml, in_process=False)
        self.assertEqual(in_child, validate_facturx(xml, in_process=True))
        self.assertIn("BR-FR-10_BT-30", _ids(in_child["fr_ctc"]))

    def test_one_long_lived_validator_per_process(self):
        """Under Odoo's address space limit the schematrons run in one
        validator process, started once and reused: its answers are those
        of an in-process run."""
        xml = _set_text(
            self.invoice_xml,
            "//ram:SellerTradeParty/ram:SpecifiedLegalOrganization/ram:ID",
            "33417522100029",
        )
        validator = facturx_validation._validator
        first = validate_facturx(xml, in_process=False)
        pid = validator.process.pid
        self.assertIn("BR-FR-10_BT-30", _ids(first["fr_ctc"]))
        self.assertEqual(
            validate_facturx(self.invoice_xml, in_process=False),
            {"xsd": [], "en16931": [], "fr_ctc": []},
        )
        self.assertEqual(validate_facturx(xml, in_process=False), first)
        self.assertEqual(validator.process.pid, pid)
        # A validator that died is replaced at the next validation.
        validator.process.kill()
        validator.process.wait()
        self.assertEqual(validate_facturx(xml, in_process=False), first)
        self.assertNotEqual(validator.process.pid, pid)
        with self.assertRaises(ValueError):
            facturx_validation.validate_schematrons(
                b"<not-closed>", ["en16931"], in_process=False
            )
