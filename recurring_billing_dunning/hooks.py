# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).


def post_init_hook(env):
    """Every existing company gets the default dunning policies."""
    env["res.company"].sudo().search([])._dunning_create_default_policies()
