# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import calendar
from datetime import date

from odoo import models


class PaymentToken(models.Model):
    _inherit = "payment.token"

    # ------------------------------------------------------------
    # BUSINESS METHODS
    # ------------------------------------------------------------

    def _recurring_get_mandate_reference(self):
        reference = super()._recurring_get_mandate_reference()
        if self.provider_code != "stripe":
            return reference
        return self.stripe_mandate or reference

    def _recurring_stripe_apply_payment_method(self, payment_method):
        """Update the token from Stripe's PaymentMethod object: the card's
        expiry and last digits (a card network may renew a card and tell
        Stripe). Nothing else of the card is kept.

        :param dict payment_method: a Stripe PaymentMethod
        :return: whether something changed
        """
        self.ensure_one()
        card = payment_method.get("card")
        if payment_method.get("type") != "card" or not isinstance(card, dict):
            return False
        values = {}
        month, year = card.get("exp_month"), card.get("exp_year")
        if month and year:
            last_day = calendar.monthrange(int(year), int(month))[1]
            expiry = date(int(year), int(month), last_day)
            if expiry != self.expiry_date:
                values["expiry_date"] = expiry
        last4 = card.get("last4")
        if last4 and last4 != self.payment_details:
            values["payment_details"] = last4
        if values:
            self.write(values)
        return bool(values)
