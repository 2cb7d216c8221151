# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import SUPERUSER_ID, api, models
from odoo.osv import expression

from ..tools.mail import post_template_message


class RecurringSubscriptionMail(models.AbstractModel):
    """The emails a subscriber receives, and the reminders' job."""

    _name = "recurring.subscription.mail"
    _description = "Subscription Communications"

    # ------------------------------------------------------------
    # BUSINESS METHODS: COMMUNICATIONS
    # ------------------------------------------------------------

    def _get_subscription_mail_template(self, kind):
        """The mail template of ``kind`` for this subscription; empty if off.

        Whoever may act on the subscription may send its emails: a billing
        user who registers a payment may not read quotation templates, so the
        template's choice is read as superuser; the mail template itself is
        returned in the caller's environment.
        """
        self.ensure_one()
        template = self.sudo().sale_order_template_id
        if template:
            mail_template = template[f"{kind}_mail_template_id"]
        else:
            mail_template = self.env["sale.order.template"]._default_mail_template(kind)
        return mail_template.sudo(False)

    def _send_subscription_mail(self, kind):
        for order in self:
            mail_template = order._get_subscription_mail_template(kind)
            if mail_template:
                order._post_subscription_mail(mail_template)

    def _post_subscription_mail(self, mail_template):
        """Post ``mail_template`` in the chatter of this record (a subscription
        or one of its invoices). The email is queued for Odoo's mail queue,
        never sent inside the business transaction that posts it."""
        self.ensure_one()
        record = self.with_user(SUPERUSER_ID) if self.env.su else self
        author = record.env.user.partner_id
        values = {}
        if not author.email:
            # A salesperson without an email address acts for the company:
            # the email is sent in the company's name, from its address.
            author = self.company_id.partner_id
            # Both, or the composer computes neither (one compute sets both).
            values = {"author_id": author.id, "email_from": author.email_formatted}
        if not author.email:
            # A note, which needs no sender address.
            record._message_log(
                body=self.env._(
                    "The email “%(subject)s” was not sent: neither the user nor "
                    "the company has an email address to send it from.",
                    subject=mail_template.name,
                )
            )
            return
        post_template_message(
            record,
            mail_template,
            email_layout_xmlid="mail.mail_notification_layout_with_responsible_signature",
            **values,
        )

    @api.model
    def _get_trial_reminder_domain(self):
        """Trials whose reminder is due today (each company's own today)."""
        return expression.AND(
            [
                [
                    ("subscription_state", "=", "trial"),
                    ("trial_reminder_sent", "=", False),
                ],
                self.env["res.company"]._get_today_domain("trial_reminder_date", "<="),
            ]
        )

    @api.model
    def _get_renewal_reminder_domain(self):
        """Fixed terms that renew by themselves and whose renewal reminder is
        due today: a term that will not renew has nothing to remind."""
        companies = self.env["res.company"]
        return expression.AND(
            [
                [
                    ("subscription_state", "=", "active"),
                    ("renewal_reminder_sent", "=", False),
                    ("sale_order_template_id.term_type", "=", "fixed"),
                    ("sale_order_template_id.auto_renew", "=", True),
                ],
                companies._get_today_domain("renewal_reminder_date", "<="),
                companies._get_today_domain("subscription_end_date", ">="),
            ]
        )

    @api.model
    def _cron_subscription_reminders(self, batch_size=200):
        """Remind customers of a trial ending and of a fixed term renewing,
        one batch per call."""
        trials = self.search(self._get_trial_reminder_domain(), limit=batch_size)
        renewals = self.browse()
        if len(trials) < batch_size:
            renewals = self.search(
                self._get_renewal_reminder_domain(), limit=batch_size - len(trials)
            )
        for order in trials:
            order._send_subscription_mail("trial")
        trials.trial_reminder_sent = True
        for order in renewals:
            order._send_subscription_mail("renewal")
        renewals.renewal_reminder_sent = True
        self.env["ir.cron"]._notify_progress(
            done=len(trials) + len(renewals),
            remaining=self.search_count(self._get_trial_reminder_domain())
            + self.search_count(self._get_renewal_reminder_domain()),
        )
