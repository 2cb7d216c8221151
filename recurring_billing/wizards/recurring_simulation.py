# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import Command, api, fields, models
from odoo.exceptions import UserError


class RecurringSimulation(models.TransientModel):
    """Run the recurring-invoicing job as if today were another day, and show
    what it would do, without keeping anything (like Stripe's test clocks)."""

    _name = "recurring.simulation"
    _description = "Recurring Invoicing Simulation"

    # ------------------------------------------------------------
    # FIELDS
    # ------------------------------------------------------------

    date_until = fields.Date(
        string="Simulate Until",
        required=True,
        default=lambda self: self.env.company._get_today(),
    )
    subscription_ids = fields.Many2many(
        "sale.order",
        string="Subscriptions",
        domain=lambda self: [
            ("is_subscription", "=", True),
            ("subscription_state", "in", self.env["sale.order"]._get_billable_states()),
        ],
        help="Leave empty to simulate every running subscription.",
    )
    line_ids = fields.One2many(
        "recurring.simulation.line", "simulation_id", string="Invoices", readonly=True
    )
    invoice_count = fields.Integer(compute="_compute_totals")
    amount_untaxed = fields.Monetary(compute="_compute_totals", string="Untaxed")
    amount_total = fields.Monetary(compute="_compute_totals", string="Total")
    currency_id = fields.Many2one(
        "res.currency", default=lambda self: self.env.company.currency_id
    )
    is_done = fields.Boolean(readonly=True)

    # ------------------------------------------------------------
    # COMPUTE METHODS
    # ------------------------------------------------------------

    @api.depends("line_ids")
    def _compute_totals(self):
        for wizard in self:
            lines = wizard.line_ids.filtered(lambda line: line.line_type == "invoice")
            in_currency = lines.filtered(
                lambda line, wizard=wizard: line.currency_id == wizard.currency_id
            )
            wizard.invoice_count = len(lines)
            currency = wizard.currency_id
            wizard.amount_untaxed = currency.round(
                sum(in_currency.mapped("amount_untaxed"))
            )
            wizard.amount_total = currency.round(
                sum(in_currency.mapped("amount_total"))
            )

    # ------------------------------------------------------------
    # ACTION METHODS
    # ------------------------------------------------------------

    def action_simulate(self):
        self.ensure_one()
        if not self.env.user.has_group("sales_team.group_sale_manager"):
            raise UserError(
                self.env._("Only sales administrators can run the simulation.")
            )
        results = self._simulate()
        self.write(
            {
                "line_ids": [Command.clear()]
                + [Command.create(vals) for vals in results],
                "is_done": True,
            }
        )
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "new",
            "name": self.env._("Simulation until %(date)s", date=self.date_until),
        }

    # ------------------------------------------------------------
    # BUSINESS METHODS
    # ------------------------------------------------------------

    def _get_subscriptions(self):
        SaleOrder = self.env["sale.order"]
        return self.subscription_ids or SaleOrder.search(
            [
                ("is_subscription", "=", True),
                ("subscription_state", "in", SaleOrder._get_billable_states()),
                ("recurring_billing_error", "=", False),
            ]
        )

    def _simulate(self):
        """Run the engine in a savepoint that is always rolled back; return the
        values of the result lines."""
        results = []
        subscriptions = self._get_subscriptions()
        with self.env.cr.savepoint() as savepoint:
            for subscription in subscriptions.with_context(
                tracking_disable=True, mail_notrack=True
            ):
                subscription = subscription.with_company(subscription.company_id)
                state_before = subscription.subscription_state
                end_before = subscription.subscription_end_date
                try:
                    with self.env.cr.savepoint():
                        # As the job does, whatever the sales administrator's
                        # invoicing rights: nothing of it is kept.
                        moves = subscription.sudo()._recurring_invoice_due(
                            self.date_until
                        )
                except Exception as error:  # noqa: BLE001 - reported, not raised
                    results.append(
                        {
                            "subscription_id": subscription.id,
                            "line_type": "error",
                            "note": str(error.args[0] if error.args else error),
                        }
                    )
                    continue
                for move in moves.sorted(lambda m: (m.invoice_date, m.id)):
                    results.append(
                        {
                            "subscription_id": subscription.id,
                            "line_type": "invoice",
                            "invoice_date": move.invoice_date,
                            "period_start": move.subscription_period_start,
                            "period_end": move.subscription_period_end,
                            "amount_untaxed": move.amount_untaxed,
                            "amount_tax": move.amount_tax,
                            "amount_total": move.amount_total,
                            "currency_id": move.currency_id.id,
                        }
                    )
                if subscription.subscription_end_date != end_before:
                    results.append(
                        {
                            "subscription_id": subscription.id,
                            "line_type": "renewal",
                            "note": self.env._(
                                "Renewed until %(date)s",
                                date=subscription.subscription_end_date,
                            ),
                        }
                    )
                if subscription.subscription_state != state_before:
                    results.append(
                        {
                            "subscription_id": subscription.id,
                            "line_type": "state",
                            "note": subscription._subscription_state_label(),
                        }
                    )
            # Whatever happened, nothing of it is kept.
            savepoint.close(rollback=True)
        return results
