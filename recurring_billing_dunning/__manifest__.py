# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
{
    "name": "Recurring Billing Dunning",
    "summary": "Reminder levels, payment retries and suspension for unpaid "
    "subscription invoices",
    "version": "18.0.1.0.0",
    "development_status": "Alpha",
    "category": "Accounting/Accounting",
    "website": "https://github.com/recurring-billing/recurring-billing",
    "author": "Recurring Billing for Odoo contributors",
    "maintainers": [],
    "license": "AGPL-3",
    "installable": True,
    "depends": ["recurring_billing"],
    "data": [
        "security/ir.model.access.csv",
        "security/ir_rules.xml",
        "data/mail_template_data.xml",
        "data/recurring_dunning_level_data.xml",
        "views/recurring_dunning_level_views.xml",
        "views/menus.xml",
    ],
    "demo": ["demo/recurring_dunning_level_demo.xml"],
}
