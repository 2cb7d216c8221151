# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import pytz

from odoo import api, fields, models
from odoo.osv import expression

from ..tools.wkhtmltopdf import wkhtmltopdf_lacks_patched_qt


class ResCompany(models.Model):
    _inherit = "res.company"

    fr_legal_form = fields.Char(
        string="Legal Form", help="Printed on invoices, e.g. SAS, SARL, EURL."
    )
    fr_share_capital = fields.Monetary(
        string="Share Capital", currency_field="currency_id"
    )
    fr_rcs = fields.Char(
        string="Trade Register (RCS)",
        help="Registration at the trade and companies register, e.g. RCS Paris.",
    )
    fr_vat_on_debits = fields.Boolean(
        string="VAT on Debits",
        help="The company opted to pay the VAT on services when they are "
        "invoiced (option pour le paiement de la taxe d'après les débits): "
        "its invoices say so.",
    )
    fr_vat_franchise = fields.Boolean(
        string="VAT Exemption (Franchise en Base)",
        help="The company is exempt of VAT under article 293 B of the French "
        "tax code: its invoices say so and carry no VAT.",
    )
    fr_late_payment_note = fields.Char(
        string="Late Payment Penalties",
        translate=True,
        default="Pénalités de retard : trois fois le taux d'intérêt légal.",
    )
    fr_recovery_indemnity = fields.Boolean(
        string="Fixed Recovery Indemnity",
        default=True,
        help="Print the 40 € fixed indemnity for recovery costs owed by "
        "professional customers who pay late (Code de commerce, art. L441-10).",
    )
    fr_early_payment_note = fields.Char(
        string="Early Payment Discount",
        translate=True,
        default="Pas d'escompte pour paiement anticipé.",
    )
    fr_check_customer_ids = fields.Boolean(
        string="Require Customer Identifiers",
        default=True,
        help="Refuse to post a subscription invoice (or a change order's "
        "invoice, or their credit notes) for a company customer in another EU "
        "country without a VAT number, for a French company customer without "
        "a SIREN (SIRET), or with payment terms over the legal cap.",
    )
    fr_check_all_invoices = fields.Boolean(
        string="Check Every Customer Invoice",
        help="Apply the customer identifier and payment term checks to every "
        "customer invoice of the company, not only to subscription invoices.",
    )
    recurring_test_charges = fields.Boolean(
        string="Allow Test Charges",
        help="Charge subscription invoices through payment providers in test "
        "mode. Leave it off on a live database: a provider in test mode "
        "collects no money, and the invoices would look paid.",
    )
    sepa_creditor_identifier = fields.Char(
        string="SEPA Creditor Identifier",
        help="The identifier the company collects SEPA direct debits under "
        "(e.g. FR12ZZZ123456), printed on debit pre-notifications and in the "
        "Factur-X of invoices paid by direct debit (BT-90).",
    )
    card_expiry_reminder_days = fields.Integer(
        string="Card Expiry Reminder (days)",
        default=30,
        help="Days before a saved card expires at which the customers whose "
        "subscriptions it pays are asked to replace it.",
    )

    wkhtmltopdf_lacks_patched_qt = fields.Boolean(
        string="PDF Renderer Without Patched Qt",
        compute="_compute_wkhtmltopdf_lacks_patched_qt",
        help="The server's wkhtmltopdf is built without patched Qt: PDFs have no "
        "page header or footer and invoices are rendered one at a time.",
    )

    # ------------------------------------------------------------
    # COMPUTE METHODS
    # ------------------------------------------------------------

    def _compute_wkhtmltopdf_lacks_patched_qt(self):
        lacks_patched_qt = wkhtmltopdf_lacks_patched_qt()
        for company in self:
            company.wkhtmltopdf_lacks_patched_qt = lacks_patched_qt

    # ------------------------------------------------------------
    # BUSINESS METHODS
    # ------------------------------------------------------------

    def _get_today(self):
        """Today in the company's time zone, not in UTC, whoever asks: its
        partner's time zone, else the first of its country's (Europe/Paris
        for France), else UTC. Never the user's: the job, a salesman and a
        subscriber on the portal must agree on the company's date."""
        company = self[:1] or self.env.company
        return fields.Date.context_today(self.with_context(tz=company._get_time_zone()))

    def _get_time_zone(self):
        self.ensure_one()
        partner = self.sudo().partner_id
        if partner.tz:
            return partner.tz
        zones = pytz.country_timezones.get(partner.country_id.code or "", [])
        return zones[0] if zones else "UTC"

    def _with_job_lang(self, records):
        """``records`` in the language the company's staff read: that of the
        context when a user acts, else the company's (its partner's), else
        that of the user the job runs as, as Odoo's ``_`` falls back. The
        jobs run with no language: their notes on the chatter, the dunning
        history and the tracked values would be in English."""
        self.ensure_one()
        if records.env.lang:
            return records
        lang = self.sudo().partner_id.lang or records.env.user.lang
        return records.with_context(lang=lang) if lang else records

    @api.model
    def _get_today_domain(self, field, operator):
        """``field operator today``, with each company's own today, for
        records that have a ``company_id``."""
        return expression.OR(
            [
                [
                    ("company_id", "=", company.id),
                    (field, operator, company._get_today()),
                ]
                for company in self.sudo().search([])
            ]
        )
