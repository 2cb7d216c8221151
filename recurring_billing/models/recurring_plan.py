# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import api, fields, models
from odoo.exceptions import ValidationError

from ..tools import next_boundary, previous_boundary


class RecurringPlan(models.Model):
    _name = "recurring.plan"
    _description = "Recurring Plan"
    _order = "sequence, id"
    _check_company_auto = True

    # ------------------------------------------------------------
    # FIELDS
    # ------------------------------------------------------------

    name = fields.Char(required=True, translate=True)
    active = fields.Boolean(default=True)
    sequence = fields.Integer(default=10)
    company_id = fields.Many2one("res.company", index=True)
    billing_period_value = fields.Integer(
        string="Billing Every",
        required=True,
        default=1,
        help="Number of units between two invoices.",
    )
    billing_period_unit = fields.Selection(
        [
            ("day", "Days"),
            ("week", "Weeks"),
            ("month", "Months"),
            ("year", "Years"),
        ],
        string="Billing Unit",
        required=True,
        default="month",
    )
    billing_period_display = fields.Char(
        string="Billing Period", compute="_compute_billing_period_display"
    )

    # ------------------------------------------------------------
    # COMPUTE METHODS
    # ------------------------------------------------------------

    @api.depends("billing_period_value", "billing_period_unit")
    def _compute_billing_period_display(self):
        for plan in self:
            plan.billing_period_display = plan._get_period_label()

    # ------------------------------------------------------------
    # CONSTRAINT METHODS
    # ------------------------------------------------------------

    @api.constrains("billing_period_value")
    def _check_billing_period_value(self):
        for plan in self:
            if plan.billing_period_value <= 0:
                raise ValidationError(
                    self.env._(
                        "The billing period of plan %(plan)s must be at least one "
                        "day, week, month or year.",
                        plan=plan.name,
                    )
                )

    # ------------------------------------------------------------
    # BUSINESS METHODS
    # ------------------------------------------------------------

    def _get_period_label(self):
        """'Every month', 'Every 3 months'..., in the user's language."""
        self.ensure_one()
        value, unit = self.billing_period_value, self.billing_period_unit
        if value == 1:
            return {
                "day": self.env._("Every day"),
                "week": self.env._("Every week"),
                "month": self.env._("Every month"),
                "year": self.env._("Every year"),
            }.get(unit, "")
        return {
            "day": self.env._("Every %(count)s days", count=value),
            "week": self.env._("Every %(count)s weeks", count=value),
            "month": self.env._("Every %(count)s months", count=value),
            "year": self.env._("Every %(count)s years", count=value),
        }.get(unit, "")

    def _get_months_per_period(self):
        """How many months one period lasts: 12 for a yearly plan, 12 / 52
        for a weekly one, 12 / 365 for a daily one."""
        self.ensure_one()
        value = self.billing_period_value
        return {
            "day": value * 12 / 365,
            "week": value * 12 / 52,
            "month": value,
            "year": value * 12,
        }[self.billing_period_unit]

    def _next_boundary(self, day, anchor_day=None, calendar_aligned=False):
        """Start of the period that follows the one containing ``day``."""
        self.ensure_one()
        return next_boundary(
            day,
            self.billing_period_value,
            self.billing_period_unit,
            anchor_day=anchor_day,
            calendar_aligned=calendar_aligned,
        )

    def _previous_boundary(self, day, anchor_day=None, calendar_aligned=False):
        """Start of the period that precedes the one starting on ``day``."""
        self.ensure_one()
        return previous_boundary(
            day,
            self.billing_period_value,
            self.billing_period_unit,
            anchor_day=anchor_day,
            calendar_aligned=calendar_aligned,
        )
