# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import hashlib
import secrets
from datetime import timedelta

from odoo import api, fields, models
from odoo.tools import consteq, email_normalize

# A confirmation link is valid this long.
LINK_VALIDITY = timedelta(hours=24)
# Requests of the public cancellation page accepted per window.
RATE_LIMIT_WINDOW = timedelta(hours=1)
RATE_LIMIT_PER_IP = 10
RATE_LIMIT_PER_EMAIL = 3
# Requests are kept this long, then removed by the autovacuum.
RETENTION = timedelta(days=90)


def _hash_token(token):
    return hashlib.sha256(token.encode()).hexdigest()


class RecurringCancelRequest(models.Model):
    """A request of the public cancellation page (without a portal account):
    every request is recorded, for the rate limits; one whose name, email and
    contract reference match a running subscription gets a confirmation link,
    emailed to that address, from which the subscription is cancelled."""

    _name = "recurring.cancel.request"
    _description = "Public Cancellation Request"
    _order = "id desc"

    # ------------------------------------------------------------
    # FIELDS
    # ------------------------------------------------------------

    name = fields.Char(string="Name Given", readonly=True)
    email = fields.Char(string="Email Given", readonly=True, index=True)
    reference = fields.Char(string="Contract Reference Given", readonly=True)
    ip_address = fields.Char(readonly=True, index=True)
    subscription_id = fields.Many2one(
        "sale.order", readonly=True, ondelete="cascade", index="btree_not_null"
    )
    company_id = fields.Many2one(related="subscription_id.company_id", store=True)
    token_hash = fields.Char(readonly=True, copy=False)
    expiration = fields.Datetime(readonly=True)
    used = fields.Boolean(readonly=True, copy=False)

    # ------------------------------------------------------------
    # BUSINESS METHODS
    # ------------------------------------------------------------

    @api.model
    def _is_rate_limited(self, ip_address, email):
        """Too many requests from this address or for this email lately."""
        since = fields.Datetime.now() - RATE_LIMIT_WINDOW
        counts = dict.fromkeys(("ip", "email"), 0)
        if ip_address:
            counts["ip"] = self.search_count(
                [("ip_address", "=", ip_address), ("create_date", ">=", since)]
            )
        if email:
            counts["email"] = self.search_count(
                [("email", "=", email), ("create_date", ">=", since)]
            )
        return counts["ip"] >= RATE_LIMIT_PER_IP or counts["email"] >= (
            RATE_LIMIT_PER_EMAIL
        )

    @api.model
    def _find_subscription(self, reference, email):
        """The running subscription of ``reference`` whose customer (or its
        invoicing contact, or its company) has ``email``; empty otherwise."""
        if not reference or not email:
            return self.env["sale.order"]
        subscription = self.env["sale.order"].search(
            [
                ("name", "=ilike", reference.strip()),
                ("is_subscription", "=", True),
                (
                    "subscription_state",
                    "in",
                    self.env["sale.order"]._get_cancellable_states(),
                ),
            ],
            limit=1,
        )
        partners = (
            subscription.partner_id
            | subscription.partner_invoice_id
            | subscription.partner_id.commercial_partner_id
        )
        emails = {email_normalize(partner.email) for partner in partners} - {False}
        return subscription if email in emails else self.env["sale.order"]

    @api.model
    def _request_cancellation(self, name, email, reference, ip_address):
        """Record a request of the public page and, when it matches a
        running subscription, email the confirmation link to ``email``.
        The caller answers the same whatever happens here.

        :return: False when the request is refused by the rate limits
        """
        email = email_normalize(email or "") or (email or "").strip().lower()
        if self._is_rate_limited(ip_address, email):
            return False
        subscription = self._find_subscription(reference, email)
        vals = {
            "name": (name or "").strip()[:200],
            "email": email[:200],
            "reference": (reference or "").strip()[:100],
            "ip_address": ip_address,
        }
        if not subscription:
            self.create(vals)
            return True
        token = secrets.token_urlsafe(32)
        request = self.create(
            dict(
                vals,
                subscription_id=subscription.id,
                token_hash=_hash_token(token),
                expiration=fields.Datetime.now() + LINK_VALIDITY,
            )
        )
        request._send_link(token)
        subscription.message_post(
            body=self.env._(
                "Cancellation requested on the public cancellation page by "
                "%(name)s: a confirmation link was emailed to %(email)s.",
                name=request.name,
                email=request.email,
            ),
            subtype_xmlid="mail.mt_note",
        )
        return True

    def _send_link(self, token):
        self.ensure_one()
        mail_template = self.env.ref(
            "recurring_billing.mail_template_subscription_cancel_link"
        )
        mail_id = mail_template.with_context(
            cancel_url=self._get_confirmation_url(token)
        ).send_mail(self.id, email_layout_xmlid="mail.mail_notification_light")
        # Sent as soon as the request is saved, not at the next run of the
        # mail queue.
        self.env["mail.mail"].browse(mail_id).send_after_commit()

    def _get_confirmation_url(self, token):
        self.ensure_one()
        base_url = self.subscription_id.get_base_url()
        return f"{base_url}/subscriptions/cancel/{self.id}/{token}"

    @api.model
    def _get_valid_request(self, request_id, token):
        """The request of ``request_id`` if ``token`` is its link's, the link
        has not expired nor been used, and its subscription still runs."""
        request = self.browse(request_id).exists()
        if (
            not request
            or not token
            or not request.token_hash
            or not consteq(request.token_hash, _hash_token(token))
            or request.used
            or request.expiration < fields.Datetime.now()
            or not request.subscription_id._portal_can_cancel()
        ):
            return self.browse()
        return request

    @api.autovacuum
    def _gc_cancel_requests(self):
        self.search([("create_date", "<", fields.Datetime.now() - RETENTION)]).unlink()
