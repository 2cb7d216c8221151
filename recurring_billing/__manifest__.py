# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
{
    "name": "Recurring Billing",
    "summary": "Subscriptions on sale orders, invoiced every period by a safe, "
    "idempotent recurring-invoicing job",
    "version": "18.0.1.0.0",
    "development_status": "Alpha",
    "category": "Sales/Subscriptions",
    "website": "https://github.com/recurring-billing/recurring-billing",
    "author": "Recurring Billing for Odoo contributors",
    "maintainers": [],
    "license": "AGPL-3",
    "installable": True,
    "external_dependencies": {"python": ["lxml"]},
    "depends": ["sale_management", "l10n_fr_account"],
    "data": [
        "security/ir.model.access.csv",
        "security/ir_rules.xml",
        "data/ir_cron.xml",
        "data/mail_template_data.xml",
        "data/recurring_close_reason_data.xml",
        "data/recurring_plan_data.xml",
        "views/recurring_plan_views.xml",
        "views/recurring_template_views.xml",
        "views/recurring_close_reason_views.xml",
        "views/product_template_views.xml",
        "views/sale_order_views.xml",
        "views/account_move_views.xml",
        "wizards/recurring_simulation_views.xml",
        "report/report_invoice.xml",
        "views/menus.xml",
    ],
    "demo": [
        "demo/res_company_demo.xml",
        "demo/recurring_template_demo.xml",
        "demo/sale_order_demo.xml",
    ],
}
