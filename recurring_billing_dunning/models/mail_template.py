# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import models


class MailTemplate(models.Model):
    _inherit = "mail.template"

    # ------------------------------------------------------------
    # BUSINESS METHODS
    # ------------------------------------------------------------

    def _dunning_lists_invoices(self):
        """Whether this dunning template lists the invoices of its letter
        (``object._dunning_get_letter_invoices()``): the templates of this
        module do; one edited before they did is sent once per invoice."""
        self.ensure_one()
        return "_dunning_get_letter_invoices" in (self.body_html or "")
