# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from psycopg2 import errors as pg_errors

from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import format_date, mute_logger


class RecurringUsage(models.Model):
    """One usage of a metered product by a subscription (API calls, GB...),
    billed in arrears on the invoice of the period it falls in."""

    _name = "recurring.usage"
    _description = "Subscription Usage"
    _order = "date desc, id desc"
    _check_company_auto = True

    subscription_id = fields.Many2one(
        "sale.order",
        string="Subscription",
        required=True,
        index=True,
        ondelete="restrict",
        check_company=True,
        domain="[('is_subscription', '=', True)]",
    )
    company_id = fields.Many2one(
        related="subscription_id.company_id", store=True, index=True
    )
    partner_id = fields.Many2one(related="subscription_id.partner_id")
    product_id = fields.Many2one(
        "product.product",
        required=True,
        index=True,
        ondelete="restrict",
        domain="[('recurring_usage', '=', True)]",
    )
    date = fields.Date(
        required=True, default=lambda self: self.env.company._get_today(), index=True
    )
    quantity = fields.Float(required=True, digits="Product Unit of Measure")
    reference = fields.Char(
        help="Reference given by the system that measured the usage; a usage "
        "with a reference already recorded on the subscription is refused, so "
        "importing the same usage twice bills it once.",
    )
    move_id = fields.Many2one(
        "account.move",
        string="Invoice",
        readonly=True,
        copy=False,
        index="btree_not_null",
        ondelete="set null",
    )

    _sql_constraints = [
        (
            "quantity_not_negative",
            "CHECK (quantity >= 0)",
            "A usage quantity cannot be negative.",
        ),
    ]

    def init(self):
        # The same reference cannot be recorded twice on a subscription.
        self.env.cr.execute(
            """
            CREATE UNIQUE INDEX IF NOT EXISTS recurring_usage_reference_uniq
            ON recurring_usage (subscription_id, reference)
            WHERE reference IS NOT NULL
            """
        )
        # Each invoice looks up the usage of its subscription not billed yet,
        # in a range of dates: an index that holds only that usage.
        self.env.cr.execute(
            """
            CREATE INDEX IF NOT EXISTS recurring_usage_unbilled_idx
            ON recurring_usage (subscription_id, date)
            WHERE move_id IS NULL
            """
        )

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self._check_quantity(vals)
        # Before reading the subscription's billed window: a usage recorded
        # while its subscription is billed is billed once, never lost.
        self.env["sale.order"].browse(
            {
                vals["subscription_id"]
                for vals in vals_list
                if vals.get("subscription_id")
            }
        )._lock_usage_window()
        self._check_duplicate_references(vals_list)
        # The same reference sent by two transactions at once: the second
        # waits for the first on the subscription's row, and Odoo runs it
        # again, which refuses it above; the unique index is the last guard.
        # Its sender gets the message, not a raw error, and one usage is stored.
        try:
            with self.env.cr.savepoint(), mute_logger("odoo.sql_db"):
                records = super().create(vals_list)
                records.flush_recordset()
        except pg_errors.UniqueViolation as error:
            if error.diag.constraint_name != "recurring_usage_reference_uniq":
                raise
            references = [
                vals["reference"] for vals in vals_list if vals.get("reference")
            ]
            raise ValidationError(
                self.env._(
                    "Usage reference %(reference)s is already recorded on this "
                    "subscription: it is not recorded again.",
                    reference=", ".join(references),
                )
            ) from None
        return records

    def write(self, vals):
        self._check_quantity(vals)
        if {"subscription_id", "date"} & set(vals):
            subscriptions = self.subscription_id
            if vals.get("subscription_id"):
                subscriptions |= subscriptions.browse(vals["subscription_id"])
            subscriptions._lock_usage_window()
        if self.filtered("move_id") and set(vals) & {
            "subscription_id",
            "product_id",
            "date",
            "quantity",
        }:
            raise ValidationError(
                self.env._(
                    "This usage is already invoiced: it cannot be changed. "
                    "Record a correction on the next period instead."
                )
            )
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_invoiced(self):
        if self.filtered("move_id"):
            raise ValidationError(
                self.env._("A usage already invoiced cannot be deleted.")
            )

    @api.model
    def _check_quantity(self, vals):
        """A clear message before the database's own check."""
        if (vals.get("quantity") or 0.0) < 0:
            raise ValidationError(self.env._("A usage quantity cannot be negative."))

    @api.model
    def _check_duplicate_references(self, vals_list):
        """Refuse a reference already recorded, or given twice, with a message
        naming it (the database index is the last guard)."""
        seen = set()
        keys = [
            (vals.get("subscription_id"), vals["reference"])
            for vals in vals_list
            if vals.get("reference")
        ]
        for key in keys:
            if key in seen:
                raise ValidationError(
                    self.env._(
                        "Usage reference %(reference)s is given twice.",
                        reference=key[1],
                    )
                )
            seen.add(key)
        if not keys:
            return
        existing = self.sudo().search_fetch(
            [
                ("subscription_id", "in", [key[0] for key in keys if key[0]]),
                ("reference", "in", [key[1] for key in keys]),
            ],
            ["subscription_id", "reference"],
        )
        duplicates = {(usage.subscription_id.id, usage.reference) for usage in existing}
        duplicate = next((key for key in keys if key in duplicates), None)
        if duplicate:
            raise ValidationError(
                self.env._(
                    "Usage reference %(reference)s is already recorded on this "
                    "subscription: it is not recorded again.",
                    reference=duplicate[1],
                )
            )

    @api.constrains("subscription_id", "product_id", "date", "quantity")
    def _check_usage(self):
        for usage in self:
            subscription = usage.subscription_id
            if (
                not subscription.is_subscription
                or subscription.subscription_state
                not in subscription._get_running_states()
            ):
                raise ValidationError(
                    self.env._(
                        "Usage can only be recorded on a running subscription; "
                        "%(order)s is not.",
                        order=subscription.name,
                    )
                )
            if not usage.product_id.recurring_usage:
                raise ValidationError(
                    self.env._(
                        "%(product)s is not a metered product: its usage is not "
                        "billed.",
                        product=usage.product_id.display_name,
                    )
                )
            if usage.product_id not in subscription._get_recurring_lines().product_id:
                raise ValidationError(
                    self.env._(
                        "Subscription %(order)s does not include %(product)s: add "
                        "the product to the subscription before recording its usage.",
                        order=subscription.name,
                        product=usage.product_id.display_name,
                    )
                )
            start = subscription.subscription_start_date
            end = subscription.subscription_end_date
            if (start and usage.date < start) or (end and usage.date > end):
                raise ValidationError(
                    self.env._(
                        "The usage of %(date)s falls outside subscription "
                        "%(order)s, which runs from %(start)s to %(end)s.",
                        date=format_date(self.env, usage.date),
                        order=subscription.name,
                        start=format_date(self.env, start),
                        end=format_date(self.env, end) if end else "-",
                    )
                )
            billed_until = subscription.usage_billed_until
            if not usage.move_id and billed_until and usage.date < billed_until:
                raise ValidationError(
                    self.env._(
                        "The usage of %(date)s falls in a period of %(order)s that "
                        "is already invoiced (usage before %(until)s is invoiced).",
                        date=format_date(self.env, usage.date),
                        order=subscription.name,
                        until=format_date(self.env, billed_until),
                    )
                )
