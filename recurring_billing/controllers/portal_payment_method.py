# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import http
from odoo.exceptions import AccessError, MissingError, UserError, ValidationError
from odoo.http import request

from odoo.addons.payment import utils as payment_utils

from .portal import SubscriptionPortal


class SubscriptionPaymentMethodPortal(SubscriptionPortal):
    """The payment method of a subscription on the customer portal: Odoo's
    payment form in validation mode, and the customer's other saved
    methods."""

    # ------------------------------------------------------------
    # PAYMENT METHOD: ODOO'S PAYMENT FORM, VALIDATION OPERATION
    # ------------------------------------------------------------

    def _get_payment_method_partner(self, order_sudo):
        """Who saves the payment method: the logged-in contact of the
        subscription's customer (an access token alone may not)."""
        return self._acting_partner(order_sudo)

    def _get_payment_method_providers(self, order_sudo, partner_sudo, report=None):
        """The providers that may save a payment method for this subscription
        (its company's, tokenisation, validation), as Odoo's
        ``/my/payment_method`` page selects them."""
        return (
            request.env["payment.provider"]
            .sudo()
            ._get_compatible_providers(
                order_sudo.company_id.id,
                partner_sudo.id,
                0.0,
                force_tokenization=True,
                is_validation=True,
                report=report,
            )
        )

    @http.route(
        ["/my/subscriptions/<int:order_id>/payment_method"],
        type="http",
        auth="public",
        methods=["GET"],
        website=True,
    )
    def portal_subscription_payment_method(self, order_id, access_token=None, **kw):
        """Odoo's payment form in validation mode: a new payment method saved
        there becomes this subscription's; another saved method of the
        customer may be chosen instead. The customer's login only: an access
        token alone is sent to the login page."""
        try:
            order_sudo = self._subscription_check_access(order_id, access_token)
        except (AccessError, MissingError):
            return request.redirect("/my")
        denied = self._check_subscription_customer(
            order_sudo, access_token, "/payment_method"
        )
        if denied:
            return denied
        if not order_sudo._portal_can_update_payment_method():
            return self._render_subscription(
                order_sudo, access_token, error="payment_method"
            )
        partner_sudo = self._get_payment_method_partner(order_sudo)
        availability_report = {}
        providers_sudo = self._get_payment_method_providers(
            order_sudo, partner_sudo, report=availability_report
        )
        payment_methods_sudo = (
            request.env["payment.method"]
            .sudo()
            ._get_compatible_payment_methods(
                providers_sudo.ids,
                partner_sudo.id,
                force_tokenization=True,
                report=availability_report,
            )
        )
        values = self._prepare_subscription_values(order_sudo, access_token)
        document_token = order_sudo._portal_ensure_token()
        values.update(
            page_name="subscription_payment_method",
            # Odoo's payment form (payment.form), as /my/payment_method uses it.
            mode="validation",
            allow_token_selection=True,
            allow_token_deletion=False,
            reference_prefix=payment_utils.singularize_reference_prefix(
                prefix=f"{order_sudo.name}-V"
            ),
            partner_id=partner_sudo.id,
            providers_sudo=providers_sudo,
            payment_methods_sudo=payment_methods_sudo,
            # The customer's other saved methods.
            tokens_sudo=order_sudo._get_portal_payment_tokens(),
            availability_report=availability_report,
            transaction_route=self._subscription_url(
                order_sudo, "/payment_method/transaction"
            ),
            assign_token_route=self._subscription_url(
                order_sudo, "/payment_method/assign"
            ),
            landing_route=self._subscription_url(
                order_sudo, access_token=access_token, message="payment_method"
            ),
            access_token=document_token,
        )
        return request.render(
            "recurring_billing.portal_subscription_payment_method", values
        )

    def _payment_method_check_access(self, order_id, access_token):
        """The subscription, for the JSON routes of the payment form; a
        ValidationError (shown by the form) for anything refused, the
        customer's login needed."""
        try:
            order_sudo = self._subscription_check_access(order_id, access_token)
        except (AccessError, MissingError) as error:
            raise ValidationError(
                request.env._("The access token is invalid.")
            ) from error
        if not self._is_subscription_customer(order_sudo):
            raise ValidationError(self._get_portal_error("customer_login"))
        if not order_sudo._portal_can_update_payment_method():
            raise ValidationError(
                request.env._(
                    "The payment method of this subscription cannot be changed."
                )
            )
        return order_sudo

    @http.route(
        ["/my/subscriptions/<int:order_id>/payment_method/transaction"],
        type="json",
        auth="public",
    )
    def portal_subscription_payment_method_transaction(
        self, order_id, access_token=None, **kwargs
    ):
        """Create the validation transaction that saves a payment method for
        this subscription; its post-processing makes it the subscription's."""
        order_sudo = self._payment_method_check_access(order_id, access_token)
        self._validate_transaction_kwargs(kwargs)
        partner_sudo = self._get_payment_method_partner(order_sudo)
        providers_sudo = self._get_payment_method_providers(order_sudo, partner_sudo)
        provider_id = self._cast_as_int(kwargs.get("provider_id"))
        if provider_id not in providers_sudo.ids or kwargs.get("flow") == "token":
            raise ValidationError(
                request.env._("This payment method cannot be saved here.")
            )
        kwargs.update(
            partner_id=partner_sudo.id,
            currency_id=order_sudo.currency_id.id,
            amount=None,
            is_validation=True,
            tokenization_requested=True,
            reference_prefix=payment_utils.singularize_reference_prefix(
                prefix=f"{order_sudo.name}-V"
            ),
            # Where the payment status page leads, whatever the browser says.
            landing_route=self._subscription_url(order_sudo, message="payment_method"),
        )
        tx_sudo = self._create_transaction(
            custom_create_values={"recurring_subscription_id": order_sudo.id},
            **kwargs,
        )
        return tx_sudo._get_processing_values()

    @http.route(
        ["/my/subscriptions/<int:order_id>/payment_method/assign"],
        type="json",
        auth="public",
    )
    def portal_subscription_payment_method_assign(
        self, order_id, token_id=None, access_token=None, **kwargs
    ):
        """Make another saved payment method of the customer this
        subscription's."""
        order_sudo = self._payment_method_check_access(order_id, access_token)
        token_sudo = (
            request.env["payment.token"]
            .sudo()
            .browse(self._cast_as_int(token_id) or 0)
            .exists()
        )
        if token_sudo not in order_sudo._get_portal_payment_tokens():
            raise ValidationError(
                request.env._("This payment method cannot pay this subscription.")
            )
        try:
            with request.env.cr.savepoint():
                order_sudo._portal_set_payment_token(
                    token_sudo, self._get_payment_method_partner(order_sudo)
                )
        except UserError as error:
            raise ValidationError(self._get_error_message(error)) from error
        return True
