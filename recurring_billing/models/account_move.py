# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import copy
import logging
import re
from datetime import timedelta

from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import float_repr, format_amount, format_date, sql

from ..tools.facturx_validation import validate_facturx
from ..tools.facturx_vat import get_fr_vat_exemption_key
from ..tools.mail import post_template_message

_logger = logging.getLogger(__name__)

SUBSCRIPTION_PERIOD_CONSTRAINT = "account_move_subscription_period_excl"
# The body of the creation entry that the chatter posts with a subtype.


def ensure_subscription_period_constraint(cr):
    """No two live invoices of a subscription bill the same day: an exclusion
    constraint on the subscription and the billed range of dates (both ends
    included), which replaces the unique index on the period start of
    version 18.0.2. Idempotent; an existing database whose invoices already
    overlap keeps the old index and logs the invoices to correct."""
    if sql.constraint_definition(cr, "account_move", SUBSCRIPTION_PERIOD_CONSTRAINT):
        return
    cr.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    cr.execute(
        """
        SELECT a.subscription_id, a.id, b.id
          FROM account_move a
          JOIN account_move b
            ON b.subscription_id = a.subscription_id
           AND b.id > a.id
           AND b.move_type = 'out_invoice'
           AND b.state != 'cancel'
           AND daterange(b.subscription_period_start,
                         b.subscription_period_end, '[]')
            && daterange(a.subscription_period_start,
                         a.subscription_period_end, '[]')
         WHERE a.move_type = 'out_invoice'
           AND a.state != 'cancel'
           AND a.subscription_period_start IS NOT NULL
           AND a.subscription_period_end IS NOT NULL
         ORDER BY 1, 2, 3
        """
    )
    overlaps = cr.fetchall()
    if overlaps:
        _logger.warning(
            "Subscription invoices bill the same days twice (subscription, "
            "invoice, invoice): %s. Cancel or credit the duplicates, then "
            "update the module to enforce one invoice per day billed.",
            overlaps,
        )
        return
    cr.execute("DROP INDEX IF EXISTS account_move_subscription_period_uniq")
    # The live invoices of a subscription's periods: customer invoices, draft
    # or posted, that carry a billing period. Credit notes, cancelled invoices
    # and the invoices of change orders (no period) are outside it.
    cr.execute(
        """
        ALTER TABLE account_move
          ADD CONSTRAINT account_move_subscription_period_excl
          EXCLUDE USING gist (
              subscription_id WITH =,
              daterange(subscription_period_start, subscription_period_end, '[]')
                  WITH &&
          ) WHERE (
              subscription_id IS NOT NULL
              AND move_type = 'out_invoice'
              AND state != 'cancel'
              AND subscription_period_start IS NOT NULL
              AND subscription_period_end IS NOT NULL
          )
        """
    )


# Legal cap of payment terms between professionals in France: 60 days from
# the invoice date, or 45 days end of month.
FR_MAX_PAYMENT_DAYS = 60
# "TVA 5,5%", "VAT 5.5 %": the rate in a tax group's name.
_RATE_IN_LABEL = re.compile(r"(\d+(?:[.,]\d+)?)\s*%")


def _fr_latest_due_date(invoice_date):
    return max(
        invoice_date + timedelta(days=FR_MAX_PAYMENT_DAYS),
        invoice_date + timedelta(days=45) + relativedelta(day=31),
    )


class AccountMove(models.Model):
    _name = "account.move"
    _inherit = [
        "account.move",
        "recurring.invoice.payment",
        "recurring.invoice.charge.outcome",
        "recurring.invoice.batch.post",
        "recurring.invoice.public",
        "recurring.invoice.einvoice",
    ]

    subscription_id = fields.Many2one(
        "sale.order",
        string="Subscription",
        index="btree_not_null",
        copy=False,
        readonly=True,
        check_company=True,
        ondelete="restrict",
    )
    subscription_period_start = fields.Date(
        string="Billing Period Start", copy=False, readonly=True
    )
    subscription_period_end = fields.Date(
        string="Billing Period End", copy=False, readonly=True
    )
    recurring_usage_ids = fields.One2many(
        "recurring.usage", "move_id", string="Billed Usage", readonly=True
    )
    recurring_post_pending = fields.Boolean(
        string="To Be Posted by the Recurring Job",
        index=True,
        copy=False,
        readonly=True,
        help="Created by a recurring-invoicing worker while another worker "
        "was numbering invoices of the same journal: the next worker run posts "
        "it, in date order.",
    )

    einvoice_amount_collected = fields.Monetary(
        string="Amount Collected",
        compute="_compute_einvoice_status",
        store=True,
        copy=False,
        help='The payments received, as the "collected" e-invoice statuses '
        "report them (negative on a credit note: refunded to the customer).",
    )
    fr_operation_nature = fields.Selection(
        [
            ("goods", "Delivery of goods"),
            ("services", "Provision of services"),
            ("mixed", "Mixed operation (goods and services)"),
        ],
        string="Nature of the Operation",
        compute="_compute_fr_operation_nature",
        help="Goods, services or both, from the products invoiced: a mandatory "
        "mention on French invoices.",
    )

    @api.depends("invoice_line_ids.product_id.type")
    def _compute_fr_operation_nature(self):
        for move in self:
            types = set(
                move.invoice_line_ids.filtered(
                    lambda line: line.display_type == "product"
                ).mapped(lambda line: line.product_id.type or "service")
            )
            has_services = "service" in types
            has_goods = bool(types - {"service"})
            move.fr_operation_nature = (
                "mixed"
                if has_services and has_goods
                else "goods"
                if has_goods
                else "services"
                if has_services
                else False
            )

    def init(self):
        res = super().init()
        # No day of a subscription billed twice, whatever runs the job and
        # however often: the database, not Python, has the last word.
        ensure_subscription_period_constraint(self.env.cr)
        return res

    # ------------------------------------------------------------
    # BUSINESS METHODS
    # ------------------------------------------------------------

    def _post(self, soft=True):
        posted = super()._post(soft=soft)
        # After Odoo's own _post, which sets the invoice and due dates; an
        # error rolls the posting back.
        posted.filtered(
            lambda move: move.is_sale_document()
            and move.l10n_fr_is_company_french
            and move.company_id.fr_check_customer_ids
            and (
                move.company_id.fr_check_all_invoices
                or move._is_subscription_document()
            )
        )._check_fr_customer_identifiers()
        posted._check_fr_public_buyer()
        posted.filtered(
            lambda move: move.move_type == "out_invoice"
            and move.subscription_id.sudo().recurring_prepayment_tx_id
        )._recurring_apply_prepayment()
        return posted

    def _recurring_apply_prepayment(self):
        """The first invoice of a subscription whose quotation was paid
        online before it was due is paid with that payment."""
        for move in self:
            subscription = move.subscription_id.sudo()
            payment = subscription.recurring_prepayment_tx_id.payment_id
            if not payment:
                continue
            receivable = move.line_ids.filtered(
                lambda line: line.display_type == "payment_term"
            ).account_id
            lines = payment.move_id.line_ids.filtered(
                lambda line, receivable=receivable: line.account_id in receivable
                and not line.reconciled
            )
            for line in lines:
                move.sudo().js_assign_outstanding_line(line.id)
            subscription.recurring_prepayment_tx_id = False

    def _is_subscription_document(self):
        """A subscription invoice, the invoice of a change order, or a credit
        note of either: what this module issues."""
        self.ensure_one()
        origin = self.reversed_entry_id or self
        return bool(
            origin.subscription_id
            or origin.invoice_line_ids.sale_line_ids.order_id.filtered(
                lambda order: order.is_subscription or order.subscription_parent_id
            )
        )

    def _check_fr_customer_identifiers(self):
        """A company customer needs its VAT number in another EU country and
        its SIREN in France (both are mandatory mentions of the invoice), and
        payment terms within the legal cap."""
        if not self:
            return
        europe = self.env.ref("base.europe").country_ids
        for move in self:
            partner = move.commercial_partner_id
            if not partner.is_company:
                continue
            if (
                move.invoice_date
                and move.invoice_date_due
                and move.invoice_date_due > _fr_latest_due_date(move.invoice_date)
            ):
                raise UserError(
                    self.env._(
                        "Invoice %(invoice)s cannot be posted: between professionals "
                        "payment is due within %(days)s days of the invoice date, or "
                        "45 days end of month (Code de commerce, art. L441-10).",
                        invoice=move.display_name,
                        days=FR_MAX_PAYMENT_DAYS,
                    )
                )
            country = partner.country_id
            if country.code in move.company_id._get_france_country_codes():
                if not partner.siret:
                    raise UserError(
                        self.env._(
                            "Invoice %(invoice)s cannot be posted: the French "
                            "company %(partner)s has no SIRET, and its SIREN is a "
                            "mandatory mention. Fill it on the customer, or turn "
                            "off this check in the company's settings.",
                            invoice=move.display_name,
                            partner=partner.display_name,
                        )
                    )
            elif country in europe and not partner.vat:
                raise UserError(
                    self.env._(
                        "Invoice %(invoice)s cannot be posted: the company "
                        "%(partner)s in %(country)s has no VAT number, which "
                        "intra-EU invoices must carry. Fill it on the customer, "
                        "or turn off this check in the company's settings.",
                        invoice=move.display_name,
                        partner=partner.display_name,
                        country=country.name,
                    )
                )

    def _get_fr_legal_mentions(self):
        """The mandatory mentions of a French invoice that Odoo does not print,
        in the invoice's language, in the order they are printed.

        :return: ``[(key, text)]``
        """
        self.ensure_one()
        company = self.company_id
        if not self.l10n_fr_is_company_french or not self.is_sale_document():
            return []
        partner = self.commercial_partner_id
        mentions = []
        seller = [company.name]
        if company.fr_legal_form:
            seller.append(company.fr_legal_form)
        if company.fr_share_capital:
            seller.append(
                self.env._(
                    "share capital %(amount)s",
                    amount=format_amount(
                        self.env, company.fr_share_capital, company.currency_id
                    ),
                )
            )
        # The registered address, which Odoo prints in the page header only, and
        # some wkhtmltopdf builds print no header.
        address = company.partner_id._display_address(without_company=True)
        if address_lines := list(filter(None, map(str.strip, address.splitlines()))):
            seller.append(", ".join(address_lines))
        if company.fr_rcs:
            seller.append(company.fr_rcs)
        if company.siret:
            seller.append(self.env._("SIREN %(siren)s", siren=company.siret[:9]))
            seller.append(self.env._("SIRET %(siret)s", siret=company.siret))
        if company.vat:
            seller.append(self.env._("VAT %(vat)s", vat=company.vat))
        mentions.append(("seller", " - ".join(seller)))
        if partner.is_company and partner.siret:
            mentions.append(
                (
                    "buyer_siren",
                    self.env._("Customer SIREN: %(siren)s", siren=partner.siret[:9]),
                )
            )
        if self.reversed_entry_id:
            mentions.append(
                (
                    "original_invoice",
                    self.env._(
                        "Credit note for invoice %(invoice)s of %(date)s.",
                        invoice=self.reversed_entry_id.name,
                        date=format_date(self.env, self.reversed_entry_id.invoice_date),
                    ),
                )
            )
        mentions += self._get_fr_vat_mentions()
        if company.fr_late_payment_note:
            mentions.append(("late_payment", company.fr_late_payment_note))
        if company.fr_recovery_indemnity and partner.is_company:
            mentions.append(
                (
                    "recovery_indemnity",
                    self.env._(
                        "Indemnité forfaitaire pour frais de recouvrement en cas de "
                        "retard de paiement : 40 € (art. L441-10 et D441-5 du Code "
                        "de commerce)."
                    ),
                )
            )
        if company.fr_early_payment_note:
            mentions.append(("early_payment", company.fr_early_payment_note))
        return mentions

    def _get_fr_vat_mentions(self):
        """Why the invoice bears no VAT (franchise, reverse charge,
        exemption), and the option for VAT on debits: ``[(key, text)]``."""
        self.ensure_one()
        company = self.company_id
        mentions = []
        if company.fr_vat_franchise:
            mentions.append(
                ("franchise", self.env._("TVA non applicable, art. 293 B du CGI"))
            )
        elif self._is_fr_reverse_charge():
            mentions.append(
                (
                    "reverse_charge",
                    self.env._(
                        "Autoliquidation: VAT due by the customer "
                        "(art. 283-2 of the French tax code, art. 196 of "
                        "directive 2006/112/EC)."
                    ),
                )
            )
        reasons = self.env["account.edi.xml.cii"]._get_fr_vat_exemption_reasons()
        for key in self._get_fr_vat_exemption_keys():
            if key not in ("franchise", "reverse_charge"):
                mentions.append((f"vat_exemption_{key}", reasons[key]))
        if (
            company.fr_vat_on_debits
            and not company.fr_vat_franchise
            and self.fr_operation_nature in ("services", "mixed")
        ):
            mentions.append(
                (
                    "vat_on_debits",
                    self.env._("Option pour le paiement de la taxe d'après les débits"),
                )
            )
        return mentions

    def _get_fr_vat_exemption_keys(self):
        """Why lines of this invoice bear no VAT (keys of
        ``tools/facturx_vat.py``), in the order of the lines."""
        self.ensure_one()
        keys = []
        nature = self.fr_operation_nature or "services"
        for tax in self.invoice_line_ids.tax_ids:
            key = get_fr_vat_exemption_key(
                self.company_id, self.commercial_partner_id, tax, nature
            )
            if key and key not in keys:
                keys.append(key)
        return keys

    def _is_fr_nothing_due(self):
        """A 0.00 invoice: no due date nor payment reference to print."""
        self.ensure_one()
        return self.currency_id.is_zero(self.amount_total)

    def _format_fr_rate_label(self, label):
        """``label`` with its rate written the language's way, a
        non-breaking space before the per cent sign: "5,5 %" in French."""
        lang = self.env["res.lang"]._get_data(code=self.env.lang or "en_US")
        decimal_point = lang.decimal_point or "."

        def rate(match):
            value = float(match.group(1).replace(",", "."))
            text = float_repr(value, 2).rstrip("0").rstrip(".")
            return text.replace(".", decimal_point) + "\u00a0%"

        return _RATE_IN_LABEL.sub(rate, label)

    def _get_fr_report_tax_totals(self):
        """Odoo's tax totals, each tax group's rate written as on the lines
        (see ``account.move.line._get_fr_tax_labels``)."""
        self.ensure_one()
        tax_totals = self.tax_totals
        if not tax_totals or not self.l10n_fr_is_company_french:
            return tax_totals
        tax_totals = copy.deepcopy(tax_totals)
        for subtotal in tax_totals.get("subtotals", []):
            for group in subtotal.get("tax_groups", []):
                group["group_name"] = self._format_fr_rate_label(group["group_name"])
        return tax_totals

    def _is_fr_reverse_charge(self):
        """Services to a company in another EU country, without French VAT."""
        self.ensure_one()
        partner = self.commercial_partner_id
        country = partner.country_id
        return bool(
            partner.is_company
            and partner.vat
            and country in self.env.ref("base.europe").country_ids
            and country.code not in self.company_id._get_france_country_codes()
            and self.fr_operation_nature in ("services", "mixed")
            and self.currency_id.is_zero(self.amount_tax)
        )

    def _get_facturx_failures(self, xml_content=None):
        """Rules of the Factur-X EN 16931 XSD and of the EN 16931 and French
        CTC schematrons that this invoice's Factur-X breaks, as messages."""
        self.ensure_one()
        if xml_content is None:
            xml_content = self.env["account.edi.xml.cii"]._export_invoice(self)[0]
        found = validate_facturx(xml_content)
        messages = [f"XSD: {error}" for error in found["xsd"]]
        for name in ("en16931", "fr_ctc"):
            messages += [
                f"{failure['id'] or name}: {failure['text']}" for failure in found[name]
            ]
        return messages

    def action_check_facturx(self):
        """Check the Factur-X of these invoices and say what is wrong."""
        problems = []
        for move in self:
            failures = move._get_facturx_failures()
            if failures:
                problems.append(
                    "%s\n- %s" % (move.display_name, "\n- ".join(failures))  # noqa: UP031
                )
        if problems:
            raise UserError("\n\n".join(problems))
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success",
                "message": self.env._(
                    "The Factur-X passes the EN 16931 schema and the EN 16931 and "
                    "French CTC rules."
                ),
            },
        }

    def _get_mail_template(self):
        """Subscription invoices are sent with their subscription's template."""
        templates = {
            move.subscription_id._get_subscription_mail_template("invoice")
            for move in self
            if move.subscription_id and move.move_type == "out_invoice"
        }
        if len(templates) == 1 and len(self.subscription_id) == len(self):
            template = templates.pop()
            if template:
                return template
        return super()._get_mail_template()

    def _invoice_paid_hook(self):
        res = super()._invoice_paid_hook()
        for move in self.filtered(
            lambda m: m.subscription_id and m.move_type == "out_invoice"
        ):
            mail_template = move.subscription_id._get_subscription_mail_template(
                "payment"
            )
            # Queued for Odoo's mail queue: never sent inside the
            # reconciliation that pays the invoice.
            post_template_message(move, mail_template)
        return res
