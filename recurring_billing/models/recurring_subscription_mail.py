# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import api, models
from odoo.osv import expression


class RecurringSubscriptionMail(models.AbstractModel):
    """The emails a subscriber receives, and the reminders' job."""

    _name = "recurring.subscription.mail"
    _description = "Subscription Communications"

    # ------------------------------------------------------------
    # BUSINESS METHODS: COMMUNICATIONS
    # ------------------------------------------------------------

    def _get_subscription_mail_template(self, kind):
        """The mail template of ``kind`` for this subscription; empty if off."""
        self.ensure_one()
        template = self.sale_order_template_id
        if template:
            return template[f"{kind}_mail_template_id"]
        return self.env["sale.order.template"]._default_mail_template(kind)

    def _send_subscription_mail(self, kind):
        for order in self:
            mail_template = order._get_subscription_mail_template(kind)
            if mail_template:
                order._send_order_notification_mail(mail_template)

    @api.model
    def _cron_subscription_reminders(self, batch_size=200):
        """Remind customers of a trial ending and of a fixed term renewing."""
        trials = self.search(
            expression.AND(
                [
                    [
                        ("subscription_state", "=", "trial"),
                        ("trial_reminder_sent", "=", False),
                    ],
                    self.env["res.company"]._get_today_domain(
                        "trial_reminder_date", "<="
                    ),
                ]
            ),
            limit=batch_size,
        )
        renewals = self.search(
            expression.AND(
                [
                    [
                        ("subscription_state", "=", "active"),
                        ("renewal_reminder_sent", "=", False),
                    ],
                    self.env["res.company"]._get_today_domain(
                        "renewal_reminder_date", "<="
                    ),
                    self.env["res.company"]._get_today_domain(
                        "subscription_end_date", ">="
                    ),
                ]
            ),
            limit=batch_size,
        )
        for order in trials:
            order._send_subscription_mail("trial")
        trials.trial_reminder_sent = True
        for order in renewals:
            order._send_subscription_mail("renewal")
        renewals.renewal_reminder_sent = True
        done = len(trials) + len(renewals)
        self.env["ir.cron"]._notify_progress(
            done=done, remaining=batch_size if done >= batch_size else 0
        )
