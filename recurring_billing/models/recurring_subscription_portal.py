# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import logging
import math
import secrets

from markupsafe import Markup

from odoo import SUPERUSER_ID, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import email_normalize, format_date

from .recurring_cancel_request import LINK_VALIDITY, _hash_token

_logger = logging.getLogger(__name__)

# Quantities a subscriber may set on the customer portal.
PORTAL_MAX_QUANTITY = 9999


class RecurringSubscriptionPortal(models.AbstractModel):
    """What a subscriber may do by themselves on the customer portal. Each
    action checks the template's rules, then runs the back office's own
    method (the Change wizard's, the Pause, Resume and Cancel buttons'), is
    logged in the chatter and emails the subscriber."""

    _name = "recurring.subscription.portal"
    _description = "Subscription Self-Service"

    # ------------------------------------------------------------
    # BUSINESS METHODS: WHAT THE SUBSCRIBER MAY DO
    # ------------------------------------------------------------

    @api.model
    def _get_portal_subscriptions_domain(self, partner):
        """The subscriptions of ``partner``'s commercial entity."""
        return [
            ("is_subscription", "=", True),
            ("subscription_state", "not in", (False, "draft")),
            ("partner_id", "child_of", partner.commercial_partner_id.id),
        ]

    def _portal_can_change(self):
        self.ensure_one()
        # A subscriber changes a subscription that goes on, not one closing.
        return (
            self.subscription_state in self._get_changeable_states()
            and self.subscription_state != "to_close"
            and bool(self._get_portal_change_products())
        )

    def _portal_can_pause(self):
        self.ensure_one()
        return (
            self.subscription_state in self._get_pausable_states()
            and self.sudo().sale_order_template_id.pausable
        )

    def _portal_can_resume(self):
        self.ensure_one()
        return (
            self.subscription_state == "paused"
            and self.sudo().sale_order_template_id.pausable
        )

    def _portal_can_cancel(self):
        self.ensure_one()
        return self.subscription_state in self._get_cancellable_states()

    def _portal_is_customer(self, user):
        """Whether ``user`` is logged in as this subscription's customer: a
        user of its commercial entity (the customer or one of its contacts).
        Only they may change the subscription, its billing details and its
        payment method; a visitor with the access token alone (a forwarded
        email, a shared mailbox) may read it, pay its invoices and ask for
        its cancellation, confirmed from the customer's mailbox."""
        self.ensure_one()
        return bool(
            user
            and not user._is_public()
            and user.partner_id.commercial_partner_id
            == self.sudo().partner_id.commercial_partner_id
        )

    def _portal_can_update_payment_method(self):
        """A subscription that still has invoices to come or to pay."""
        self.ensure_one()
        return self.subscription_state in self._get_running_states()

    def _get_portal_change_products(self):
        """``{product: (current quantity, minimum quantity)}`` of what the
        subscriber may change: the quantities of the subscription products
        on the subscription (at least one each) and the add-ons of its
        quotation template (which may go back to zero). Usage products are
        measured, not chosen."""
        self.ensure_one()
        lines = self._get_recurring_lines().filtered(
            lambda line: not line.product_id.recurring_usage
        )
        addons = self._get_addon_products().filtered(
            lambda product: not product.recurring_usage
        )
        products = {}
        for product in lines.product_id | addons:
            quantity = sum(
                lines.filtered(lambda line, p=product: line.product_id == p).mapped(
                    "product_uom_qty"
                )
            )
            if not quantity and product not in addons:
                # A product left at zero by a change of offer.
                continue
            minimum = 0.0 if product in addons else 1.0
            products[product] = (quantity, minimum)
        return products

    def _get_portal_offers(self):
        """The subscription's offer and the offers its template lets the
        subscriber switch to (``switch_product_ids``).

        :return: ``(current product, its quantity, offers)``, the current
            product among the offers; an empty product and offers when the
            subscription has no line of a listed offer or nothing to switch to
        """
        self.ensure_one()
        Product = self.env["product.product"]
        offers = self.sale_order_template_id.switch_product_ids.filtered(
            lambda product: product.recurring_invoice and not product.recurring_usage
        )
        lines = self._get_recurring_lines().filtered(
            lambda line: line.product_uom_qty > 0
        )
        current = lines.product_id.filtered(lambda product: product in offers)[:1]
        # An offer already on the subscription beside the current one is
        # changed by its quantity, not switched to.
        offers -= lines.product_id - current
        if not current or not offers - current:
            return Product, 0.0, Product
        quantity = sum(
            lines.filtered(lambda line: line.product_id == current).mapped(
                "product_uom_qty"
            )
        )
        return current, quantity, offers

    def _get_portal_offer_prices(self, offers):
        """``{product: untaxed price of one unit for one period}`` of
        ``offers``, priced as the engine would add them to this subscription."""
        self.ensure_one()
        SaleOrderLine = self.env["sale.order.line"]
        prices = {}
        for product in offers:
            line = SaleOrderLine.new({"order_id": self.id, "product_id": product.id})
            prices[product] = line._get_recurring_period_amount(1.0) * (
                1 - line.discount / 100.0
            )
        return prices

    def _portal_check_quantities(self, quantities, offer=None):
        """Only what the template allows: the products of
        :meth:`_get_portal_change_products`, whole quantities within their
        bounds, and ``offer`` among :meth:`_get_portal_offers`. Raise a
        UserError otherwise.

        :param offer: the offer to switch to (a product.product), if any: the
            current offer goes to zero and ``offer`` takes its quantity (the
            one asked, or the current one)
        :return: the quantities that differ from the current ones
        """
        self.ensure_one()
        allowed = self._get_portal_change_products()
        changes = {}
        for product, quantity in quantities.items():
            if product not in allowed:
                raise UserError(
                    self.env._(
                        "%(product)s cannot be changed on subscription %(order)s.",
                        product=product.display_name,
                        order=self.name,
                    )
                )
            current, minimum = allowed[product]
            if (
                not isinstance(quantity, int | float)
                or not math.isfinite(quantity)
                or quantity != int(quantity)
                or not minimum <= quantity <= PORTAL_MAX_QUANTITY
            ):
                raise ValidationError(
                    self.env._(
                        "The quantity of %(product)s must be a whole number "
                        "from %(minimum)s to %(maximum)s.",
                        product=product.display_name,
                        minimum=int(minimum),
                        maximum=PORTAL_MAX_QUANTITY,
                    )
                )
            if quantity != current:
                changes[product] = float(quantity)
        if offer:
            current_offer, offer_quantity, offers = self._get_portal_offers()
            if offer not in offers:
                raise UserError(
                    self.env._(
                        "This offer cannot be chosen for subscription %(order)s.",
                        order=self.name,
                    )
                )
            if offer != current_offer:
                new_quantity = changes.pop(current_offer, offer_quantity)
                changes[current_offer] = 0.0
                changes[offer] = new_quantity
        if not changes:
            raise UserError(self.env._("Change at least one quantity."))
        return changes

    # ------------------------------------------------------------
    # BUSINESS METHODS: ACTIONS OF THE SUBSCRIBER
    # ------------------------------------------------------------

    def _portal_as_company(self):
        """This subscription as the back office runs it: an action of a
        subscriber may invoice, credit and post like the Change wizard or
        the lifecycle buttons of a sales administrator."""
        self.ensure_one()
        return self.with_user(SUPERUSER_ID).with_company(self.company_id)

    def _portal_preview_change(self, quantities, offer=None):
        """The engine's prorated preview of a change the subscriber asks."""
        self.ensure_one()
        changes = self._portal_check_quantities(quantities, offer)
        order = self._portal_as_company()
        return order._preview_subscription_change(changes)

    def _portal_change(self, quantities, partner, offer=None):
        """Apply a change as the Change wizard does, ``offer`` replacing the
        subscription's offer if given.

        :return: the change order, or an empty recordset
        """
        self.ensure_one()
        if not self._portal_can_change():
            raise UserError(
                self.env._(
                    "Subscription %(order)s cannot be changed now.", order=self.name
                )
            )
        changes = self._portal_check_quantities(quantities, offer)
        order = self._portal_as_company()
        change_order = order._subscription_change(changes)
        order._portal_log(
            self.env._("Changed by the customer on the customer portal."), partner
        )
        order._send_portal_mail(
            "recurring_billing.mail_template_subscription_portal_changed"
        )
        return change_order

    def _portal_pause(self, partner):
        self.ensure_one()
        if not self._portal_can_pause():
            raise UserError(
                self.env._(
                    "Subscription %(order)s cannot be paused by its customer.",
                    order=self.name,
                )
            )
        order = self._portal_as_company()
        order.action_subscription_pause()
        order._portal_log(
            self.env._("Paused by the customer on the customer portal."), partner
        )

    def _portal_resume(self, partner):
        self.ensure_one()
        if not self._portal_can_resume():
            raise UserError(
                self.env._(
                    "Subscription %(order)s cannot be resumed by its customer.",
                    order=self.name,
                )
            )
        order = self._portal_as_company()
        order.action_subscription_resume()
        order._portal_log(
            self.env._("Resumed by the customer on the customer portal."), partner
        )

    def _get_portal_payment_tokens(self):
        """The customer's other saved payment methods that may pay this
        subscription, to choose from on the portal."""
        self.ensure_one()
        tokens = (
            self.env["payment.token"]
            .sudo()
            ._get_available_tokens(None, self.partner_id.id, is_validation=True)
        )
        return tokens.filtered(
            lambda token: token != self.payment_token_id
            and not self._recurring_check_token(token)
        )

    def _portal_set_payment_token(self, token, partner):
        """Make ``token`` the payment method of this subscription, as its
        customer asked on the portal (a method saved through Odoo's payment
        form, or another of their saved methods), and tell them by email."""
        self.ensure_one()
        if not self._portal_can_update_payment_method():
            raise UserError(
                self.env._(
                    "The payment method of subscription %(order)s cannot be "
                    "changed: it is %(state)s.",
                    order=self.name,
                    state=self._subscription_state_label(),
                )
            )
        message = self._recurring_check_token(token)
        if message:
            raise UserError(message)
        order = self._portal_as_company()
        previous = order.payment_token_id
        if previous == token:
            return
        order.payment_token_id = token.sudo()
        order._portal_log(
            self.env._(
                "Payment method replaced by the customer on the customer portal: "
                "%(old)s → %(new)s.",
                old=previous.sudo().display_name or "-",
                new=token.sudo().display_name,
            ),
            partner,
        )
        order._send_portal_mail(
            "recurring_billing.mail_template_subscription_portal_payment_method"
        )

    def _portal_payment_method_saved(self, token, partner):
        """A payment method was saved from this subscription's page (a
        ``validation`` transaction, post-processed): it becomes the
        subscription's. Called by the payment post-processing, which must go
        on for other transactions: a refusal is logged, not raised."""
        self.ensure_one()
        try:
            with self.env.cr.savepoint():
                self._portal_set_payment_token(token, partner)
        except UserError as error:
            _logger.warning(
                "Payment method %s not set on subscription %s: %s",
                token.id,
                self.id,
                error.args[0],
            )

    def _get_portal_cancellation_date(self):
        """Last day of service if the subscriber cancels today: as the Cancel
        button ends it (a trial or a paused subscription stops at once, a
        running subscription at the end of the period its notice allows)."""
        self.ensure_one()
        if self._closes_at_once_on_cancel():
            return self.company_id._get_today()
        return self._get_cancellation_end_date()

    def _portal_cancel(
        self, partner, reason=None, comment=None, channel="portal", email=None
    ):
        """Cancel at period end (or at the end of the first period the notice
        allows) as the back office's Cancel button does, and confirm it to
        the subscriber by email at once (Code de la consommation, D215-3).

        :param reason: a ``recurring.close.reason`` the subscriber chose
        :param channel: ``portal`` (logged-in or access token) or ``public``
            (the cancellation page without an account)
        """
        self.ensure_one()
        if not self._portal_can_cancel():
            raise UserError(
                self.env._(
                    "Subscription %(order)s cannot be cancelled: it is %(state)s.",
                    order=self.name,
                    state=self._subscription_state_label(),
                )
            )
        order = self._portal_as_company()
        if reason:
            order.close_reason_id = reason
        messages_before = order.message_ids
        order.action_subscription_cancel_at_period_end()
        if not order._get_subscription_mail_template("close"):
            # The law asks for a confirmation on a durable medium, whatever
            # the template says.
            order._post_subscription_mail(
                self.env["sale.order.template"]._default_mail_template("close")
            )
        body = (
            self.env._("Cancelled by the customer on the customer portal.")
            if channel == "portal"
            else self.env._(
                "Cancelled by the customer on the public cancellation page, "
                "from the link emailed to %(email)s.",
                email=email or partner.email,
            )
        )
        if reason:
            body += " " + self.env._("Reason: %(reason)s.", reason=reason.name)
        if comment:
            body = Markup("%s<br/>%s") % (body, comment)
        order._portal_log(body, partner)
        # The confirmation leaves as soon as the cancellation is committed.
        new_messages = order.message_ids - messages_before
        mails = (
            self.env["mail.mail"]
            .sudo()
            .search(
                [
                    ("mail_message_id", "in", new_messages.ids),
                    ("state", "=", "outgoing"),
                ]
            )
        )
        mails.send_after_commit()

    def _portal_request_cancellation(self, ip_address=None):
        """A visitor with the access token alone, not logged in as the
        customer, asks to cancel: the confirmation link of the public
        cancellation page is queued to the customer's address rather than
        the subscription being cancelled, so that a forwarded email is no
        cancellation. The public page's limit applies (a few links an hour
        for one contract and address; those already sent stay valid), and
        the answer is the same either way.

        :return: the address the link goes to
        """
        self.ensure_one()
        if not self._portal_can_cancel():
            raise UserError(
                self.env._(
                    "Subscription %(order)s cannot be cancelled: it is %(state)s.",
                    order=self.name,
                    state=self._subscription_state_label(),
                )
            )
        customer = self.sudo().partner_id
        email = email_normalize(
            customer.email or customer.commercial_partner_id.email or ""
        )
        if not email:
            raise UserError(
                self.env._(
                    "No email address is known for this subscription's customer: "
                    "log in, or contact us to cancel it."
                )
            )
        cancel_request = (
            self.env["recurring.cancel.request"]
            .sudo()
            .create(
                {
                    "name": customer.name,
                    "email": email,
                    "reference": self.name,
                    "ip_address": ip_address,
                    "subscription_id": self.id,
                    "process_after": fields.Datetime.now(),
                }
            )
        )
        if cancel_request._is_link_limited(self):
            cancel_request.state = "limited"
            return email
        token = secrets.token_urlsafe(32)
        cancel_request.write(
            {
                "state": "sent",
                "token_hash": _hash_token(token),
                "expiration": fields.Datetime.now() + LINK_VALIDITY,
            }
        )
        cancel_request._queue_link(token)
        self.env.ref("mail.ir_cron_mail_scheduler_action").sudo()._trigger()
        self._portal_as_company().message_post(
            body=self.env._(
                "Cancellation requested on the customer portal through the "
                "subscription's link, without logging in: a confirmation link "
                "was emailed to %(email)s.",
                email=email,
            ),
            subtype_xmlid="mail.mt_note",
        )
        return email

    # ------------------------------------------------------------
    # BUSINESS METHODS: HISTORY
    # ------------------------------------------------------------

    def _get_portal_invoices(self):
        """The posted invoices and credit notes of this subscription and of
        its change orders, newest first."""
        self.ensure_one()
        return (
            self.env["account.move"]
            .sudo()
            .search(
                [
                    "|",
                    ("subscription_id", "=", self.id),
                    ("line_ids.sale_line_ids.order_id", "=", self.id),
                    ("move_type", "in", ("out_invoice", "out_refund")),
                    ("state", "=", "posted"),
                ],
                order="invoice_date desc, id desc",
            )
        )

    def _portal_log(self, body, partner):
        """A note in the chatter, written by the subscriber."""
        self.ensure_one()
        self.message_post(
            body=body,
            author_id=partner.id,
            message_type="comment",
            subtype_xmlid="mail.mt_note",
        )

    def _send_portal_mail(self, xmlid):
        mail_template = self.env.ref(xmlid, raise_if_not_found=False)
        if mail_template:
            self._post_subscription_mail(mail_template)

    def _get_portal_next_invoice_amount(self):
        """The amount, taxes included, of the next period invoice, as the
        recurring amount's lines are taxed; usage is not known in advance."""
        self.ensure_one()
        if (
            not self.next_invoice_date
            or self.subscription_state not in self._get_billable_states()
        ):
            return False
        if (
            self.subscription_state == "to_close"
            and self.subscription_end_date
            and self.next_invoice_date > self.subscription_end_date
            and self.recurring_invoicing_mode == "prepaid"
        ):
            return False
        total = 0.0
        for line in self._get_recurring_lines():
            if line.product_id.recurring_usage or not line.product_uom_qty:
                continue
            price = line._get_recurring_period_amount(line.product_uom_qty) * (
                1 - line.discount / 100.0
            )
            taxes = line.tax_id.compute_all(
                price, self.currency_id, 1.0, line.product_id, self.partner_id
            )
            total += taxes["total_included"]
        return self.currency_id.round(total)

    def _get_portal_period_label(self):
        """The billing period running today, for the subscription page."""
        self.ensure_one()
        if self.subscription_state not in self._get_mrr_states():
            return ""
        today = self.company_id._get_today()
        try:
            start, end = self._get_period_at(today)[:2]
        except UserError:
            return ""
        return self.env._(
            "%(start)s to %(end)s",
            start=format_date(self.env, start),
            end=format_date(self.env, end),
        )
