# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
{
    "name": "Recurring Billing Dunning",
    "summary": "Dunning policies for unpaid subscription invoices: payment "
    "retries, reminders, suspension, pause offer, formal notice",
    "version": "18.0.2.1.0",
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
        "data/ir_cron.xml",
        "report/report_formal_notice.xml",
        "views/recurring_dunning_policy_views.xml",
        "views/recurring_dunning_history_views.xml",
        "views/recurring_dunning_report_views.xml",
        "views/account_move_views.xml",
        "views/sale_order_views.xml",
        "views/recurring_kpi_dashboard_views.xml",
        "views/dunning_pause_templates.xml",
        "views/menus.xml",
    ],
    "demo": ["demo/sale_order_template_demo.xml"],
    "post_init_hook": "post_init_hook",
}
