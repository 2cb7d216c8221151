# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import http
from odoo.exceptions import UserError, ValidationError
from odoo.http import request
from odoo.tools import format_date


class PublicCancellation(http.Controller):
    """The public cancellation page, for subscribers without a portal
    account: a request by name, email and contract reference, then the
    emailed link's summary and confirmation."""

    def _prepare_public_values(self, company=None, **values):
        """The page's values, under the letterhead of ``company`` (the
        contract's, or the one of the site)."""
        company = (company or request.env.company).sudo()
        return {
            "page_name": "subscription_public_cancel",
            "res_company": company,
            "company": company,
            "format_date": lambda day: format_date(request.env, day),
            **values,
        }

    @http.route(
        ["/subscriptions/cancel"],
        type="http",
        auth="public",
        methods=["GET", "POST"],
        website=True,
        sitemap=False,
    )
    def public_cancel_request(self, **kw):
        """Name, email and contract reference. The request is recorded and
        the answer given at once, the same whatever the details are: a job
        then emails a confirmation link when they are those of a running
        contract's customer."""
        values = self._prepare_public_values(step="form")
        if request.httprequest.method == "POST":
            name = (kw.get("name") or "").strip()
            email = (kw.get("email") or "").strip()
            reference = (kw.get("reference") or "").strip()
            if not (name and email and reference):
                values.update(
                    error=request.env._(
                        "Give your name, your email and the reference of your contract."
                    ),
                    form=kw,
                )
            else:
                request.env["recurring.cancel.request"].sudo()._request_cancellation(
                    name, email, reference, request.httprequest.remote_addr
                )
                values.update(step="sent", email=email)
        return request.render("recurring_billing.portal_public_cancel", values)

    @http.route(
        ["/subscriptions/cancel/<int:request_id>/<string:token>"],
        type="http",
        auth="public",
        methods=["GET", "POST"],
        website=True,
        sitemap=False,
    )
    def public_cancel_confirm(self, request_id, token, **kw):
        """The emailed link: the summary (GET), then the cancellation (POST)."""
        cancel_request = (
            request.env["recurring.cancel.request"]
            .sudo()
            ._get_valid_request(request_id, token)
        )
        if not cancel_request:
            values = self._prepare_public_values(step="invalid")
            return request.render("recurring_billing.portal_public_cancel", values)
        order_sudo = cancel_request.subscription_id.sudo()
        Reason = request.env["recurring.close.reason"]
        values = self._prepare_public_values(
            order_sudo.company_id,
            step="summary",
            subscription=order_sudo,
            cancel_date=order_sudo._get_portal_cancellation_date(),
            reasons=Reason._get_portal_reasons(),
        )
        if request.httprequest.method == "POST":
            try:
                with request.env.cr.savepoint():
                    order_sudo._portal_cancel(
                        order_sudo.partner_id,
                        reason=Reason._get_portal_reason(kw.get("reason_id")),
                        comment=(kw.get("comment") or "").strip()[:1000],
                        channel="public",
                        email=cancel_request.email,
                    )
                    cancel_request.used = True
            except (UserError, ValidationError) as error:
                values["error"] = error.args[0]
            else:
                values["step"] = "done"
        return request.render("recurring_billing.portal_public_cancel", values)
