# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import hashlib
import logging
import re
import secrets
import unicodedata
from datetime import timedelta

from odoo import api, fields, models
from odoo.tools import SQL, consteq, email_normalize

from ..tools import lock_batch

_logger = logging.getLogger(__name__)

# A confirmation link is valid this long.
LINK_VALIDITY = timedelta(hours=24)
# The rate limits count over this window.
RATE_LIMIT_WINDOW = timedelta(hours=1)
# Requests from one address processed at once per window; the next ones are
# processed when the window of the oldest has passed (slowed, never refused).
RATE_LIMIT_PER_IP = 10
# Links emailed per window for one contract and one address; the next
# requests send none, and the links already sent stay valid.
RATE_LIMIT_LINKS = 3
# Requests processed per run of the job.
BATCH_SIZE = 100
# Requests are kept this long, then removed by the autovacuum.
RETENTION = timedelta(days=90)


def _hash_token(token):
    return hashlib.sha256(token.encode()).hexdigest()


def normalize_reference(reference):
    """A contract reference as compared: without spaces, in capitals."""
    return re.sub(r"\s+", "", reference or "").upper()


def normalize_name(name):
    """A name as compared: its words, without accents nor case, in any
    order ("MARTIN Paul" is "Paul Martin")."""
    text = unicodedata.normalize("NFKD", name or "")
    text = "".join(char for char in text if not unicodedata.combining(char))
    return tuple(sorted(re.findall(r"\w+", text.casefold())))


class RecurringCancelRequest(models.Model):
    """A request of the public cancellation page (without a portal account).

    The page only records it, and answers the same whatever it holds; the
    job ``_cron_process_requests`` then looks for the running subscription
    whose reference, customer email and customer name are those given, and
    queues the confirmation link to that email, from which the subscription
    is cancelled."""

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
    state = fields.Selection(
        [
            ("pending", "To Process"),
            ("unmatched", "No Matching Contract"),
            ("sent", "Link Sent"),
            ("limited", "No Link: Too Many Requests"),
            ("failed", "Failed"),
        ],
        readonly=True,
        index=True,
    )
    process_after = fields.Datetime(readonly=True)
    subscription_id = fields.Many2one(
        "sale.order", readonly=True, ondelete="cascade", index="btree_not_null"
    )
    company_id = fields.Many2one(related="subscription_id.company_id", store=True)
    token_hash = fields.Char(readonly=True, copy=False)
    expiration = fields.Datetime(readonly=True, copy=False)
    used = fields.Boolean(readonly=True, copy=False)

    # ------------------------------------------------------------
    # BUSINESS METHODS: THE PAGE
    # ------------------------------------------------------------

    @api.model
    def _request_cancellation(self, name, email, reference, ip_address):
        """Record a request of the public page, to be processed by the job.
        The same work whatever the request holds: nothing here depends on
        the contracts, so that neither the answer nor its time tells whether
        the details match one.

        :return: the request recorded
        """
        email = email_normalize(email or "") or (email or "").strip().lower()
        process_after = self._get_process_after(ip_address)
        request = self.create(
            {
                "name": (name or "").strip()[:200],
                "email": email[:200],
                "reference": (reference or "").strip()[:100],
                "ip_address": ip_address,
                "state": "pending",
                "process_after": process_after,
            }
        )
        self.env.ref("recurring_billing.ir_cron_cancel_requests").sudo()._trigger(
            at=process_after
        )
        return request

    @api.model
    def _get_process_after(self, ip_address):
        """Now, or when the window of the oldest of the last
        ``RATE_LIMIT_PER_IP`` requests from ``ip_address`` has passed."""
        now = fields.Datetime.now()
        if not ip_address:
            return now
        latest = self.search(
            [
                ("ip_address", "=", ip_address),
                ("create_date", ">=", now - RATE_LIMIT_WINDOW),
            ],
            order="create_date desc, id desc",
            limit=RATE_LIMIT_PER_IP,
        )
        if len(latest) < RATE_LIMIT_PER_IP:
            return now
        return max(now, min(latest.mapped("create_date")) + RATE_LIMIT_WINDOW)

    # ------------------------------------------------------------
    # BUSINESS METHODS: MATCHING AND LINKS
    # ------------------------------------------------------------

    @api.model
    def _find_subscriptions(self, reference, email, name):
        """The running subscriptions, in any company, whose reference is
        ``reference`` (exactly, but for spaces and case) and whose customer
        (or its invoicing contact, or its company) has ``email`` and is
        named ``name`` (or has a contact of that name with that email).
        Two companies may give the same reference to two contracts: each
        customer finds their own."""
        SaleOrder = self.env["sale.order"].sudo()
        reference = normalize_reference(reference)
        name = normalize_name(name)
        if not reference or not email or not name:
            return SaleOrder
        rows = self.env.execute_query(
            SQL(
                "SELECT id FROM sale_order WHERE upper(name) = %s "
                "AND is_subscription AND subscription_state IN %s ORDER BY id",
                reference,
                tuple(SaleOrder._get_cancellable_states()),
            )
        )
        subscriptions = SaleOrder.browse(row[0] for row in rows)
        return subscriptions.filtered(
            lambda order: self._customer_matches(order, email, name)
        )

    @api.model
    def _customer_matches(self, subscription, email, name):
        customers = (
            subscription.partner_id
            | subscription.partner_invoice_id
            | subscription.partner_id.commercial_partner_id
        )
        if email not in {email_normalize(partner.email) for partner in customers}:
            return False
        contacts = subscription.partner_id.commercial_partner_id.child_ids.filtered(
            lambda partner: email_normalize(partner.email) == email
        )
        given = "/".join(name).encode()
        return any(
            consteq("/".join(normalize_name(partner.name)).encode(), given)
            for partner in customers | contacts
        )

    def _is_link_limited(self, subscription):
        """Enough links already emailed lately for this contract to this
        address: they stay valid, no new one is sent."""
        self.ensure_one()
        sent_since = fields.Datetime.now() - RATE_LIMIT_WINDOW
        return (
            self.search_count(
                [
                    ("subscription_id", "=", subscription.id),
                    ("email", "=", self.email),
                    ("state", "=", "sent"),
                    ("expiration", ">", sent_since + LINK_VALIDITY),
                ]
            )
            >= RATE_LIMIT_LINKS
        )

    def _process(self):
        """Match this request and queue a link for each contract matched
        (one per company that has the reference for this customer).

        :return: the links queued, as ``mail.mail``
        """
        self.ensure_one()
        mails = self.env["mail.mail"]
        subscriptions = self._find_subscriptions(self.reference, self.email, self.name)
        if not subscriptions:
            self.state = "unmatched"
            return mails
        request = self
        for subscription in subscriptions:
            if request != self:
                request = self.copy()
            request.subscription_id = subscription
            if request._is_link_limited(subscription):
                request.state = "limited"
                continue
            token = secrets.token_urlsafe(32)
            request.write(
                {
                    "state": "sent",
                    "token_hash": _hash_token(token),
                    "expiration": fields.Datetime.now() + LINK_VALIDITY,
                }
            )
            mails |= request._queue_link(token)
            subscription.message_post(
                body=self.env._(
                    "Cancellation requested on the public cancellation page by "
                    "%(name)s: a confirmation link was emailed to %(email)s.",
                    name=request.name,
                    email=request.email,
                ),
                subtype_xmlid="mail.mt_note",
            )
        return mails

    def _queue_link(self, token):
        """The link's email, in Odoo's mail queue (``outgoing``)."""
        self.ensure_one()
        mail_template = self.env.ref(
            "recurring_billing.mail_template_subscription_cancel_link"
        )
        mail_id = mail_template.with_context(
            cancel_url=self._get_confirmation_url(token)
        ).send_mail(self.id, email_layout_xmlid="mail.mail_notification_light")
        return self.env["mail.mail"].browse(mail_id)

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

    # ------------------------------------------------------------
    # CRON ENTRY POINTS
    # ------------------------------------------------------------

    @api.model
    def _get_requests_to_process_domain(self):
        return [
            ("state", "=", "pending"),
            ("process_after", "<=", fields.Datetime.now()),
        ]

    @api.model
    def _cron_process_requests(self, batch_size=BATCH_SIZE):
        """Process the requests of the public page that are due: match them,
        and queue their links in the mail queue, which the mail job sends
        at once.

        :return: the links queued, as ``mail.mail``
        """
        requests = lock_batch(
            self.sudo(),
            self._get_requests_to_process_domain(),
            "process_after, id",
            batch_size,
        )
        mails = self.env["mail.mail"]
        for request in requests:
            try:
                with self.env.cr.savepoint():
                    mails |= request._process()
            except Exception:
                # Recorded, so that it leaves the requests to process.
                _logger.exception("Public cancellation request %s failed", request.id)
                request.state = "failed"
        if mails:
            self.env.ref("mail.ir_cron_mail_scheduler_action").sudo()._trigger()
        remaining = 0
        if len(requests) == batch_size:
            remaining = self.search_count(self._get_requests_to_process_domain())
        self.env["ir.cron"]._notify_progress(done=len(requests), remaining=remaining)
        return mails

    @api.autovacuum
    def _gc_cancel_requests(self):
        self.search([("create_date", "<", fields.Datetime.now() - RETENTION)]).unlink()
