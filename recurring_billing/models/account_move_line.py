# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import models


class AccountMoveLine(models.Model):
    _inherit = "account.move.line"

    # ------------------------------------------------------------
    # BUSINESS METHODS
    # ------------------------------------------------------------

    def _get_fr_report_sign(self):
        """-1 for a line whose unit price is negative (a discount, or a
        credit note's line that Odoo stores as −1 × −54.00): the invoice
        prints it with a positive price and the opposite quantity, as its
        Factur-X does (see ``account.edi.xml.cii._set_fr_positive_prices``)."""
        self.ensure_one()
        return -1 if self._get_fr_report_price_unit(signed=True) < 0 else 1

    def _get_fr_report_quantity(self):
        self.ensure_one()
        return self.quantity * self._get_fr_report_sign()

    def _get_fr_report_price_unit(self, signed=False):
        """Unit price before VAT and before discount (CGI art. 242 nonies A),
        also when the line's taxes are included in its price."""
        self.ensure_one()
        price = self.price_unit
        if self.tax_ids.filtered("price_include") and self.quantity:
            if self.discount != 100.0:
                price = self.price_subtotal / self.quantity / (1 - self.discount / 100)
            else:
                price = self.tax_ids.compute_all(
                    self.price_unit,
                    currency=self.currency_id,
                    product=self.product_id,
                    partner=self.partner_id,
                )["total_excluded"]
        if signed:
            return price
        return abs(price)

    def _get_fr_tax_labels(self):
        """The line's taxes as the totals print their groups: "TVA 5,5 %"."""
        self.ensure_one()
        return ", ".join(
            self.move_id._format_fr_rate_label(tax.tax_group_id.name or tax.name)
            for tax in self.tax_ids
        )
