# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import api, fields, models

# French Commercial Code, art. L441-10 and D441-5: the flat recovery
# indemnity owed by a business for each invoice paid late.
RECOVERY_INDEMNITY_EUR = 40.0


class ResCompany(models.Model):
    _inherit = "res.company"

    # ------------------------------------------------------------
    # FIELDS
    # ------------------------------------------------------------

    dunning_penalty_rate = fields.Float(
        string="Late-Payment Penalty Rate (%)",
        default=12.15,
        digits=(16, 4),
        help="Yearly rate of the late-payment penalties of the formal notice "
        "(the rate of your terms of sale). It is never applied below three "
        "times the legal interest rate.",
    )
    dunning_legal_interest_rate = fields.Float(
        string="Legal Interest Rate (%)",
        default=2.76,
        digits=(16, 4),
        help="The legal interest rate of the semester for a professional's "
        "claims (France: the rate 'for all other cases' of the Code monétaire "
        "et financier, art. L313-2, published each semester; the higher rate "
        "is for creditors who are individuals). A consumer's late-payment "
        "interest runs at this rate; a business's penalties are at least three "
        "times it.",
    )

    # ------------------------------------------------------------
    # CRUD METHODS
    # ------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        companies = super().create(vals_list)
        companies._dunning_create_default_policies()
        return companies

    # ------------------------------------------------------------
    # BUSINESS METHODS
    # ------------------------------------------------------------

    def _dunning_get_penalty_rate(self, business=True):
        """The yearly penalty rate applied, in percent: for a business, the
        company's, never below three times the legal interest rate (French
        Commercial Code, art. L441-10); for a consumer, the legal interest
        rate (the company is the creditor: the rate for professionals'
        claims)."""
        self.ensure_one()
        if not business:
            return self.dunning_legal_interest_rate
        return max(self.dunning_penalty_rate, 3 * self.dunning_legal_interest_rate)

    def _dunning_create_default_policies(self):
        """Give each company without a dunning policy the two default ones."""
        Policy = self.env["recurring.dunning.policy"].sudo()
        with_policy = set(
            Policy.with_context(active_test=False)
            .search([("company_id", "in", self.ids)])
            .company_id.ids
        )
        vals_list = []
        for company in self.filtered(lambda c: c.id not in with_policy):
            vals_list += Policy._prepare_default_policies_vals(company)
        policies = Policy.create(vals_list)
        policies._translate_default_names()
        return policies
