# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from itertools import pairwise

from odoo import api, fields, models
from odoo.exceptions import ValidationError

STEP_ACTIONS = [
    ("retry", "Retry the payment"),
    ("email", "Send an email"),
    ("suspend", "Suspend the subscription"),
    ("pause", "Offer a pause"),
    ("notice", "Formal notice"),
    ("close", "Close the subscription"),
]
# Steps that tell the customer: a suspension or a closing must follow one.
REMINDING_ACTIONS = ("email", "notice", "pause")


class RecurringDunningStep(models.Model):
    _name = "recurring.dunning.step"
    _description = "Dunning Step"
    _order = "policy_id, sequence, delay_days, id"

    # ------------------------------------------------------------
    # FIELDS
    # ------------------------------------------------------------

    policy_id = fields.Many2one(
        "recurring.dunning.policy",
        required=True,
        ondelete="cascade",
        index=True,
    )
    company_id = fields.Many2one(related="policy_id.company_id", store=True, index=True)
    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    delay_days = fields.Integer(
        string="Days",
        required=True,
        help="Days after the failed charge (automatic payment) or after the "
        "due date (manual payment) at which the step is taken.",
    )
    action = fields.Selection(STEP_ACTIONS, required=True, default="email")
    mail_template_id = fields.Many2one(
        "mail.template",
        string="Email Template",
        domain="[('model', '=', 'account.move')]",
        ondelete="restrict",
        help="The email of the step (for a retry: sent when the retry fails, "
        "unless the retry is silent).",
    )
    silent = fields.Boolean(
        help="A retry that fails sends nothing: the customer need not notice a "
        "failure that the next retry fixes.",
    )
    invoice_penalties = fields.Boolean(
        help="Formal notice: also issue an invoice of the late-payment "
        "penalties and, for business customers, of the recovery indemnity.",
    )

    # ------------------------------------------------------------
    # CONSTRAINT METHODS
    # ------------------------------------------------------------

    @api.constrains("delay_days", "sequence", "action", "policy_id")
    def _check_steps_of_policy(self):
        self.policy_id.step_ids._check_order()

    @api.constrains("mail_template_id")
    def _check_mail_template_model(self):
        for step in self:
            template = step.mail_template_id
            if template and template.model != "account.move":
                raise ValidationError(
                    self.env._(
                        "Dunning step %(step)s: the email template %(template)s "
                        "is made for %(model)s records; a dunning email must be "
                        "a template of invoices (Journal Entry).",
                        step=step.name,
                        template=template.name,
                        model=template.model_id.name or template.model,
                    )
                )

    def _check_order(self):
        """The steps of each policy, in their order, never go back in time,
        never retry twice the same day, and (if the policy says so) never
        suspend or close before an email told the customer."""
        for policy, steps in self.grouped("policy_id").items():
            steps = policy.step_ids.sorted()
            for step in steps:
                if step.delay_days < 0:
                    raise ValidationError(
                        self.env._(
                            "Dunning step %(step)s: the number of days cannot be "
                            "negative (%(days)s).",
                            step=step.name,
                            days=step.delay_days,
                        )
                    )
            for previous, step in pairwise(steps):
                if step.delay_days < previous.delay_days:
                    raise ValidationError(
                        self.env._(
                            "Dunning policy %(policy)s: step %(step)s (day "
                            "%(days)s) comes after step %(previous)s (day "
                            "%(previous_days)s) but earlier in time. Reorder "
                            "the steps or change their days.",
                            policy=policy.name,
                            step=step.name,
                            days=step.delay_days,
                            previous=previous.name,
                            previous_days=previous.delay_days,
                        )
                    )
            retry_days = [s.delay_days for s in steps if s.action == "retry"]
            if len(retry_days) != len(set(retry_days)):
                raise ValidationError(
                    self.env._(
                        "Dunning policy %(policy)s retries the payment twice on "
                        "the same day: leave at least one day between retries.",
                        policy=policy.name,
                    )
                )
            if policy.reminder_before_suspension:
                reminded = False
                for step in steps:
                    if step.action in REMINDING_ACTIONS or (
                        step.action == "retry" and not step.silent
                    ):
                        reminded = True
                    if step.action in ("suspend", "close") and not reminded:
                        raise ValidationError(
                            self.env._(
                                "Dunning policy %(policy)s: step %(step)s "
                                "suspends or closes the subscription before any "
                                "email told the customer. Add a reminder before "
                                "it, or allow it on the policy.",
                                policy=policy.name,
                                step=step.name,
                            )
                        )
