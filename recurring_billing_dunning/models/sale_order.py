# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import models


class SaleOrder(models.Model):
    _inherit = "sale.order"

    # ------------------------------------------------------------
    # BUSINESS METHODS
    # ------------------------------------------------------------

    def _get_overdue_subscription_invoices(self, today=None):
        """Posted invoices of these subscriptions still unpaid after their due
        date.

        :param today: the reference date; by default each company's own today
        :return: an ``account.move`` recordset
        """
        moves = self.env["account.move"]
        for orders in self.grouped("company_id").values():
            day = today or orders.company_id._get_today()
            moves |= moves.search(
                moves._get_overdue_subscription_invoices_domain(day)
                + [("subscription_id", "in", orders.ids)],
                order="invoice_date_due, id",
            )
        return moves
