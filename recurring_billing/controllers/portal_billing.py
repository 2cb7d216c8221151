# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import http
from odoo.exceptions import AccessError, MissingError, UserError, ValidationError
from odoo.http import request

from ..tools import parse_record_id
from .portal import SubscriptionPortal


class SubscriptionBillingPortal(SubscriptionPortal):
    """The billing details of a subscription on the customer portal: the
    customer's login only, as Odoo's portal asks for its own details."""

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
        denied = self._check_subscription_customer(order_sudo, access_token, "/billing")
        if denied:
            return denied
        billing_partner = order_sudo.partner_invoice_id
        commercial = billing_partner.commercial_partner_id
        values = self._prepare_subscription_values(order_sudo, access_token)
        values.update(
            page_name="subscription_billing",
            billing_partner=billing_partner,
            # As Odoo's portal: VAT number and name locked once invoiced.
            billing_identity_locked=commercial._has_invoice(
                [("partner_id", "child_of", commercial.id)]
            ),
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
                # Not a country id: no country (-1), which the checks refuse.
                vals["country_id"] = country_id and (parse_record_id(country_id) or -1)
            try:
                with request.env.cr.savepoint():
                    order_sudo._portal_update_billing(
                        dict(vals), self._acting_partner(order_sudo)
                    )
            except (UserError, ValidationError) as error:
                values["error"] = self._get_error_message(error)
            else:
                return request.redirect(
                    self._subscription_url(
                        order_sudo, access_token=access_token, message="billing"
                    )
                )
        return request.render("recurring_billing.portal_subscription_billing", values)
