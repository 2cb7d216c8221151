# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from datetime import timedelta

from odoo import api, fields, models
from odoo.osv import expression


class PaymentToken(models.Model):
    _inherit = "payment.token"

    # ------------------------------------------------------------
    # FIELDS
    # ------------------------------------------------------------

    # Only what the card network makes public: no card data beyond Odoo's
    # token (the last digits in payment_details) is stored.
    expiry_date = fields.Date(
        string="Expires On",
        help="Last day the saved card can be used (the end of its expiry "
        "month). Empty for a payment method that does not expire.",
    )
    expiry_reminder_sent = fields.Boolean(
        copy=False,
        help="The customer was asked to replace the card before it expires.",
    )
    subscription_ids = fields.One2many(
        "sale.order", "payment_token_id", string="Subscriptions", readonly=True
    )

    # ------------------------------------------------------------
    # CONSTRAINT METHODS
    # ------------------------------------------------------------

    @api.constrains("partner_id")
    def _check_partner_is_never_public(self):
        """Override of `payment`: the payment method saved by the payment of
        an online signup is the public partner's for the time it takes to
        create the customer, in the same database transaction (see
        ``payment.transaction._process_notification_data``)."""
        if self.env.context.get("recurring_signup_tokenize"):
            return
        return super()._check_partner_is_never_public()

    # ------------------------------------------------------------
    # CRUD METHODS
    # ------------------------------------------------------------

    def write(self, vals):
        if "expiry_date" in vals and "expiry_reminder_sent" not in vals:
            # A new expiry date (the card was renewed): remind again in time.
            vals = dict(vals, expiry_reminder_sent=False)
        return super().write(vals)

    # ------------------------------------------------------------
    # BUSINESS METHODS
    # ------------------------------------------------------------

    def _recurring_get_mandate_reference(self):
        """The reference of the direct debit mandate behind this token, as the
        customer's bank knows it; provider modules say where they keep it."""
        self.ensure_one()
        return ""

    @api.model
    def _get_expiry_reminder_domain(self):
        """Active cards paying a live subscription, expiring within their
        company's reminder delay and not reminded yet."""
        companies = self.env["res.company"].sudo().search([])
        return expression.AND(
            [
                [
                    ("expiry_date", "!=", False),
                    ("expiry_reminder_sent", "=", False),
                    (
                        "subscription_ids.subscription_state",
                        "in",
                        self.env["sale.order"]._get_running_states(),
                    ),
                ],
                expression.OR(
                    [
                        [
                            ("company_id", "=", company.id),
                            (
                                "expiry_date",
                                "<=",
                                company._get_today()
                                + timedelta(days=company.card_expiry_reminder_days),
                            ),
                        ]
                        for company in companies
                    ]
                    or [expression.FALSE_DOMAIN]
                ),
            ]
        )

    @api.model
    def _cron_card_expiry_reminders(self, batch_size=200):
        """Ask the customers whose card expires soon to replace it, one batch
        per call; the email goes to each live subscription the card pays."""
        tokens = self.search(self._get_expiry_reminder_domain(), limit=batch_size)
        mail_template = self.env.ref(
            "recurring_billing.mail_template_card_expiry", raise_if_not_found=False
        )
        running_states = self.env["sale.order"]._get_running_states()
        for token in tokens:
            subscriptions = token.subscription_ids.filtered(
                lambda sub: sub.subscription_state in running_states
            )
            if mail_template:
                for subscription in subscriptions:
                    subscription._post_subscription_mail(mail_template)
        tokens.expiry_reminder_sent = True
        self.env["ir.cron"]._notify_progress(
            done=len(tokens),
            remaining=self.search_count(self._get_expiry_reminder_domain()),
        )
