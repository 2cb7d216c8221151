# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import http
from odoo.exceptions import AccessError, MissingError, UserError, ValidationError
from odoo.http import request
from odoo.tools import format_date

from odoo.addons.portal.controllers.portal import pager as portal_pager
from odoo.addons.sale.controllers.portal import CustomerPortal

# Notices shown on the subscription page after an action (?message=...).
NOTICES = ("changed", "paused", "resumed", "cancelled", "billing", "payment_method")


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
        return order_sudo.partner_id if user._is_public() else user.partner_id

    def _prepare_subscription_values(self, order_sudo, access_token, **kw):
        invoices = order_sudo._get_portal_invoices()
        values = {
            "subscription": order_sudo,
            "page_name": "subscription",
            "invoices": invoices,
            "next_invoice_amount": order_sudo._get_portal_next_invoice_amount(),
            "period_label": order_sudo._get_portal_period_label(),
            "cancel_date": order_sudo._portal_can_cancel()
            and order_sudo._get_portal_cancellation_date(),
            "notice": kw.get("message") if kw.get("message") in NOTICES else False,
            "error": kw.get("error"),
            "report_type": "html",
            "res_company": order_sudo.company_id,
            "subscription_access_token": access_token,
            "format_date": lambda day: format_date(request.env, day),
        }
        return self._get_page_view_values(
            order_sudo, access_token, values, "my_subscriptions_history", False
        )

    def _render_subscription(self, order_sudo, access_token, **kw):
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
        return self._render_subscription(order_sudo, access_token, **kw)

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

    def _run_action(self, order_id, access_token, action, message, **kw):
        """Check access, run ``action(order_sudo, partner)`` and go back to the
        subscription page; a refusal is shown there, nothing changed."""
        try:
            order_sudo = self._subscription_check_access(order_id, access_token)
        except (AccessError, MissingError):
            return request.redirect("/my")
        try:
            with request.env.cr.savepoint():
                result = action(order_sudo, self._acting_partner(order_sudo))
        except (UserError, ValidationError) as error:
            return self._render_subscription(
                order_sudo, access_token, error=error.args[0]
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
        fields, for the products the subscriber may change."""
        quantities = {}
        for product in order_sudo._get_portal_change_products():
            raw = kw.get(f"qty_{product.id}")
            if raw in (None, ""):
                continue
            try:
                quantities[product] = float(raw)
            except ValueError as error:
                raise ValidationError(
                    request.env._(
                        "The quantity of %(product)s must be a number.",
                        product=product.display_name,
                    )
                ) from error
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
        if not order_sudo._portal_can_change():
            return self._render_subscription(
                order_sudo,
                access_token,
                error=request.env._("This subscription cannot be changed now."),
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
                values["error"] = error.args[0]
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
    # BILLING ADDRESS AND VAT / SIRET
    # ------------------------------------------------------------

    def _billing_fields(self):
        return [
            "street",
            "street2",
            "zip",
            "city",
            "country_id",
            "email",
            "vat",
            "siret",
            "company_name",
        ]

    @http.route(
        ["/my/subscriptions/<int:order_id>/billing"],
        type="http",
        auth="public",
        methods=["GET", "POST"],
        website=True,
    )
    def portal_subscription_billing(self, order_id, access_token=None, **kw):
        try:
            order_sudo = self._subscription_check_access(order_id, access_token)
        except (AccessError, MissingError):
            return request.redirect("/my")
        values = self._prepare_subscription_values(order_sudo, access_token)
        values.update(
            page_name="subscription_billing",
            billing_partner=order_sudo.partner_invoice_id,
            countries=request.env["res.country"].sudo().search([]),
            form={},
        )
        if request.httprequest.method == "POST":
            vals = {
                key: (kw.get(key) or "").strip()
                for key in self._billing_fields()
                if key in kw
            }
            values["form"] = vals
            if "country_id" in vals:
                country_id = vals["country_id"]
                vals["country_id"] = int(country_id) if country_id.isdigit() else False
            try:
                with request.env.cr.savepoint():
                    order_sudo._portal_update_billing(
                        dict(vals), self._acting_partner(order_sudo)
                    )
            except (UserError, ValidationError) as error:
                values["error"] = error.args[0]
            else:
                return request.redirect(
                    self._subscription_url(
                        order_sudo, access_token=access_token, message="billing"
                    )
                )
        return request.render("recurring_billing.portal_subscription_billing", values)

    # ------------------------------------------------------------
    # CANCELLATION: REASON, SUMMARY, CONFIRMATION
    # ------------------------------------------------------------

    def _get_portal_close_reasons(self):
        return request.env["recurring.close.reason"]._get_portal_reasons()

    def _get_portal_close_reason(self, reason_id):
        """The close reason ``reason_id`` if subscribers may choose it."""
        return request.env["recurring.close.reason"]._get_portal_reason(reason_id)

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
                order_sudo,
                access_token,
                error=request.env._("This subscription cannot be cancelled."),
            )
        values = self._prepare_subscription_values(order_sudo, access_token)
        values.update(
            page_name="subscription_cancel",
            reasons=self._get_portal_close_reasons(),
            step="summary" if request.httprequest.method == "POST" else "reason",
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
        """Step 3: cancel, and confirm it by email at once."""
        reason = self._get_portal_close_reason(kw.get("reason_id"))
        comment = (kw.get("comment") or "").strip()[:1000]

        def cancel(order, partner):
            order._portal_cancel(partner, reason=reason, comment=comment)

        return self._run_action(order_id, access_token, cancel, "cancelled")
