# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import api, fields, models
from odoo.exceptions import ValidationError


class RecurringPublicEngagement(models.Model):
    """An engagement (commitment) number of a public-sector buyer, valid for
    a range of dates: a multi-year subscription may hold several successive
    ones. Each invoice of the subscription carries the engagement that covers
    its billing period (BT-13 of the Factur-X)."""

    _name = "recurring.public.engagement"
    _description = "Public Buyer Engagement Number"
    _order = "order_id, date_start, id"
    _check_company_auto = True

    # ------------------------------------------------------------
    # FIELDS
    # ------------------------------------------------------------

    order_id = fields.Many2one(
        "sale.order",
        string="Subscription",
        required=True,
        index=True,
        ondelete="cascade",
        check_company=True,
    )
    company_id = fields.Many2one(related="order_id.company_id", store=True)
    name = fields.Char(
        string="Engagement Number",
        required=True,
        help='The buyer\'s legal commitment number ("engagement juridique" in '
        "Chorus Pro), BT-13 of the invoices.",
    )
    date_start = fields.Date(string="Valid From", required=True)
    date_end = fields.Date(
        string="Valid Until", help="Empty: valid until a next engagement starts."
    )

    # ------------------------------------------------------------
    # SQL CONSTRAINTS
    # ------------------------------------------------------------

    _sql_constraints = [
        (
            "date_range_check",
            "CHECK (date_end IS NULL OR date_end >= date_start)",
            "An engagement ends on or after the day it starts.",
        ),
    ]

    # ------------------------------------------------------------
    # CONSTRAINTS
    # ------------------------------------------------------------

    @api.constrains("order_id", "date_start", "date_end")
    def _check_no_overlap(self):
        for engagement in self:
            for other in engagement.order_id.fr_engagement_ids - engagement:
                if engagement._overlaps(other):
                    raise ValidationError(
                        self.env._(
                            "The engagements %(first)s and %(second)s of "
                            "%(order)s cover the same days: each invoice date "
                            "must fall in one engagement only.",
                            first=engagement.name,
                            second=other.name,
                            order=engagement.order_id.display_name,
                        )
                    )

    # ------------------------------------------------------------
    # BUSINESS METHODS
    # ------------------------------------------------------------

    def _covers(self, day):
        self.ensure_one()
        return self.date_start <= day and (not self.date_end or day <= self.date_end)

    def _overlaps(self, other):
        self.ensure_one()
        return (not other.date_end or self.date_start <= other.date_end) and (
            not self.date_end or other.date_start <= self.date_end
        )
