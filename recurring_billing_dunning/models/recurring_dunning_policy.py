# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import Command, api, fields, models
from odoo.exceptions import ValidationError


class RecurringDunningPolicy(models.Model):
    """What to do, step by step, with a subscription invoice left unpaid:
    counted from the failed automatic charge, or from the due date for the
    customers who pay by themselves."""

    _name = "recurring.dunning.policy"
    _description = "Dunning Policy"
    _order = "company_id, sequence, id"
    _check_company_auto = True

    # ------------------------------------------------------------
    # FIELDS
    # ------------------------------------------------------------

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company",
        required=True,
        index=True,
        default=lambda self: self.env.company,
    )
    payment_mode = fields.Selection(
        [
            ("auto", "Charged automatically (from the failed charge)"),
            ("manual", "Paid by the customer (from the due date)"),
        ],
        string="Applies To",
        required=True,
        default="auto",
        help="Charged automatically: the policy of subscriptions paid with a "
        "saved payment method; its delays count from the failed charge.\n"
        "Paid by the customer: the policy of subscriptions whose customer pays "
        "each invoice; its delays count from the due date.",
    )
    template_ids = fields.Many2many(
        "sale.order.template",
        string="Subscription Templates",
        check_company=True,
        help="Only for subscriptions of these templates. Empty: any template "
        "(a policy naming the template wins).",
    )
    partner_ids = fields.Many2many(
        "res.partner",
        string="Customers",
        help="Only for these customers. Empty: any customer (a policy naming "
        "the customer wins over all others).",
    )
    sepa_max_retries = fields.Integer(
        string="SEPA Retries",
        default=1,
        help="At most this many retry steps are applied to an invoice paid by "
        "SEPA Direct Debit (0, 1 or 2): the later ones are skipped. A retry "
        "never starts while a debit is pending.",
    )
    pause_link_days = fields.Integer(
        string="Pause Link Validity (Days)",
        default=14,
        help="The pause offered by email can be taken for this many days after "
        "the email, and only while the invoice is in dunning.",
    )
    reminder_before_suspension = fields.Boolean(
        string="Remind Before Suspending",
        default=True,
        help="Refuse a suspension or a closing step that no email step comes before.",
    )
    step_ids = fields.One2many(
        "recurring.dunning.step", "policy_id", string="Steps", copy=True
    )
    step_count = fields.Integer(compute="_compute_step_count")

    # ------------------------------------------------------------
    # COMPUTE METHODS
    # ------------------------------------------------------------

    @api.depends("step_ids")
    def _compute_step_count(self):
        for policy in self:
            policy.step_count = len(policy.step_ids)

    # ------------------------------------------------------------
    # CONSTRAINT METHODS
    # ------------------------------------------------------------

    @api.constrains("sepa_max_retries")
    def _check_sepa_max_retries(self):
        for policy in self:
            if not 0 <= policy.sepa_max_retries <= 2:
                raise ValidationError(
                    self.env._(
                        "Dunning policy %(policy)s: a SEPA debit is retried at "
                        "most twice (0, 1 or 2 retries).",
                        policy=policy.name,
                    )
                )

    @api.constrains("name", "step_ids", "reminder_before_suspension", "active")
    def _check_steps(self):
        for policy in self:
            if policy.active and not policy.step_ids:
                raise ValidationError(
                    self.env._(
                        "Dunning policy %(policy)s has no step: add at least one "
                        "step, or archive the policy.",
                        policy=policy.name,
                    )
                )
            policy.step_ids._check_order()

    # ------------------------------------------------------------
    # BUSINESS METHODS
    # ------------------------------------------------------------

    @api.model
    def _get_policy_for(self, invoice):
        """The policy that chases ``invoice``: of its company, for its payment
        mode, the customer's own first, then the template's, then the general
        one of lowest sequence. An invoice whose automatic charge was skipped
        is chased as one paid by hand."""
        subscription = invoice.subscription_id.sudo()
        mode = subscription.recurring_payment_mode or "manual"
        if invoice.recurring_charge_state == "skipped":
            mode = "manual"
        policies = self.sudo().search(
            [
                ("company_id", "=", invoice.company_id.id),
                ("payment_mode", "=", mode),
            ]
        )
        partner = invoice.commercial_partner_id
        template = subscription.sale_order_template_id

        def rank(policy):
            if policy.partner_ids and partner not in policy.partner_ids:
                return None
            if policy.template_ids and template not in policy.template_ids:
                return None
            return (
                0 if policy.partner_ids else 1,
                0 if policy.template_ids else 1,
                policy.sequence,
                policy.id,
            )

        ranked = sorted((r, p) for p in policies if (r := rank(p)) is not None)
        return ranked[0][1] if ranked else self.browse()

    def _get_first_step(self):
        self.ensure_one()
        return self.step_ids.sorted()[:1]

    # ------------------------------------------------------------
    # DEFAULT POLICIES
    # ------------------------------------------------------------

    @api.model
    def _get_default_policy_specs(self):
        """The default policies, in the language of the environment:
        (name, payment mode, [(step name, days, action, template xmlid,
        silent)])."""
        tmpl = "recurring_billing_dunning.mail_template_dunning_"
        return [
            (
                self.env._("Automatic payment"),
                "auto",
                [
                    (self.env._("First retry"), 1, "retry", None, True),
                    (self.env._("Second retry"), 3, "retry", None, True),
                    (self.env._("Third retry"), 7, "retry", tmpl + "friendly", False),
                    (self.env._("Fourth retry"), 14, "retry", tmpl + "second", False),
                    (self.env._("Final notice"), 18, "email", tmpl + "final", False),
                    (self.env._("Suspension"), 21, "suspend", tmpl + "suspend", False),
                    (self.env._("Pause offer"), 25, "pause", tmpl + "pause", False),
                    (self.env._("Formal notice"), 30, "notice", tmpl + "notice", False),
                    (self.env._("Closing"), 45, "close", tmpl + "close", False),
                ],
            ),
            (
                self.env._("Manual payment"),
                "manual",
                [
                    (
                        self.env._("Friendly reminder"),
                        3,
                        "email",
                        tmpl + "friendly",
                        False,
                    ),
                    (self.env._("Second notice"), 10, "email", tmpl + "second", False),
                    (self.env._("Final notice"), 17, "email", tmpl + "final", False),
                    (self.env._("Suspension"), 20, "suspend", tmpl + "suspend", False),
                    (self.env._("Pause offer"), 25, "pause", tmpl + "pause", False),
                    (self.env._("Formal notice"), 30, "notice", tmpl + "notice", False),
                    (self.env._("Closing"), 60, "close", tmpl + "close", False),
                ],
            ),
        ]

    @api.model
    def _prepare_default_policies_vals(self, company):
        vals_list = []
        for sequence, (name, mode, steps) in enumerate(
            self._get_default_policy_specs()
        ):
            step_vals = []
            for step_sequence, (step_name, days, action, xmlid, silent) in enumerate(
                steps
            ):
                template = xmlid and self.env.ref(xmlid, raise_if_not_found=False)
                step_vals.append(
                    Command.create(
                        {
                            "name": step_name,
                            "sequence": (step_sequence + 1) * 10,
                            "delay_days": days,
                            "action": action,
                            "mail_template_id": template.id if template else False,
                            "silent": silent,
                        }
                    )
                )
            vals_list.append(
                {
                    "name": name,
                    "sequence": (sequence + 1) * 10,
                    "company_id": company.id,
                    "payment_mode": mode,
                    "step_ids": step_vals,
                }
            )
        return vals_list

    def _translate_default_names(self):
        """Give the default policies created in English their names in the
        other installed languages (from the translations of the module)."""
        langs = self.env["res.lang"].get_installed()
        for code, _name in langs:
            if code == "en_US":
                continue
            specs = self.with_context(lang=code)._get_default_policy_specs()
            by_mode = {mode: (name, steps) for name, mode, steps in specs}
            for policy in self.with_context(lang=code):
                name, steps = by_mode[policy.payment_mode]
                policy.name = name
                for step, spec in zip(policy.step_ids.sorted(), steps, strict=False):
                    step.name = spec[0]
