# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import logging
from urllib.parse import urlencode

from odoo import http
from odoo.exceptions import AccessError, MissingError, UserError, ValidationError
from odoo.http import request
from odoo.tools import format_date

from odoo.addons.portal.controllers.portal import pager as portal_pager
from odoo.addons.sale.controllers.portal import CustomerPortal

from ..models.recurring_subscription_portal import PORTAL_MAX_QUANTITY
from ..tools import parse_record_id, parse_whole_number

_logger = logging.getLogger(__name__)

# Notices shown on the subscription page after an action (?message=...).
NOTICES = (
    "changed",
    "paused",
    "resumed",
    "cancelled",
    "billing",
    "payment_method",
    "cancel_link",
    "withdrawn",
)


class SubscriptionPortal(CustomerPortal):
    """The subscriber's pages: their subscriptions, and what they may do with
    them. Every check of what is allowed is the subscription's own
    (``recurring.subscription.portal``); this controller only checks who is
    asking and renders."""

    # ------------------------------------------------------------
    # HOME AND LIST
    # ------------------------------------------------------------

    def _prepare_home_portal_values(self, counters):
        values = super()._prepare_home_portal_values(counters)
        if "subscription_count" in counters:
            SaleOrder = request.env["sale.order"]
            values["subscription_count"] = (
                SaleOrder.search_count(
                    SaleOrder._get_portal_subscriptions_domain(
                        request.env.user.partner_id
                    )
                )
                if SaleOrder.has_access("read")
                else 0
            )
        return values

    @http.route(
        ["/my/subscriptions", "/my/subscriptions/page/<int:page>"],
        type="http",
        auth="user",
        website=True,
    )
    def portal_my_subscriptions(self, page=1, **kw):
        SaleOrder = request.env["sale.order"]
        domain = SaleOrder._get_portal_subscriptions_domain(request.env.user.partner_id)
        pager = portal_pager(
            url="/my/subscriptions",
            total=SaleOrder.search_count(domain),
            page=page,
            step=self._items_per_page,
        )
        subscriptions = SaleOrder.search(
            domain,
            order="subscription_state, next_invoice_date, id desc",
            limit=self._items_per_page,
            offset=pager["offset"],
        )
        request.session["my_subscriptions_history"] = subscriptions.ids[:100]
        values = self._prepare_portal_layout_values()
        values.update(
            {
                "subscriptions": subscriptions.sudo(),
                "page_name": "subscription",
                "pager": pager,
                "default_url": "/my/subscriptions",
            }
        )
        return request.render("recurring_billing.portal_my_subscriptions", values)

    # ------------------------------------------------------------
    # A SUBSCRIPTION
    # ------------------------------------------------------------

    def _subscription_check_access(self, order_id, access_token=None):
        """The subscription ``order_id``, as superuser, if the user may read
        it (record rules) or gives its access token; MissingError for any
        other sale order."""
        order_sudo = self._document_check_access(
            "sale.order", order_id, access_token=access_token
        )
        if not order_sudo.is_subscription or order_sudo.subscription_state in (
            False,
            "draft",
        ):
            raise MissingError(request.env._("This subscription does not exist."))
        return order_sudo

    def _subscription_url(self, order_sudo, suffix="", access_token=None, **query):
        if access_token:
            query["access_token"] = access_token
        url = f"/my/subscriptions/{order_sudo.id}{suffix}"
        if query:
            url += "?" + "&".join(f"{key}={value}" for key, value in query.items())
        return url

    def _acting_partner(self, order_sudo):
        user = request.env.user
        return (
            user.partner_id
            if self._is_subscription_customer(order_sudo)
            else order_sudo.partner_id
        )

    # ------------------------------------------------------------
    # WHO ASKS: THE CUSTOMER LOGGED IN, OR A LINK'S ACCESS TOKEN
    # ------------------------------------------------------------

    def _is_subscription_customer(self, order_sudo):
        """Whether the request comes from the subscription's customer logged
        in (a user of its commercial entity). Anyone else who opened the page
        with its access token (logged out, or logged in as someone else) has
        the token's powers only, as Odoo's ``sale`` portal gives them: read,
        pay the invoices, and ask for the cancellation, which is then
        confirmed from the customer's mailbox."""
        return order_sudo._portal_is_customer(request.env.user)

    def _check_subscription_customer(self, order_sudo, access_token, suffix=""):
        """``None`` when the customer is logged in; otherwise the answer to a
        request that needs their login: the login page, back to the page of
        ``suffix``, for a visitor; the subscription page with the
        ``customer_login`` error for another account."""
        if self._is_subscription_customer(order_sudo):
            return None
        if request.env.user._is_public():
            back = self._subscription_url(order_sudo, suffix, access_token)
            return request.redirect("/web/login?" + urlencode({"redirect": back}))
        return request.redirect(
            self._subscription_url(
                order_sudo, access_token=access_token, error="customer_login"
            )
        )

    # ------------------------------------------------------------
    # MESSAGES: CODES MAPPED TO TRANSLATED TEXTS, NEVER TEXT FROM THE URL
    # ------------------------------------------------------------

    def _get_portal_error_messages(self):
        """The errors a subscription page shows for the codes of its URL
        (``?error=<code>``); any other value shows nothing."""
        env = request.env
        return {
            "customer_login": env._(
                "Log in with your customer account to change this subscription, "
                "its billing details or its payment method. The link you "
                "followed lets you read it, pay its invoices and ask for its "
                "cancellation."
            ),
            "cannot_change": env._("This subscription cannot be changed now."),
            "cannot_cancel": env._("This subscription cannot be cancelled."),
            "payment_method": env._(
                "The payment method of this subscription cannot be changed."
            ),
            "unexpected": env._(
                "This could not be done. Please try again, or contact us."
            ),
        }

    def _get_portal_error(self, code):
        """The translated text of the error ``code``, or ``False``."""
        if not isinstance(code, str):
            return False
        return self._get_portal_error_messages().get(code, False)

    def _get_error_message(self, error):
        """What to tell the subscriber of a refusal raised by the
        subscription's own checks. An access error speaks of models and
        users: it is logged and told as an unexpected error."""
        if isinstance(error, AccessError | MissingError):
            _logger.info("Portal request refused: %s", error)
            return self._get_portal_error("unexpected")
        return error.args[0]

    def _prepare_subscription_values(
        self, order_sudo, access_token, message=None, error=None, error_message=None
    ):
        """The values of a subscription's pages.

        :param message: the code of a notice (``NOTICES``)
        :param error: the code of an error (``_get_portal_error_messages``)
        :param error_message: the text of a refusal raised by the checks,
            never from the request
        """
        invoices = order_sudo._get_portal_invoices()
        is_customer = self._is_subscription_customer(order_sudo)
        values = {
            "subscription": order_sudo,
            "page_name": "subscription",
            "invoices": invoices,
            "next_invoice_amount": order_sudo._get_portal_next_invoice_amount(),
            "period_label": order_sudo._get_portal_period_label(),
            "cancel_date": order_sudo._portal_can_cancel()
            and order_sudo._get_portal_cancellation_date(),
            "notice": message if message in NOTICES else False,
            "error": error_message or self._get_portal_error(error),
            # The customer logged in, or a link's access token alone.
            "subscription_customer": is_customer,
            "subscription_login_url": not is_customer
            and request.env.user._is_public()
            and "/web/login?"
            + urlencode(
                {"redirect": self._subscription_url(order_sudo, "", access_token)}
            ),
            "report_type": "html",
            "res_company": order_sudo.company_id,
            "subscription_access_token": access_token,
            "format_date": lambda day: format_date(request.env, day),
        }
        return self._get_page_view_values(
            order_sudo, access_token, values, "my_subscriptions_history", False
        )

    def _render_subscription(self, order_sudo, access_token, **kw):
        """The subscription page; ``kw`` as ``_prepare_subscription_values``."""
        values = self._prepare_subscription_values(order_sudo, access_token, **kw)
        return request.render("recurring_billing.portal_subscription_page", values)

    @http.route(
        ["/my/subscriptions/<int:order_id>"], type="http", auth="public", website=True
    )
    def portal_subscription_page(self, order_id, access_token=None, **kw):
        try:
            order_sudo = self._subscription_check_access(order_id, access_token)
        except (AccessError, MissingError):
            return request.redirect("/my")
        # Only codes are read from the URL: a text given there is never shown.
        return self._render_subscription(
            order_sudo, access_token, message=kw.get("message"), error=kw.get("error")
        )

    @http.route(["/my/orders/<int:order_id>"], type="http", auth="public", website=True)
    def portal_order_page(self, order_id, report_type=None, access_token=None, **kw):
        """A subscription's page is its subscription page; its PDF and the
        other sale orders are sale's."""
        if not report_type:
            try:
                order_sudo = self._subscription_check_access(order_id, access_token)
            except (AccessError, MissingError):
                order_sudo = None
            if order_sudo:
                return request.redirect(
                    self._subscription_url(order_sudo, access_token=access_token)
                )
        return super().portal_order_page(
            order_id, report_type=report_type, access_token=access_token, **kw
        )

    def _run_action(
        self, order_id, access_token, action, message, customer_only=True, **kw
    ):
        """Check access, run ``action(order_sudo, partner)`` and go back to the
        subscription page; a refusal is shown there, nothing changed.

        :param customer_only: the action needs the customer's login; an access
            token alone is sent to the login page
        """
        try:
            order_sudo = self._subscription_check_access(order_id, access_token)
        except (AccessError, MissingError):
            return request.redirect("/my")
        if customer_only:
            denied = self._check_subscription_customer(order_sudo, access_token)
            if denied:
                return denied
        try:
            with request.env.cr.savepoint():
                result = action(order_sudo, self._acting_partner(order_sudo))
        except (UserError, ValidationError) as error:
            return self._render_subscription(
                order_sudo, access_token, error_message=self._get_error_message(error)
            )
        if result is not None:
            return result
        return request.redirect(
            self._subscription_url(
                order_sudo, access_token=access_token, message=message
            )
        )

    @http.route(
        ["/my/subscriptions/<int:order_id>/pause"],
        type="http",
        auth="public",
        methods=["POST"],
        website=True,
    )
    def portal_subscription_pause(self, order_id, access_token=None, **kw):
        return self._run_action(
            order_id,
            access_token,
            lambda order, partner: order._portal_pause(partner),
            "paused",
        )

    @http.route(
        ["/my/subscriptions/<int:order_id>/resume"],
        type="http",
        auth="public",
        methods=["POST"],
        website=True,
    )
    def portal_subscription_resume(self, order_id, access_token=None, **kw):
        return self._run_action(
            order_id,
            access_token,
            lambda order, partner: order._portal_resume(partner),
            "resumed",
        )

    # ------------------------------------------------------------
    # CHANGE: OFFER, QUANTITIES AND ADD-ONS, PREVIEW, CONFIRMATION
    # ------------------------------------------------------------

    def _parse_quantities(self, order_sudo, kw):
        """``{product: quantity}`` from the form's ``qty_<product id>``
        fields, for the products the subscriber may change: whole numbers
        within their bounds, parsed strictly (no ``nan``, ``inf``, ``1e400``,
        sign nor decimals); a UserError that says so otherwise."""
        quantities = {}
        products = order_sudo._get_portal_change_products()
        for product, (_current, minimum) in products.items():
            raw = kw.get(f"qty_{product.id}")
            if raw in (None, ""):
                continue
            quantity = parse_whole_number(
                raw, minimum=int(minimum), maximum=PORTAL_MAX_QUANTITY
            )
            if quantity is None:
                raise UserError(
                    request.env._(
                        "The quantity of %(product)s must be a whole number "
                        "from %(minimum)s to %(maximum)s.",
                        product=product.display_name,
                        minimum=int(minimum),
                        maximum=PORTAL_MAX_QUANTITY,
                    )
                )
            quantities[product] = float(quantity)
        return quantities

    def _parse_offer(self, order_sudo, kw):
        """The offer chosen in the form's ``offer`` field, among those the
        template lets this subscription switch to; ``None`` for none or the
        current one. A product id that is not one of them is refused without
        being read."""
        raw = kw.get("offer")
        if raw in (None, ""):
            return None
        current, _quantity, offers = order_sudo._get_portal_offers()
        offer = offers.filtered(lambda product: str(product.id) == raw)
        if not offer:
            raise UserError(
                request.env._(
                    "This offer cannot be chosen for subscription %(order)s.",
                    order=order_sudo.name,
                )
            )
        return None if offer == current else offer

    @http.route(
        ["/my/subscriptions/<int:order_id>/change"],
        type="http",
        auth="public",
        methods=["GET", "POST"],
        website=True,
    )
    def portal_subscription_change(self, order_id, access_token=None, **kw):
        """GET: the form. POST: the engine's prorated preview of the new
        quantities, to confirm."""
        try:
            order_sudo = self._subscription_check_access(order_id, access_token)
        except (AccessError, MissingError):
            return request.redirect("/my")
        denied = self._check_subscription_customer(order_sudo, access_token, "/change")
        if denied:
            return denied
        if not order_sudo._portal_can_change():
            return self._render_subscription(
                order_sudo, access_token, error="cannot_change"
            )
        values = self._prepare_subscription_values(order_sudo, access_token)
        current_offer, _quantity, offers = order_sudo._get_portal_offers()
        values.update(
            products=order_sudo._get_portal_change_products(),
            current_offer=current_offer,
            offers=offers,
            offer_prices=order_sudo._get_portal_offer_prices(offers),
            page_name="subscription_change",
        )
        if request.httprequest.method == "POST":
            try:
                quantities = self._parse_quantities(order_sudo, kw)
                offer = self._parse_offer(order_sudo, kw)
                values["preview"] = order_sudo._portal_preview_change(quantities, offer)
                values["asked"] = {
                    product.id: quantity for product, quantity in quantities.items()
                }
                values["asked_offer"] = offer
            except (UserError, ValidationError) as error:
                values["error"] = self._get_error_message(error)
        return request.render("recurring_billing.portal_subscription_change", values)

    @http.route(
        ["/my/subscriptions/<int:order_id>/change/confirm"],
        type="http",
        auth="public",
        methods=["POST"],
        website=True,
    )
    def portal_subscription_change_confirm(self, order_id, access_token=None, **kw):
        def change(order, partner):
            order._portal_change(
                self._parse_quantities(order, kw),
                partner,
                offer=self._parse_offer(order, kw),
            )

        return self._run_action(order_id, access_token, change, "changed")

    # ------------------------------------------------------------
    # CANCELLATION: REASON, SUMMARY, CONFIRMATION
    # ------------------------------------------------------------

    def _get_portal_close_reasons(self):
        return request.env["recurring.close.reason"]._get_portal_reasons()

    def _get_portal_close_reason(self, reason_id):
        """The close reason ``reason_id`` if subscribers may choose it."""
        return request.env["recurring.close.reason"]._get_portal_reason(
            parse_record_id(reason_id)
        )

    @http.route(
        ["/my/subscriptions/<int:order_id>/cancel"],
        type="http",
        auth="public",
        methods=["GET", "POST"],
        website=True,
    )
    def portal_subscription_cancel(self, order_id, access_token=None, **kw):
        """Step 1 (GET): the reason, optional. Step 2 (POST): the summary to
        check, with the end date and its effects."""
        try:
            order_sudo = self._subscription_check_access(order_id, access_token)
        except (AccessError, MissingError):
            return request.redirect("/my")
        if not order_sudo._portal_can_cancel():
            return self._render_subscription(
                order_sudo, access_token, error="cannot_cancel"
            )
        values = self._prepare_subscription_values(order_sudo, access_token)
        values.update(
            page_name="subscription_cancel",
            reasons=self._get_portal_close_reasons(),
            step="summary" if request.httprequest.method == "POST" else "reason",
            # A visitor with the token alone confirms from the customer's
            # mailbox: no cancellation, nor its confirmation, at this step.
            cancel_by_email=not self._is_subscription_customer(order_sudo),
            reason=self._get_portal_close_reason(kw.get("reason_id")),
            comment=(kw.get("comment") or "").strip()[:1000],
            form_action=self._subscription_url(order_sudo, "/cancel/confirm"),
        )
        return request.render("recurring_billing.portal_subscription_cancel", values)

    @http.route(
        ["/my/subscriptions/<int:order_id>/cancel/confirm"],
        type="http",
        auth="public",
        methods=["POST"],
        website=True,
    )
    def portal_subscription_cancel_confirm(self, order_id, access_token=None, **kw):
        """Step 3: the customer logged in cancels, confirmed by email at once;
        a visitor with the access token alone gets the confirmation link of
        the public cancellation page emailed to the customer's address."""
        reason = self._get_portal_close_reason(kw.get("reason_id"))
        comment = (kw.get("comment") or "").strip()[:1000]

        def cancel(order, partner):
            if self._is_subscription_customer(order):
                order._portal_cancel(partner, reason=reason, comment=comment)
                return None
            order._portal_request_cancellation(request.httprequest.remote_addr)
            return request.redirect(
                self._subscription_url(
                    order, access_token=access_token, message="cancel_link"
                )
            )

        return self._run_action(
            order_id, access_token, cancel, "cancelled", customer_only=False
        )
