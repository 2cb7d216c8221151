# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import logging
import re

from stdnum.fr import siret as stdnum_siret

from odoo import models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import single_email_re

_logger = logging.getLogger(__name__)

# What the billing details form may write: on the invoicing contact, and on
# its commercial entity (``name`` is the form's ``company_name``).
PORTAL_BILLING_FIELDS = ("street", "street2", "zip", "city", "country_id", "email")
PORTAL_BILLING_COMMERCIAL_FIELDS = ("vat", "siret", "name")
# VAT prefixes that are not the ISO code of their country (base_vat).
VAT_PREFIX_COUNTRIES = {"el": "gr", "xi": "gb", "t": "jp"}


class RecurringSubscriptionPortalBilling(models.AbstractModel):
    """The billing details a subscriber updates on the customer portal:
    address and email of the invoicing contact, VAT number, SIRET and name
    of its commercial entity."""

    _inherit = "recurring.subscription.portal"

    # ------------------------------------------------------------
    # BUSINESS METHODS: BILLING DETAILS
    # ------------------------------------------------------------

    def _portal_update_billing(self, vals, partner):
        """Write the billing address and VAT/SIRET of the subscription's
        invoicing contact, as its customer ``partner`` (logged in) asks:
        only a contact of the customer's own commercial entity, only the
        fields of the form, the email's form and the VAT number's country
        checked, VAT number and company name locked once invoices exist (as
        Odoo's portal locks them), then the back office's own constraints;
        the next invoices are addressed with them.

        :param vals: ``street``, ``street2``, ``zip``, ``city``,
            ``country_id`` (an id), ``email``, ``vat``, ``siret``,
            ``company_name``, each optional
        """
        self.ensure_one()
        if self.subscription_state == "closed":
            raise UserError(
                self.env._("Subscription %(order)s is closed.", order=self.name)
            )
        invoice_partner = self.sudo().partner_invoice_id
        commercial = invoice_partner.commercial_partner_id
        if commercial != partner.commercial_partner_id:
            # An invoicing contact of another entity (an accounting firm, a
            # parent company): not the customer's to change.
            raise UserError(
                self.env._(
                    "The billing details of this subscription belong to another "
                    "account: please contact us to change them."
                )
            )
        vals = dict(vals)
        if "company_name" in vals:
            vals["name"] = vals.pop("company_name")
        contact_vals = {key: vals[key] for key in PORTAL_BILLING_FIELDS if key in vals}
        commercial_vals = {
            key: vals[key] for key in PORTAL_BILLING_COMMERCIAL_FIELDS if key in vals
        }
        country = self._portal_check_billing_contact(invoice_partner, contact_vals)
        self._portal_check_billing_identity(commercial, commercial_vals, country)
        vat = commercial_vals.get("vat") or commercial.vat
        if vat and (
            commercial_vals.get("vat") or country != invoice_partner.country_id
        ):
            self._portal_check_vat_country(vat, country)
        try:
            with self.env.cr.savepoint():
                # As Odoo's /my/account: the portal user may not write
                # contacts; the checks above stand for it.
                invoice_partner.sudo().write(contact_vals)
                commercial.sudo().write(commercial_vals)
        except (AccessError, ValidationError) as error:
            # The back office's constraints speak of records and models: the
            # customer is told what to check instead.
            _logger.info(
                "Billing details of subscription %s refused: %s", self.id, error
            )
            raise UserError(
                self.env._(
                    "These billing details could not be saved: please check them, "
                    "or contact us."
                )
            ) from error
        self._portal_as_company()._portal_log(
            self.env._(
                "Billing details updated by the customer on the customer portal."
            ),
            partner,
        )
        self._portal_as_company()._send_portal_mail(
            "recurring_billing.mail_template_subscription_portal_billing"
        )

    def _portal_check_billing_contact(self, invoice_partner, contact_vals):
        """Check the address and email asked for ``invoice_partner``.

        :return: the billing country they give (a res.country)
        """
        required = [
            key for key in ("street", "city", "country_id") if key in contact_vals
        ]
        if any(not contact_vals[key] for key in required):
            raise UserError(
                self.env._("The street, the city and the country are required.")
            )
        country = invoice_partner.country_id
        if "country_id" in contact_vals:
            country = self.env["res.country"].sudo().browse(contact_vals["country_id"])
            if not country.exists():
                raise UserError(self.env._("Choose a country from the list."))
        if "email" not in contact_vals:
            return country
        # As Odoo's portal checks an email (portal's details_form_validate).
        if not contact_vals["email"]:
            raise UserError(
                self.env._("The billing email is required: your invoices go to it.")
            )
        if not single_email_re.match(contact_vals["email"]):
            raise UserError(
                self.env._(
                    "%(email)s is not a valid email address.",
                    email=contact_vals["email"],
                )
            )
        return country

    def _portal_check_billing_identity(self, commercial, commercial_vals, country):
        """Check and normalise, in place, the VAT number, SIRET and name asked
        for the commercial entity ``commercial``, billed in ``country``."""
        for key in ("vat", "siret"):
            if key in commercial_vals and not commercial_vals[key] and commercial[key]:
                raise UserError(
                    self.env._(
                        "Your VAT number and SIRET cannot be removed here: "
                        "please contact us."
                    )
                )
        if commercial_vals.get("vat"):
            vat = _compact_vat(commercial_vals["vat"])
            if not vat[:2].isalpha():
                # A number without its country prefix is read as the billing
                # country's (as Odoo's portal does); one with a prefix keeps it,
                # to be checked against the billing country.
                vat = self.env["res.partner"].fix_eu_vat_number(country.id, vat)
            commercial_vals["vat"] = vat
        if "name" in commercial_vals and (
            not commercial.is_company or not commercial_vals["name"]
        ):
            commercial_vals.pop("name")
        self._portal_check_identity_lock(commercial, commercial_vals)
        if commercial_vals.get("siret"):
            commercial_vals["siret"] = stdnum_siret.compact(commercial_vals["siret"])
            if not stdnum_siret.is_valid(commercial_vals["siret"]):
                raise UserError(
                    self.env._(
                        "%(siret)s is not a valid SIRET number (14 digits).",
                        siret=commercial_vals["siret"],
                    )
                )

    def _portal_check_identity_lock(self, commercial, commercial_vals):
        """The VAT number and the company name of a customer that has been
        invoiced cannot change on the portal, as Odoo's ``account`` portal
        locks them (``can_edit_vat``, ``_can_edit_name``): its invoices
        carry them."""
        changes = []
        new_vat = commercial_vals.get("vat")
        if "vat" in commercial_vals and _compact_vat(new_vat) != _compact_vat(
            commercial.vat
        ):
            changes.append("vat")
        if (
            "name" in commercial_vals
            and (commercial_vals["name"] or "").strip()
            != (commercial.name or "").strip()
        ):
            changes.append("name")
        if not changes or not commercial._has_invoice(
            [("partner_id", "child_of", commercial.id)]
        ):
            return
        if "vat" in changes:
            raise UserError(
                self.env._(
                    "Your VAT number cannot be changed once invoices have been "
                    "issued to you: please contact us to change it."
                )
            )
        raise UserError(
            self.env._(
                "Your company name cannot be changed once invoices have been "
                "issued to you: please contact us to change it."
            )
        )

    def _portal_check_vat_country(self, vat, country):
        """A valid VAT number of the billing country ``country``, or a
        UserError that says why not: a German number on a French billing
        address would put the wrong country's VAT on the invoices."""
        if len(vat) <= 1:
            # "/" and the like: not subject to VAT, as Odoo's check_vat.
            return
        Partner = self.env["res.partner"]
        vat_code = Partner._run_vat_test(vat, country, True)
        if vat_code is True:
            # An "EU" number of a business outside the Union (One-Stop Shop).
            return
        if not vat_code:
            raise UserError(
                self.env._("%(vat)s is not a valid VAT number.", vat=vat)
                if not country
                else self.env._(
                    "%(vat)s is not a valid VAT number for %(country)s.",
                    vat=vat,
                    country=country.name,
                )
            )
        vat_country_code = VAT_PREFIX_COUNTRIES.get(vat_code, vat_code).upper()
        if country and vat_country_code != country.code:
            vat_country = (
                self.env["res.country"]
                .sudo()
                .search([("code", "=", vat_country_code)], limit=1)
            )
            raise UserError(
                self.env._(
                    "%(vat)s is a VAT number of %(vat_country)s, but your billing "
                    "address is in %(country)s: give the VAT number of your "
                    "business in %(country)s, or its address in %(vat_country)s.",
                    vat=vat,
                    vat_country=vat_country.name or vat_country_code,
                    country=country.name,
                )
            )


def _compact_vat(vat):
    """A VAT number without spaces, dots nor dashes, upper case."""
    return re.sub(r"[^A-Za-z0-9]", "", vat or "").upper()
