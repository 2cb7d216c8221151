# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
{
    "name": "Recurring Billing - Stripe",
    "summary": "Pay subscription invoices automatically with saved Stripe "
    "payment methods",
    "version": "18.0.2.0.0",
    "development_status": "Alpha",
    "category": "Accounting/Payment Providers",
    "website": "https://github.com/recurring-billing/recurring-billing",
    "author": "Recurring Billing for Odoo contributors",
    "maintainers": [],
    "license": "AGPL-3",
    "installable": True,
    "external_dependencies": {"python": ["stripe"]},
    "depends": ["recurring_billing", "payment_stripe"],
    "data": [
        "security/ir.model.access.csv",
        "security/ir_rules.xml",
        "data/mail_template_data.xml",
        "data/cii_facturx_templates.xml",
        "views/recurring_stripe_event_views.xml",
        "views/payment_provider_views.xml",
        "views/menus.xml",
    ],
}
