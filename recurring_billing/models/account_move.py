# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import fields, models


class AccountMove(models.Model):
    _inherit = "account.move"

    subscription_id = fields.Many2one(
        "sale.order",
        string="Subscription",
        index="btree_not_null",
        copy=False,
        readonly=True,
        check_company=True,
        ondelete="restrict",
    )
    subscription_period_start = fields.Date(
        string="Billing Period Start", copy=False, readonly=True
    )
    subscription_period_end = fields.Date(
        string="Billing Period End", copy=False, readonly=True
    )

    def init(self):
        res = super().init()
        # One live invoice per subscription and period, whatever runs the job
        # and however often: the database, not Python, has the last word.
        self.env.cr.execute(
            """
            CREATE UNIQUE INDEX IF NOT EXISTS account_move_subscription_period_uniq
                ON account_move (subscription_id, subscription_period_start)
             WHERE subscription_id IS NOT NULL
               AND move_type = 'out_invoice'
               AND state != 'cancel'
            """
        )
        return res
