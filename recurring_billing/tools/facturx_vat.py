# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Why a French company's invoice line carries no VAT, free of any ORM write:
the EN 16931 VAT category (BT-118, BT-151), the exemption reason code
(BT-121, VATEX list) and which legal basis the invoice must print (BT-120).

The cases are those of the French chart's fiscal positions a French company
selling services (and some goods) meets:

========================  =====================  ========  ===============
fiscal position           customer               category  legal basis key
========================  =====================  ========  ===============
Domestic - France         France, Monaco         S         (French VAT)
EU private                EU consumer            S         (French VAT)
Intra-EU B2B              EU company, services   AE        reverse_charge
Intra-EU B2B              EU company, goods      K         intra_eu_goods
Outside Europe + DOM-TOM  services               O         export_services
Outside Europe + DOM-TOM  goods (or mixed)       G         export_goods
Outside Europe + DOM-TOM  DOM, services          O         dom_services
Outside Europe + DOM-TOM  DOM, goods (or mixed)  G         dom_goods
(company setting)         any                    E         franchise
========================  =====================  ========  ===============

"Not subject to VAT" (O) cannot share an invoice with another category
(BR-O-11): an invoice that also sells goods declares its services under G.
"""

# Overseas departments where the metropolitan VAT does not apply to a sale
# from mainland France (CGI art. 294): treated as exports.
DOM_COUNTRY_CODES = ("GP", "MQ", "RE", "GF", "YT")
EEA_EXTRA_CODES = ("NO", "IS", "LI")

EXEMPTIONS = {
    "franchise": ("E", "VATEX-FR-FRANCHISE"),
    "reverse_charge": ("AE", "VATEX-EU-AE"),
    "intra_eu_goods": ("K", "VATEX-EU-IC"),
    "export_goods": ("G", "VATEX-EU-G"),
    "export_services": ("O", "VATEX-EU-O"),
    "dom_goods": ("G", "VATEX-EU-G"),
    "dom_services": ("O", "VATEX-EU-O"),
}


def get_fr_vat_exemption_key(company, customer, tax, operation_nature=None):
    """Which exemption applies to ``tax`` on an invoice of the French
    ``company`` to ``customer`` (a commercial partner), or ``None`` when the
    line bears French VAT (or is none of the cases above).

    :param str operation_nature: ``goods``, ``services`` or ``mixed``: what
        the whole invoice sells (services by default)
    """
    if company.fr_vat_franchise:
        return "franchise"
    if tax and tax.amount_type == "percent" and tax.amount:
        return None
    country = customer.country_id.code
    if not country:
        return None
    # What the invoice sells decides, not the tax's scope: the French chart's
    # default sale tax is a goods tax that its fiscal positions map to the
    # goods exemptions, whatever the products. O excludes every other
    # category on the invoice (BR-O-11): goods and services together are
    # declared as exports of goods.
    nature = operation_nature or "services"
    out_of_scope = nature == "services"
    is_service = out_of_scope or (
        nature == "mixed" and bool(tax) and tax.tax_scope == "service"
    )
    if country in DOM_COUNTRY_CODES:
        return "dom_services" if out_of_scope else "dom_goods"
    if country in company._get_france_country_codes() or country == "MC":
        return None
    europe = company.env.ref("base.europe").country_ids.mapped("code")
    if country in europe or country in EEA_EXTRA_CODES:
        if not customer.vat:
            return None
        return "reverse_charge" if is_service else "intra_eu_goods"
    return "export_services" if out_of_scope else "export_goods"


def get_fr_vat_exemption(company, customer, tax, operation_nature=None):
    """``{"key", "category", "code"}`` of :func:`get_fr_vat_exemption_key`,
    or ``None``."""
    key = get_fr_vat_exemption_key(company, customer, tax, operation_nature)
    if not key:
        return None
    category, code = EXEMPTIONS[key]
    return {"key": key, "category": category, "code": code}
