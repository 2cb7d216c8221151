# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from dateutil.relativedelta import relativedelta
from markupsafe import Markup, escape

from odoo import api, fields, models
from odoo.tools import format_date
from odoo.tools.misc import format_amount

# The headline figures: field of the dashboard, key of the figures computed
# by ``recurring.kpi.query``. Each one is shown for the month and the month
# before (its field suffixed by ``_previous``).
FIGURES = {
    "mrr": "mrr",
    "arr": "arr",
    "new_mrr": "new",
    "expansion_mrr": "expansion",
    "contraction_mrr": "contraction",
    "churn_mrr": "churn",
    "reactivation_mrr": "reactivation",
    "fx_mrr": "fx",
    "net_new_mrr": "net_new",
    "customers_end": "customers_end",
    "customers_lost": "customers_lost",
    "logo_churn": "logo_churn",
    "revenue_churn_gross": "revenue_churn_gross",
    "revenue_churn_net": "revenue_churn_net",
    "grr": "grr",
    "nrr": "nrr",
    "arpa": "arpa",
    "ltv": "ltv",
    "trials_ended": "trials_ended",
    "trials_converted": "trials_converted",
    "trial_conversion": "trial_conversion",
    "usage": "usage",
}


def _money(string, help_text=None):
    return fields.Monetary(string=string, compute="_compute_figures", help=help_text)


def _rate(string, help_text=None):
    return fields.Float(string=string, compute="_compute_figures", help=help_text)


def _count(string, help_text=None):
    return fields.Integer(string=string, compute="_compute_figures", help=help_text)


class RecurringKpiDashboard(models.TransientModel):
    """The subscription KPIs of a month beside the month before, and their
    trend over twelve months, for the filters chosen."""

    _name = "recurring.kpi.dashboard"
    _description = "Subscription KPI Dashboard"

    # ------------------------------------------------------------
    # FIELDS
    # ------------------------------------------------------------

    date = fields.Date(
        string="Month",
        required=True,
        default=lambda self: self.env.company._get_today(),
        help="Any day of the month shown.",
    )
    company_ids = fields.Many2many(
        "res.company",
        string="Companies",
        domain=lambda self: [("id", "in", self.env.companies.ids)],
        help="By default, every company selected in the company switcher, "
        "consolidated in the current company's currency.",
    )
    plan_ids = fields.Many2many("recurring.plan", string="Plans")
    template_ids = fields.Many2many(
        "sale.order.template", string="Subscription Templates"
    )
    user_ids = fields.Many2many("res.users", string="Salespersons")
    country_ids = fields.Many2many("res.country", string="Customer Countries")
    currency_id = fields.Many2one(
        "res.currency",
        readonly=True,
        default=lambda self: self.env.company.currency_id,
        help="The current company's currency, in which the companies are consolidated.",
    )
    date_from = fields.Date(string="From", compute="_compute_figures")
    date_to = fields.Date(string="To", compute="_compute_figures")

    mrr = _money(
        "MRR",
        "Monthly recurring revenue at the end of the month: for running "
        "subscriptions (not in trial, paused or closed), the untaxed amount of "
        "their recurring lines after discounts for one month (yearly / 12, "
        "quarterly / 3, weekly x 52 / 12), metered usage excluded, in the "
        "company's currency at the rate of the day it was set.",
    )
    arr = _money("ARR", "Annual recurring revenue: 12 x MRR.")
    new_mrr = _money("New MRR", "MRR of customers who started paying.")
    expansion_mrr = _money(
        "Expansion", "MRR added by paying customers: upgrades, new subscriptions."
    )
    contraction_mrr = _money(
        "Contraction",
        "MRR lost by customers who still pay: downgrades, subscriptions stopped.",
    )
    churn_mrr = _money(
        "Churned MRR",
        "MRR lost by customers who stopped paying: their last subscriptions "
        "closed, paused or suspended.",
    )
    reactivation_mrr = _money(
        "Reactivation", "MRR of customers who paid before, stopped, and pay again."
    )
    fx_mrr = _money(
        "Exchange-Rate Effect",
        "Change of MRR due to exchange rates: a subscription in another "
        "currency is revalued at the rate of the day of each of its movements.",
    )
    net_new_mrr = _money(
        "Net New MRR",
        "New + expansion + reactivation - contraction - churn + exchange-rate "
        "effect: MRR at the end - MRR at the start.",
    )
    customers_end = _count(
        "Paying Customers",
        "Customers (companies or individuals) paying for at least one "
        "subscription at the end of the month.",
    )
    customers_lost = _count(
        "Customers Lost",
        "Customers paying at the start of the month and no more at its end.",
    )
    logo_churn = _rate(
        "Logo Churn", "Customers lost / customers paying at the start of the month."
    )
    revenue_churn_gross = _rate(
        "Gross Revenue Churn", "(Churned + contraction MRR) / MRR at the start."
    )
    revenue_churn_net = _rate(
        "Net Revenue Churn",
        "(Churned + contraction - expansion - reactivation MRR) / MRR at the "
        "start; negative when upgrades outweigh losses.",
    )
    grr = _rate(
        "GRR",
        "Gross revenue retention: the sum, over the customers paying at the "
        "start, of the lesser of their MRR at the start and at the end / MRR "
        "at the start.",
    )
    nrr = _rate(
        "NRR",
        "Net revenue retention: MRR at the end of the customers paying at the "
        "start (upgrades and their new subscriptions included) / MRR at the "
        "start.",
    )
    arpa = _money("ARPA", "Average revenue per account: MRR / paying customers.")
    ltv = _money(
        "LTV",
        "Customer lifetime value: ARPA / logo churn (0 when no customer was lost).",
    )
    trials_ended = _count(
        "Trials Ended",
        "Trials started in the month that have ended: became paid, were "
        "closed, or passed their end date.",
    )
    trials_converted = _count(
        "Trials Converted", "Trials started in the month that became paid."
    )
    trial_conversion = _rate(
        "Trial Conversion",
        "Trials converted / trials ended, of the trials started in the month.",
    )
    usage = _money(
        "Metered Usage",
        "Not in MRR: the untaxed amount invoiced for the usage served in the "
        "month (by the service end date of the invoice lines).",
    )
    trend_html = fields.Html(
        string="Last 12 Months", compute="_compute_figures", sanitize=False
    )

    # The same figures for the month before.
    mrr_previous = _money("MRR (Month Before)")
    arr_previous = _money("ARR (Month Before)")
    new_mrr_previous = _money("New MRR (Month Before)")
    expansion_mrr_previous = _money("Expansion (Month Before)")
    contraction_mrr_previous = _money("Contraction (Month Before)")
    churn_mrr_previous = _money("Churned MRR (Month Before)")
    reactivation_mrr_previous = _money("Reactivation (Month Before)")
    fx_mrr_previous = _money("Exchange-Rate Effect (Month Before)")
    net_new_mrr_previous = _money("Net New MRR (Month Before)")
    customers_end_previous = _count("Paying Customers (Month Before)")
    customers_lost_previous = _count("Customers Lost (Month Before)")
    logo_churn_previous = _rate("Logo Churn (Month Before)")
    revenue_churn_gross_previous = _rate("Gross Revenue Churn (Month Before)")
    revenue_churn_net_previous = _rate("Net Revenue Churn (Month Before)")
    grr_previous = _rate("GRR (Month Before)")
    nrr_previous = _rate("NRR (Month Before)")
    arpa_previous = _money("ARPA (Month Before)")
    ltv_previous = _money("LTV (Month Before)")
    trials_ended_previous = _count("Trials Ended (Month Before)")
    trials_converted_previous = _count("Trials Converted (Month Before)")
    trial_conversion_previous = _rate("Trial Conversion (Month Before)")
    usage_previous = _money("Metered Usage (Month Before)")

    # ------------------------------------------------------------
    # COMPUTE METHODS
    # ------------------------------------------------------------

    @api.depends(
        "date", "company_ids", "plan_ids", "template_ids", "user_ids", "country_ids"
    )
    @api.depends_context("company", "allowed_company_ids")
    def _compute_figures(self):
        Query = self.env["recurring.kpi.query"]
        for dashboard in self:
            day = dashboard.date or self.env.company._get_today()
            filters = dashboard._get_kpi_filters()
            previous, current = Query._kpi_get_figures_multi(
                [day.replace(day=1) - relativedelta(days=1), day], filters
            )
            dashboard.date_from = current["date_from"]
            dashboard.date_to = current["date_to"]
            for name, key in FIGURES.items():
                dashboard[name] = current[key] or 0
                dashboard[f"{name}_previous"] = previous[key] or 0
            dashboard.trend_html = dashboard._render_trend(
                Query._kpi_get_trend(day, 12, filters)
            )

    # ------------------------------------------------------------
    # ACTION METHODS
    # ------------------------------------------------------------

    def action_open_monthly(self):
        return self._open_report("recurring_billing.recurring_kpi_monthly_action")

    def action_open_movements(self):
        return self._open_report("recurring_billing.recurring_mrr_event_action")

    def action_open_cohorts(self):
        return self._open_report("recurring_billing.recurring_kpi_cohort_action")

    def action_open_trials(self):
        return self._open_report("recurring_billing.recurring_kpi_trial_action")

    # ------------------------------------------------------------
    # BUSINESS METHODS
    # ------------------------------------------------------------

    def _get_kpi_filters(self):
        self.ensure_one()
        return {
            "company_ids": self.company_ids.ids,
            "plan_ids": self.plan_ids.ids,
            "template_ids": self.template_ids.ids,
            "user_ids": self.user_ids.ids,
            "country_ids": self.country_ids.ids,
        }

    def _open_report(self, xmlid):
        """A report restricted to the dashboard's filters."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(xmlid)
        domain = [
            (field, "in", ids)
            for field, ids in (
                ("company_id", self.company_ids.ids),
                ("plan_id", self.plan_ids.ids),
                ("template_id", self.template_ids.ids),
                ("user_id", self.user_ids.ids),
                ("country_id", self.country_ids.ids),
            )
            if ids
        ]
        action["domain"] = domain
        return action

    def _render_trend(self, trend):
        """The twelve months as an HTML table, newest first."""
        self.ensure_one()
        currency = self.env.company.currency_id

        def money(amount):
            return format_amount(self.env, amount, currency)

        def percent(rate):
            return "" if rate is False else f"{rate * 100:.1f} %"

        headers = [
            self.env._("Month"),
            self.env._("MRR"),
            self.env._("New"),
            self.env._("Expansion"),
            self.env._("Contraction"),
            self.env._("Churn"),
            self.env._("Reactivation"),
            self.env._("FX"),
            self.env._("Net New MRR"),
            self.env._("Paying Subscriptions"),
            self.env._("Gross Revenue Churn"),
            self.env._("Net Revenue Churn"),
        ]
        rows = []
        for month in reversed(trend):
            cells = [
                format_date(self.env, month["month"], date_format="MMMM y"),
                money(month["mrr"]),
                money(month["new"]),
                money(month["expansion"]),
                money(month["contraction"]),
                money(month["churn"]),
                money(month["reactivation"]),
                money(month["fx"]),
                money(month["net_new"]),
                str(month["subscriptions"]),
                percent(month["revenue_churn_gross"]),
                percent(month["revenue_churn_net"]),
            ]
            rows.append(
                Markup("<tr>%s</tr>")
                % Markup().join(
                    Markup('<td class="text-end">%s</td>') % escape(cell)
                    for cell in cells
                )
            )
        return Markup(
            '<table class="table table-sm table-striped o_recurring_kpi_trend">'
            "<thead><tr>%s</tr></thead><tbody>%s</tbody></table>"
        ) % (
            Markup().join(
                Markup('<th class="text-end">%s</th>') % header for header in headers
            ),
            Markup().join(rows),
        )
