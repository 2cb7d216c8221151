# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from itertools import pairwise

from odoo import api, fields, models
from odoo.exceptions import ValidationError


class RecurringDunningLevel(models.Model):
    _name = "recurring.dunning.level"
    _description = "Dunning Level"
    _order = "sequence, delay_days, id"
    _check_company_auto = True

    # ------------------------------------------------------------
    # FIELDS
    # ------------------------------------------------------------

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(
        default=10,
        help="Order of the levels: a later level must wait more days than the "
        "one before it.",
    )
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company",
        required=True,
        index=True,
        default=lambda self: self.env.company,
    )
    delay_days = fields.Integer(
        string="Days After Due Date",
        required=True,
        help="The level is reached when a subscription invoice is still unpaid "
        "this many days after its due date.",
    )
    action = fields.Selection(
        [
            ("reminder", "Send a reminder"),
            ("retry", "Retry the payment and send a reminder"),
            ("suspend", "Suspend the subscription and notify the customer"),
        ],
        required=True,
        default="reminder",
        help="Send a reminder: email only.\n"
        "Retry the payment: charge the saved payment method again, then email.\n"
        "Suspend: pause the subscription until the invoice is paid, then email.",
    )
    mail_template_id = fields.Many2one(
        "mail.template",
        string="Email Template",
        domain="[('model', '=', 'account.move')]",
        ondelete="set null",
        help="Email sent to the customer when the invoice reaches this level. "
        "Leave empty to send nothing.",
    )

    # ------------------------------------------------------------
    # SQL CONSTRAINTS
    # ------------------------------------------------------------

    _sql_constraints = [
        (
            "company_delay_uniq",
            "UNIQUE(company_id, delay_days)",
            "Two dunning levels of the same company cannot have the same "
            "number of days after the due date.",
        ),
    ]

    # ------------------------------------------------------------
    # CONSTRAINT METHODS
    # ------------------------------------------------------------

    @api.constrains("delay_days")
    def _check_delay_days(self):
        for level in self:
            if level.delay_days < 0:
                raise ValidationError(
                    self.env._(
                        "Dunning level %(level)s: the number of days after the "
                        "due date cannot be negative.",
                        level=level.name,
                    )
                )

    @api.constrains("sequence", "delay_days", "company_id", "active")
    def _check_delay_order(self):
        """Within a company, each level waits strictly longer than the one
        before it, so that the levels are reached in their order."""
        levels = (
            self.sudo()
            .with_context(active_test=True)
            .search(
                [("company_id", "in", self.company_id.ids)],
                order="company_id, sequence, delay_days, id",
            )
        )
        for company, company_levels in levels.grouped("company_id").items():
            for previous, level in pairwise(company_levels):
                if level.delay_days <= previous.delay_days:
                    raise ValidationError(
                        self.env._(
                            "In company %(company)s, dunning level %(level)s "
                            "comes after level %(previous)s and must therefore "
                            "wait more days after the due date (%(days)s days "
                            "is not more than %(previous_days)s days). Reorder "
                            "the levels or change their delays.",
                            company=company.name,
                            level=level.name,
                            previous=previous.name,
                            days=level.delay_days,
                            previous_days=previous.delay_days,
                        )
                    )
