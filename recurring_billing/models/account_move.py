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
    recurring_usage_ids = fields.One2many(
        "recurring.usage", "move_id", string="Billed Usage", readonly=True
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

    # ------------------------------------------------------------
    # BUSINESS METHODS
    # ------------------------------------------------------------

    def _get_mail_template(self):
        """Subscription invoices are sent with their subscription's template."""
        templates = {
            move.subscription_id._get_subscription_mail_template("invoice")
            for move in self
            if move.subscription_id and move.move_type == "out_invoice"
        }
        if len(templates) == 1 and len(self.subscription_id) == len(self):
            template = templates.pop()
            if template:
                return template
        return super()._get_mail_template()

    def _invoice_paid_hook(self):
        res = super()._invoice_paid_hook()
        for move in self.filtered(
            lambda m: m.subscription_id and m.move_type == "out_invoice"
        ):
            mail_template = move.subscription_id._get_subscription_mail_template(
                "payment"
            )
            if mail_template:
                move.with_context(force_send=True).message_post_with_source(
                    mail_template,
                    email_layout_xmlid="mail.mail_notification_layout",
                    subtype_xmlid="mail.mt_comment",
                )
        return res
