# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The demo company's subscription invoices, as the job issues them today
(its subscriptions confirmed as they are when ``tasks.py demo`` lives their
history), are valid Factur-X EN 16931 invoices for the French reform. (The demo
invoices of Odoo's own chart of accounts, such as a credit note without VAT to
a US customer, are not the engine's and are left out.)"""

import unittest

from odoo.tests import TransactionCase, tagged


@tagged("post_install", "-at_install")
class TestDemoFacturx(TransactionCase):
    def test_demo_invoices_pass_every_check(self):
        company = self.env.ref(
            "recurring_billing.res_company_nuage", raise_if_not_found=False
        )
        if not company:
            raise unittest.SkipTest("The database has no demo data.")
        SaleOrder = self.env["sale.order"].with_company(company)
        SaleOrder.search(
            [
                ("company_id", "=", company.id),
                ("is_subscription", "=", True),
                ("state", "=", "draft"),
            ]
        ).action_confirm()
        for _call in range(20):
            self.env["recurring.invoicing"].with_company(
                company
            )._cron_recurring_invoice(batch_size=100)
            if not SaleOrder.search_count(
                SaleOrder._get_subscriptions_to_invoice_domain()
            ):
                break
        moves = self.env["account.move"].search(
            [
                ("company_id", "=", company.id),
                ("move_type", "in", ("out_invoice", "out_refund")),
                ("state", "=", "posted"),
                ("subscription_id", "!=", False),
            ]
        )
        self.assertGreater(len(moves), 100)
        failures = {}
        for move in moves:
            if found := move._get_facturx_failures():
                failures[move.name] = found
        self.assertEqual(failures, {})
