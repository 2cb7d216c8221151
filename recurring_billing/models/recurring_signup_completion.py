# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from datetime import timedelta

from odoo import Command, models

from .recurring_signup import WITHDRAWAL_DAYS


class RecurringSignupCompletion(models.Model):
    """What a signup becomes once paid: the customer, their portal account
    and the subscription, created once."""

    _inherit = "recurring.signup"

    # ------------------------------------------------------------
    # BUSINESS METHODS: AFTER PAYMENT
    # ------------------------------------------------------------

    def _lock_for_completion(self):
        """Lock the signup for the transaction that completes it: a second
        post-processing (a replayed return, a webhook and the status page at
        once) waits, then finds it done."""
        self.ensure_one()
        self.env.cr.execute(
            "SELECT state FROM recurring_signup WHERE id = %s FOR UPDATE", [self.id]
        )
        self.invalidate_recordset(["state", "order_id"])
        return self.state == "draft"

    def _complete(self, tx):
        """The payment (or, for a trial, the saving of the payment method) of
        ``tx`` succeeded: create the customer, their portal account and the
        subscription, once. Called by the transaction's post-processing.

        :return: the subscription, or an empty recordset if it was done before
        """
        self.ensure_one()
        signup = self.sudo()
        if not signup._lock_for_completion():
            return signup.order_id.browse()
        partner, contact = signup._get_or_create_partner(tx)
        # The transaction and its payment method were made for the visitor
        # (Odoo's public partner): they are the customer's now.
        tx.partner_id = contact
        if tx.token_id:
            # Archived while the payment was pending: usable now.
            tx.token_id.write(
                {"partner_id": contact.id}
                if tx.token_id.active
                else {"partner_id": contact.id, "active": True}
            )
        order = (
            self.env["sale.order"]
            .sudo()
            .with_company(signup.company_id)
            .create(
                signup._prepare_order_vals(
                    signup.template_id, signup.quantities, contact
                )
            )
        )
        order.write(
            {
                "recurring_signup_id": signup.id,
                "withdrawal_deadline": (
                    signup.company_id._get_today() + timedelta(days=WITHDRAWAL_DAYS)
                    if signup.customer_type == "person"
                    else False
                ),
            }
        )
        order.action_confirm()
        if tx.token_id and not order._recurring_check_token(tx.token_id):
            order.payment_token_id = tx.token_id
        signup.write({"state": "done", "order_id": order.id, "partner_id": partner.id})
        if tx.operation != "validation":
            # The first invoice is the one paid: Odoo's post-processing then
            # records the payment against it.
            invoices = order._recurring_invoice_due(order.company_id._get_today())
            tx.invoice_ids = [Command.link(invoice.id) for invoice in invoices]
            if order.currency_id.compare_amounts(
                sum(invoices.mapped("amount_total")), tx.amount
            ):
                # A customer already known, with prices of their own: the
                # salesperson settles the difference.
                order.activity_schedule(
                    "mail.mail_activity_data_warning",
                    summary=self.env._("Online payment and first invoice differ"),
                    note=self.env._(
                        "%(amount)s was paid online; the first invoice is of "
                        "%(invoiced)s.",
                        amount=tx.amount,
                        invoiced=sum(invoices.mapped("amount_total")),
                    ),
                    user_id=(order.user_id or self.env.ref("base.user_admin")).id,
                )
        order._post_subscription_mail(
            self.env.ref("recurring_billing.mail_template_subscription_signup")
        )
        order.message_post(
            body=self.env._(
                "Subscribed online: terms version %(version)s accepted on "
                "%(date)s (UTC) from %(ip)s.",
                version=signup.terms_version or "-",
                date=signup.terms_accepted_date,
                ip=signup.ip_address or "-",
            )
        )
        return order

    def _get_or_create_partner(self, tx):
        """The customer: the logged-in user's, or a new one with a portal
        account (the signup page refused an email that already has one).

        :return: ``(commercial partner, contact)``
        """
        self.ensure_one()
        Partner = self.env["res.partner"].sudo()
        if not tx.partner_id.is_public and tx.partner_id.user_ids:
            contact = tx.partner_id
            self.user_id = contact.user_ids[:1]
            return contact.commercial_partner_id, contact
        existing = Partner.search(
            [
                ("email_normalized", "=", self.email),
                ("id", "!=", self.env.ref("base.public_partner").id),
                ("company_id", "in", [False, self.company_id.id]),
            ],
            order="id",
            limit=1,
        )
        if existing:
            # No second customer for an email already known: the known one
            # subscribes, its details unchanged.
            self._ensure_portal_user(existing)
            return existing.commercial_partner_id, existing
        address = {
            "street": self.street,
            "zip": self.zip,
            "city": self.city,
            "country_id": self.country_id.id,
            "lang": self.lang or self.env.lang,
        }
        if self.customer_type == "company":
            partner = Partner.create(
                {
                    "name": self.company_name,
                    "is_company": True,
                    "email": self.email,
                    "phone": self.phone,
                    "vat": self.vat,
                    "siret": self.siret,
                    **address,
                }
            )
            contact = Partner.create(
                {
                    "name": self.contact_name,
                    "parent_id": partner.id,
                    "type": "contact",
                    "email": self.email,
                    "phone": self.phone,
                }
            )
        else:
            partner = contact = Partner.create(
                {
                    "name": self.contact_name,
                    "email": self.email,
                    "phone": self.phone,
                    **address,
                }
            )
        self._ensure_portal_user(contact)
        return partner, contact

    def _ensure_portal_user(self, contact):
        """A portal account for ``contact``, invited to choose its password,
        unless the email already has an account."""
        if self._find_existing_user(self.email):
            return
        user = (
            self.env["res.users"]
            .sudo()
            .with_context(no_reset_password=True)
            ._create_user_from_template(
                {
                    "login": self.email,
                    "partner_id": contact.id,
                    "company_id": self.company_id.id,
                    "company_ids": [Command.set(self.company_id.ids)],
                }
            )
        )
        self.user_id = user
        self._send_account_invitation(user)

    def _send_account_invitation(self, user):
        """Invite the new customer to choose the password of their account
        (auth_signup's email), queued: a mail server down never undoes a
        payment that succeeded."""
        user.partner_id.signup_prepare(signup_type="signup")
        mail_template = self.env.ref(
            "auth_signup.set_password_email", raise_if_not_found=False
        )
        if mail_template:
            mail_template.with_context(create_user=True).send_mail(
                user.id,
                force_send=False,
                email_values={"email_to": user.email, "recipient_ids": []},
            )

    def _payment_failed(self, tx):
        """A refused payment leaves nothing behind: the payment method a
        provider saved with it is archived."""
        self.ensure_one()
        if tx.token_id and self.state == "draft":
            tx.token_id.sudo().active = False
