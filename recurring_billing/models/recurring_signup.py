# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import logging
import secrets
from datetime import timedelta

from stdnum.fr import siret as stdnum_siret

from odoo import Command, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import consteq, email_normalize, single_email_re

_logger = logging.getLogger(__name__)

# Signups a visitor may start from one IP address over RATE_LIMIT_WINDOW.
RATE_LIMIT_PER_IP = 5
RATE_LIMIT_WINDOW = timedelta(hours=1)
# Code de la consommation, L221-18: fourteen days to withdraw.
WITHDRAWAL_DAYS = 14
# The customer's details a signup keeps, as the subscribe form gives them.
DETAIL_FIELDS = (
    "customer_type",
    "contact_name",
    "email",
    "phone",
    "company_name",
    "siret",
    "vat",
    "street",
    "zip",
    "city",
    "country_id",
)
# The details of a signup never paid are deleted after this time (GDPR: no
# longer than needed); a signup paid is kept, as the proof of the consent.
ABANDONED_RETENTION = timedelta(days=30)


class RecurringSignup(models.Model):
    """A subscription taken on the public subscribe page, before it exists.

    The offer chosen, the customer's details and their consent are kept here
    while the customer pays (or saves a payment method for a trial). Nothing
    else is created before the payment transaction succeeds: then the
    customer, their portal account and the subscription are created, once,
    whatever the number of times the payment's return is replayed."""

    _name = "recurring.signup"
    _description = "Online Subscription Signup"
    _order = "id desc"
    _check_company_auto = True

    # ------------------------------------------------------------
    # FIELDS
    # ------------------------------------------------------------

    name = fields.Char(compute="_compute_name", store=True)
    state = fields.Selection(
        [
            ("draft", "Awaiting Payment"),
            ("done", "Subscribed"),
            ("cancel", "Abandoned"),
        ],
        default="draft",
        required=True,
        readonly=True,
        index=True,
    )
    template_id = fields.Many2one(
        "sale.order.template",
        string="Offer",
        required=True,
        readonly=True,
        ondelete="restrict",
        check_company=True,
    )
    company_id = fields.Many2one("res.company", required=True, readonly=True)
    currency_id = fields.Many2one("res.currency", required=True, readonly=True)
    access_token = fields.Char(
        required=True, readonly=True, copy=False, groups="base.group_system"
    )
    quantities = fields.Json(
        readonly=True,
        help="Quantities chosen, by product id: the template's lines and the "
        "add-ons; prices are always those of the server.",
    )
    amount_untaxed = fields.Monetary(readonly=True)
    amount_total = fields.Monetary(readonly=True)
    is_trial = fields.Boolean(
        readonly=True, help="The first invoice comes at the end of the trial."
    )
    customer_type = fields.Selection(
        [("company", "A company"), ("person", "A consumer")],
        required=True,
        readonly=True,
    )
    contact_name = fields.Char(required=True, readonly=True)
    email = fields.Char(required=True, readonly=True)
    phone = fields.Char(readonly=True)
    company_name = fields.Char(readonly=True)
    siret = fields.Char(string="SIRET", readonly=True)
    vat = fields.Char(string="VAT Number", readonly=True)
    street = fields.Char(readonly=True)
    zip = fields.Char(readonly=True)
    city = fields.Char(readonly=True)
    country_id = fields.Many2one("res.country", readonly=True)
    lang = fields.Char(readonly=True)
    ip_address = fields.Char(readonly=True, index=True)
    terms_version = fields.Char(readonly=True)
    terms_accepted_date = fields.Datetime(
        string="Terms Accepted On",
        readonly=True,
        help="When the customer ticked the box accepting the terms and the "
        "pre-contractual information.",
    )
    start_request_date = fields.Datetime(
        string="Immediate Start Requested On",
        readonly=True,
        help="Consumers: when the customer expressly asked the service to "
        "start before the end of the withdrawal period (Code de la "
        "consommation, L221-25), acknowledging they lose the right to "
        "withdraw once the service is fully performed (L221-28).",
    )
    user_id = fields.Many2one(
        "res.users", string="Portal User", readonly=True, ondelete="set null"
    )
    partner_id = fields.Many2one(
        "res.partner", string="Customer", readonly=True, ondelete="set null"
    )
    order_id = fields.Many2one(
        "sale.order",
        string="Subscription",
        readonly=True,
        copy=False,
        ondelete="set null",
        index="btree_not_null",
    )
    transaction_ids = fields.One2many(
        "payment.transaction", "recurring_signup_id", string="Transactions"
    )

    # ------------------------------------------------------------
    # SQL CONSTRAINTS
    # ------------------------------------------------------------

    _sql_constraints = [
        (
            "order_uniq",
            "unique(order_id)",
            "A subscription is created from one signup only.",
        ),
    ]

    # ------------------------------------------------------------
    # COMPUTE METHODS
    # ------------------------------------------------------------

    @api.depends("template_id", "company_name", "contact_name")
    def _compute_name(self):
        for signup in self:
            signup.name = (
                f"{signup.template_id.name} - "
                f"{signup.company_name or signup.contact_name or ''}"
            )

    # ------------------------------------------------------------
    # BUSINESS METHODS: BEFORE PAYMENT
    # ------------------------------------------------------------

    @api.model
    def _get_template_lines(self, template, quantities=None):
        """The lines of the offer: the template's lines, then its add-ons,
        each as ``(product, quantity, is_addon)``; ``quantities`` (by product
        id) overrides the template's, add-ons absent from it are left out."""
        quantities = quantities or {}
        lines = []
        for line in template.sale_order_template_line_ids.filtered("product_id"):
            quantity = quantities.get(str(line.product_id.id), line.product_uom_qty)
            lines.append((line.product_id, int(quantity), False))
        for option in template.sale_order_template_option_ids:
            quantity = quantities.get(str(option.product_id.id), 0)
            lines.append((option.product_id, quantity, True))
        return lines

    @api.model
    def _parse_quantities(self, template, form):
        """Read the quantities of the form: whole numbers between 0 and 999,
        at least one for the template's lines; nothing else is read."""
        quantities = {}
        for product, default, is_addon in self._get_template_lines(template):
            raw = form.get(f"qty_{product.id}")
            if raw in (None, ""):
                quantity = 0 if is_addon else default
            else:
                try:
                    number = float(raw)
                except ValueError:
                    number = -1.0
                quantity = int(number) if number.is_integer() else -1
            if not 0 <= quantity <= 999 or (not is_addon and quantity < 1):
                raise UserError(
                    self.env._(
                        "Choose a quantity between %(min)s and 999 for %(product)s.",
                        min=0 if is_addon else 1,
                        product=product.display_name,
                    )
                )
            quantities[str(product.id)] = quantity
        return quantities

    @api.model
    def _prepare_order_vals(self, template, quantities, partner):
        """The subscription's values, prices left to the server's pricelist."""
        return {
            "partner_id": partner.id,
            "company_id": template.company_id.id or self.env.company.id,
            "sale_order_template_id": template.id,
            # The customer's salesperson, never the visitor who paid (Odoo's
            # public user, the default of a sale order made on their request).
            "user_id": partner.commercial_partner_id.user_id.id or False,
            "require_signature": False,
            "require_payment": False,
            "order_line": [
                Command.create({"product_id": product.id, "product_uom_qty": quantity})
                for product, quantity, _is_addon in self._get_template_lines(
                    template, quantities
                )
                if quantity
            ],
        }

    @api.model
    def _get_quote(self, template, quantities, partner=None):
        """The prices of the offer for ``quantities``, computed by the server
        as the subscription will be: a virtual order, nothing saved."""
        partner = partner or self.env.ref("base.public_partner")
        order = self.env["sale.order"].new(
            self._prepare_order_vals(template, quantities, partner)
        )
        lines = [
            {
                "product": line.product_id,
                "quantity": line.product_uom_qty,
                "price_unit": line.price_unit,
                "price_subtotal": line.price_subtotal,
                "price_total": line.price_total,
            }
            for line in order.order_line
        ]
        return {
            "lines": lines,
            "currency": order.currency_id,
            "amount_untaxed": order.amount_untaxed,
            "amount_total": order.amount_total,
        }

    @api.model
    def _check_customer_details(self, details):
        """Check and normalise, in place, the customer's details as the back
        office and the portal's billing form check them.

        :param dict details: ``customer_type``, ``contact_name``, ``email``,
            ``phone``, ``street``, ``zip``, ``city``, ``country_id`` and, for a
            company, ``company_name``, ``siret``, ``vat``
        """
        required = ["contact_name", "email", "street", "zip", "city", "country_id"]
        if details.get("customer_type") == "company":
            required.append("company_name")
        elif details.get("customer_type") != "person":
            raise UserError(self.env._("Tell us whether you subscribe as a company."))
        if any(not details.get(key) for key in required):
            raise UserError(self.env._("Fill in all the required fields."))
        email = email_normalize(details["email"])
        if not email or not single_email_re.match(details["email"]):
            raise UserError(
                self.env._(
                    "%(email)s is not a valid email address.", email=details["email"]
                )
            )
        details["email"] = email
        country = self.env["res.country"].browse(details["country_id"]).exists()
        if not country:
            raise UserError(self.env._("Choose a country from the list."))
        if details["customer_type"] != "company":
            for key in ("company_name", "siret", "vat"):
                details.pop(key, None)
            return details
        if details.get("siret"):
            details["siret"] = stdnum_siret.compact(details["siret"])
            if not stdnum_siret.is_valid(details["siret"]):
                raise UserError(
                    self.env._(
                        "%(siret)s is not a valid SIRET number (14 digits).",
                        siret=details["siret"],
                    )
                )
        elif country.code == "FR":
            raise UserError(self.env._("Give the SIRET of your company."))
        if details.get("vat"):
            Partner = self.env["res.partner"]
            vat = "".join(char for char in details["vat"] if char.isalnum()).upper()
            if not vat[:2].isalpha():
                vat = Partner.fix_eu_vat_number(country.id, vat)
            self.env["sale.order"]._portal_check_vat_country(vat, country)
            details["vat"] = vat
        return details

    @api.model
    def _check_rate_limit(self, ip_address):
        """At most ``RATE_LIMIT_PER_IP`` signups per IP address per hour."""
        if not ip_address:
            return
        recent = self.sudo().search_count(
            [
                ("ip_address", "=", ip_address),
                ("create_date", ">=", fields.Datetime.now() - RATE_LIMIT_WINDOW),
            ],
            limit=RATE_LIMIT_PER_IP,
        )
        if recent >= RATE_LIMIT_PER_IP:
            raise UserError(
                self.env._(
                    "Too many subscriptions were started from your connection: "
                    "please try again in an hour."
                )
            )

    @api.model
    def _find_existing_user(self, email):
        """A user, active or not, whose login or email is ``email`` (compared
        normalised, never as a pattern)."""
        Users = self.env["res.users"].sudo().with_context(active_test=False)
        normalized = email_normalize(email or "")
        if not normalized:
            return Users.browse()
        return Users.search(
            [
                "|",
                ("login", "in", [email, normalized]),
                ("partner_id.email_normalized", "=", normalized),
            ]
        )

    @api.model
    def _create_signup(
        self, template, quantities, details, consent, ip_address, partner=None
    ):
        """Record a signup awaiting payment.

        :param partner: the customer logged in; without, the price is the one
            of a customer with these details (their country, their VAT
            number: the fiscal position the subscription will have)

        :param dict consent: ``terms`` (bool) and, for consumers,
            ``start_now`` (bool: express request to start at once and
            acknowledgement of losing the withdrawal right)
        :return: the signup (sudo)
        """
        if not (template.online_published and template.plan_id):
            raise UserError(self.env._("This offer is not available online."))
        self._check_customer_details(details)
        if not consent.get("terms"):
            raise UserError(self.env._("Accept the terms and conditions to subscribe."))
        if details["customer_type"] == "person" and not consent.get("start_now"):
            raise UserError(
                self.env._(
                    "Ask for your subscription to start now, during the "
                    "withdrawal period, to subscribe online."
                )
            )
        self._check_rate_limit(ip_address)
        if not partner:
            partner = self.env["res.partner"].new(
                {
                    "name": details.get("company_name") or details["contact_name"],
                    "is_company": details["customer_type"] == "company",
                    "country_id": details["country_id"],
                    "vat": details.get("vat"),
                }
            )
        quote = self._get_quote(template, quantities, partner)
        now = fields.Datetime.now()
        company = template.company_id or self.env.company
        return self.sudo().create(
            {
                **{key: details.get(key) for key in (*DETAIL_FIELDS, "lang")},
                "template_id": template.id,
                "company_id": company.id,
                "currency_id": quote["currency"].id,
                "quantities": quantities,
                "amount_untaxed": quote["amount_untaxed"],
                "amount_total": quote["amount_total"],
                "is_trial": bool(template.trial_days),
                "access_token": secrets.token_urlsafe(32),
                "ip_address": ip_address,
                "terms_version": template.online_terms_version,
                "terms_accepted_date": now,
                "start_request_date": (
                    now if details["customer_type"] == "person" else False
                ),
            }
        )

    def _prepare_payer_vals(self):
        """The payer's details of a transaction paid before the customer
        exists (``payment.transaction`` copies them from its partner)."""
        self.ensure_one()
        return {
            "partner_name": self.company_name or self.contact_name,
            "partner_email": self.email,
            "partner_phone": self.phone,
            "partner_address": self.street,
            "partner_zip": self.zip,
            "partner_city": self.city,
            "partner_country_id": self.country_id.id,
            "partner_lang": self.lang,
        }

    def _check_access_token(self, token):
        self.ensure_one()
        return bool(token) and consteq(self.sudo().access_token, token)

    @api.autovacuum
    def _gc_abandoned_signups(self):
        """Delete the signups left unpaid for ``ABANDONED_RETENTION``."""
        self.sudo().search(
            [
                ("state", "in", ("draft", "cancel")),
                ("create_date", "<", fields.Datetime.now() - ABANDONED_RETENTION),
            ]
        ).unlink()
