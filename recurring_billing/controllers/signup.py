# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from urllib.parse import urlencode

from odoo import http
from odoo.exceptions import UserError, ValidationError
from odoo.http import request

from odoo.addons.payment import utils as payment_utils
from odoo.addons.payment.controllers.portal import PaymentPortal

from ..models.recurring_signup import DETAIL_FIELDS


class SubscriptionSignup(PaymentPortal):
    """The public subscribe page of a subscription template published
    online, then Odoo's payment form. Nothing but a ``recurring.signup`` is
    written before the payment succeeds; prices are always the server's."""

    # ------------------------------------------------------------
    # HELPERS
    # ------------------------------------------------------------

    def _get_published_template(self, slug):
        return (
            request.env["sale.order.template"]
            .sudo()
            .search(
                [
                    ("online_published", "=", True),
                    ("online_slug", "=", slug),
                    ("plan_id", "!=", False),
                ],
                limit=1,
            )
        )

    def _get_signup(self, signup_id, access_token):
        """The signup ``signup_id`` (sudo) if ``access_token`` is its own."""
        signup = request.env["recurring.signup"].sudo().browse(signup_id).exists()
        if not signup or not signup._check_access_token(access_token):
            return None
        return signup

    def _signup_url(self, signup, suffix=""):
        return f"/subscribe/pay/{signup.id}{suffix}?" + urlencode(
            {"access_token": signup.access_token}
        )

    def _read_details(self, form):
        details = {key: (form.get(key) or "").strip() for key in DETAIL_FIELDS}
        try:
            details["country_id"] = int(details["country_id"] or 0)
        except ValueError:
            details["country_id"] = 0
        details["lang"] = request.env.lang
        return details

    def _default_form(self):
        """The details of the customer logged in, to start with."""
        user = request.env.user
        if user._is_public():
            return {
                "customer_type": "company",
                "country_id": request.env.ref("base.fr").id,
            }
        partner = user.partner_id
        commercial = partner.commercial_partner_id
        return {
            "customer_type": "company" if commercial.is_company else "person",
            "contact_name": partner.name,
            "email": partner.email,
            "phone": partner.phone,
            "company_name": commercial.is_company and commercial.name,
            "siret": commercial.siret,
            "vat": commercial.vat,
            "street": commercial.street,
            "zip": commercial.zip,
            "city": commercial.city,
            "country_id": commercial.country_id.id,
        }

    def _prepare_signup_page_values(self, template, quantities, form, error=None):
        Signup = request.env["recurring.signup"].sudo()
        quote = Signup._get_quote(template, quantities)
        return {
            "template": template,
            "lines": Signup._get_template_lines(template, quantities),
            "quote": quote,
            "quote_by_product": {line["product"]: line for line in quote["lines"]},
            "form": form,
            "error": error,
            "countries": request.env["res.country"].sudo().search([]),
            "res_company": template.company_id or request.env.company,
            "login_url": request.env.user._is_public()
            and "/web/login?"
            + urlencode({"redirect": f"/subscribe/{template.online_slug}"}),
        }

    # ------------------------------------------------------------
    # SUBSCRIBE PAGE
    # ------------------------------------------------------------

    @http.route(
        ["/subscribe/<string:slug>"],
        type="http",
        auth="public",
        methods=["GET", "POST"],
        website=True,
        sitemap=False,
    )
    def subscribe_page(self, slug, **form):
        """The offer and its price, the customer's details and consent (GET);
        a new price for other quantities, or the signup and the payment page
        (POST)."""
        template = self._get_published_template(slug)
        if not template:
            raise request.not_found()
        Signup = request.env["recurring.signup"].sudo()
        if request.httprequest.method == "GET":
            values = self._prepare_signup_page_values(
                template, {}, self._default_form()
            )
            return request.render("recurring_billing.signup_page", values)
        try:
            quantities = Signup._parse_quantities(template, form)
        except UserError as error:
            values = self._prepare_signup_page_values(template, {}, form, error.args[0])
            return request.render("recurring_billing.signup_page", values)
        if form.get("update_price"):
            values = self._prepare_signup_page_values(template, quantities, form)
            return request.render("recurring_billing.signup_page", values)
        details = self._read_details(form)
        is_public = request.env.user._is_public()
        if is_public and Signup._find_existing_user(details["email"].lower()):
            values = self._prepare_signup_page_values(
                template,
                quantities,
                form,
                request.env._(
                    "An account already exists with this email: log in to "
                    "subscribe with it."
                ),
            )
            values["existing_account"] = True
            return request.render("recurring_billing.signup_page", values)
        consent = {
            "terms": bool(form.get("accept_terms")),
            "start_now": bool(form.get("start_now")),
        }
        try:
            with request.env.cr.savepoint():
                signup = Signup._create_signup(
                    template,
                    quantities,
                    details,
                    consent,
                    request.httprequest.remote_addr,
                    partner=None if is_public else request.env.user.partner_id.sudo(),
                )
        except (UserError, ValidationError) as error:
            values = self._prepare_signup_page_values(
                template, quantities, form, error.args[0]
            )
            return request.render("recurring_billing.signup_page", values)
        return request.redirect(self._signup_url(signup))

    # ------------------------------------------------------------
    # PAYMENT
    # ------------------------------------------------------------

    def _get_signup_payer(self):
        """Who pays before the customer exists: the user logged in, or Odoo's
        public partner, replaced by the new customer once it is created."""
        return request.env.user.partner_id.sudo()

    def _get_signup_providers(self, signup, partner):
        return (
            request.env["payment.provider"]
            .sudo()
            ._get_compatible_providers(
                signup.company_id.id,
                partner.id,
                0.0 if signup.is_trial else signup.amount_total,
                currency_id=signup.currency_id.id,
                force_tokenization=True,
                is_validation=signup.is_trial,
                recurring_signup_id=signup.id,
            )
        )

    @http.route(
        ["/subscribe/pay/<int:signup_id>"],
        type="http",
        auth="public",
        methods=["GET"],
        website=True,
        sitemap=False,
    )
    def subscribe_pay(self, signup_id, access_token=None, **kw):
        """The summary and Odoo's payment form, which saves the method."""
        signup = self._get_signup(signup_id, access_token)
        if not signup:
            raise request.not_found()
        if signup.state != "draft":
            return request.redirect(self._signup_url(signup, "/done"))
        partner = self._get_signup_payer()
        providers = self._get_signup_providers(signup, partner)
        payment_methods = (
            request.env["payment.method"]
            .sudo()
            ._get_compatible_payment_methods(
                providers.ids,
                partner.id,
                currency_id=signup.currency_id.id,
                force_tokenization=True,
            )
        )
        values = {
            "signup": signup,
            "quote": signup._get_quote(signup.template_id, signup.quantities),
            "res_company": signup.company_id,
            # Odoo's payment form (payment.form).
            "mode": "validation" if signup.is_trial else "payment",
            "amount": signup.amount_total,
            "currency": signup.currency_id,
            "partner_id": partner.id,
            "providers_sudo": providers,
            "payment_methods_sudo": payment_methods,
            "tokens_sudo": request.env["payment.token"],
            "show_tokenize_input_mapping": dict.fromkeys(providers.ids, False),
            "transaction_route": f"/subscribe/pay/{signup.id}/transaction",
            "landing_route": self._signup_url(signup, "/done"),
            "access_token": signup.access_token,
        }
        return request.render("recurring_billing.signup_pay_page", values)

    @http.route(
        ["/subscribe/pay/<int:signup_id>/transaction"], type="json", auth="public"
    )
    def subscribe_transaction(self, signup_id, access_token=None, **kwargs):
        """Create the transaction of the signup: its amount is the server's,
        whatever the browser sends; a trial saves the method without paying."""
        signup = self._get_signup(signup_id, access_token)
        if not signup:
            raise ValidationError(request.env._("The access token is invalid."))
        if signup.state != "draft":
            raise ValidationError(
                request.env._("This subscription has already been taken.")
            )
        self._validate_transaction_kwargs(kwargs)
        partner = self._get_signup_payer()
        providers = self._get_signup_providers(signup, partner)
        provider_id = self._cast_as_int(kwargs.get("provider_id"))
        if provider_id not in providers.ids or kwargs.get("flow") == "token":
            raise ValidationError(
                request.env._("This payment method cannot be used here.")
            )
        kwargs.update(
            partner_id=partner.id,
            currency_id=signup.currency_id.id,
            amount=None if signup.is_trial else signup.amount_total,
            is_validation=signup.is_trial,
            tokenization_requested=True,
            reference_prefix=payment_utils.singularize_reference_prefix(prefix="SUB"),
            landing_route=self._signup_url(signup, "/done"),
        )
        tx_sudo = self._create_transaction(
            custom_create_values={"recurring_signup_id": signup.id}, **kwargs
        )
        if partner.is_public:
            # The provider (Stripe's customer, the bank's mandate) knows the
            # payer by the details given, not by Odoo's public partner.
            tx_sudo.write(signup._prepare_payer_vals())
        return tx_sudo._get_processing_values()

    @http.route(
        ["/subscribe/pay/<int:signup_id>/done"],
        type="http",
        auth="public",
        methods=["GET"],
        website=True,
        sitemap=False,
    )
    def subscribe_done(self, signup_id, access_token=None, **kw):
        """Where the payment leads back: the subscription taken, or the
        payment form again. Opened again, it creates nothing."""
        signup = self._get_signup(signup_id, access_token)
        if not signup:
            raise request.not_found()
        if signup.state == "draft":
            last_tx = signup.transaction_ids[:1]
            return request.render(
                "recurring_billing.signup_done_page",
                {
                    "signup": signup,
                    "res_company": signup.company_id,
                    "failed": last_tx.state in ("error", "cancel"),
                    "pay_url": self._signup_url(signup),
                },
            )
        return request.render(
            "recurring_billing.signup_done_page",
            {
                "signup": signup,
                "order": signup.order_id,
                "res_company": signup.company_id,
            },
        )
