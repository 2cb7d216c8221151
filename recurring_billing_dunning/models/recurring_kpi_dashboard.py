# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import api, fields, models


class RecurringKpiDashboard(models.TransientModel):
    _inherit = "recurring.kpi.dashboard"

    # ------------------------------------------------------------
    # FIELDS
    # ------------------------------------------------------------

    dunning_failed_amount = fields.Monetary(
        string="Unpaid Entering Dunning",
        compute="_compute_dunning_figures",
        help="What was left to pay on the invoices whose dunning started in the month.",
    )
    dunning_recovered_amount = fields.Monetary(
        string="Recovered by Dunning",
        compute="_compute_dunning_figures",
        help="Of these, what was paid since.",
    )
    dunning_recovery_rate = fields.Float(
        string="Dunning Recovery Rate",
        compute="_compute_dunning_figures",
        help="Invoices paid / invoices whose dunning started in the month, "
        "those cancelled by a credit note left out.",
    )
    dunning_days_to_recover = fields.Float(
        string="Days to Recover",
        compute="_compute_dunning_figures",
        digits=(16, 1),
        help="Average number of days from the start of the dunning to the "
        "payment, of the invoices paid among those whose dunning started in "
        "the month.",
    )
    dunning_lost_count = fields.Integer(
        string="Subscriptions Lost to Dunning",
        compute="_compute_dunning_figures",
        help="Subscriptions closed for non-payment, of the invoices whose "
        "dunning started in the month.",
    )

    # ------------------------------------------------------------
    # COMPUTE METHODS
    # ------------------------------------------------------------

    @api.depends(
        "date", "company_ids", "plan_ids", "template_ids", "user_ids", "country_ids"
    )
    @api.depends_context("company", "allowed_company_ids")
    def _compute_dunning_figures(self):
        """The figures of the Dunning Recovery report for the month, each
        company's amounts converted at the month's end."""
        Report = self.env["recurring.dunning.report"]
        for dashboard in self:
            date_to = dashboard.date_to
            currency = dashboard.currency_id or self.env.company.currency_id
            groups = Report._read_group(
                dashboard._get_dunning_report_domain(),
                ["company_id", "dunning_state"],
                [
                    "invoice_count:sum",
                    "failed_amount:sum",
                    "recovered_amount:sum",
                    "lost_count:sum",
                    "days_to_recover:sum",
                ],
            )
            failed = recovered = 0.0
            counted = paid = lost = days = 0
            for (
                company,
                state,
                count,
                failed_amount,
                recovered_amount,
                lost_n,
                days_n,
            ) in groups:
                failed += company.currency_id._convert(
                    failed_amount, currency, self.env.company, date_to
                )
                recovered += company.currency_id._convert(
                    recovered_amount, currency, self.env.company, date_to
                )
                lost += lost_n
                if state != "cancelled":
                    counted += count
                if state == "recovered":
                    paid += count
                    days += days_n or 0
            dashboard.dunning_failed_amount = currency.round(failed)
            dashboard.dunning_recovered_amount = currency.round(recovered)
            dashboard.dunning_recovery_rate = paid / counted if counted else 0.0
            dashboard.dunning_days_to_recover = days / paid if paid else 0.0
            dashboard.dunning_lost_count = lost

    # ------------------------------------------------------------
    # BUSINESS METHODS
    # ------------------------------------------------------------

    def _get_dunning_report_domain(self):
        """The invoices of the Dunning Recovery report whose dunning started
        in the dashboard's month, for its filters."""
        self.ensure_one()
        domain = [
            ("start_date", ">=", self.date_from),
            ("start_date", "<=", self.date_to),
            ("company_id", "in", (self.company_ids or self.env.companies).ids),
        ]
        for field, records in (
            ("subscription_id.recurring_plan_id", self.plan_ids),
            ("subscription_id.sale_order_template_id", self.template_ids),
            ("subscription_id.user_id", self.user_ids),
            ("partner_id.country_id", self.country_ids),
        ):
            if records:
                domain.append((field, "in", records.ids))
        return domain

    def action_open_dunning_recovery(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "recurring_billing_dunning.recurring_dunning_report_action"
        )
        action["domain"] = self._get_dunning_report_domain()
        return action
