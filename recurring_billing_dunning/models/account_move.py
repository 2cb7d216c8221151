# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import api, models


class AccountMove(models.Model):
    _inherit = "account.move"

    # ------------------------------------------------------------
    # BUSINESS METHODS
    # ------------------------------------------------------------

    @api.model
    def _get_overdue_subscription_invoices_domain(self, today):
        """Posted customer invoices of a subscription, not paid and past their
        due date on ``today``: the invoices the dunning process chases."""
        return [
            ("move_type", "=", "out_invoice"),
            ("state", "=", "posted"),
            ("subscription_id", "!=", False),
            ("payment_state", "in", ("not_paid", "partial")),
            ("invoice_date_due", "<", today),
        ]

    def _get_dunning_level(self, today):
        """Highest dunning level reached on ``today`` by these invoices.

        The level is the one of the invoices' company that waits the most days
        without waiting more than the most overdue of them is late. Invoices that
        are not overdue, unpaid, posted subscription invoices reach no level.

        :param today: the date to measure the delay against, in the company's
            time zone
        :return: a ``recurring.dunning.level`` record, or an empty recordset
        """
        levels = self.env["recurring.dunning.level"]
        overdue = self.filtered_domain(
            self._get_overdue_subscription_invoices_domain(today)
        )
        if not overdue:
            return levels
        company = overdue.company_id
        company.ensure_one()
        days_late = (today - min(overdue.mapped("invoice_date_due"))).days
        return levels.search(
            [("company_id", "=", company.id), ("delay_days", "<=", days_late)],
            order="delay_days desc",
            limit=1,
        )
