# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from datetime import timedelta

from odoo import Command, api, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import format_date

from ..tools import prorate


class RecurringSubscriptionChange(models.AbstractModel):
    """Changes of a running subscription in the middle of a period: new
    quantities and add-ons, prorated by change orders and credit notes."""

    _name = "recurring.subscription.change"
    _description = "Subscription Changes and Proration"

    # ------------------------------------------------------------
    # BUSINESS METHODS: CHANGES AND PRORATION
    # ------------------------------------------------------------

    def _preview_subscription_change(self, quantities, change_date=None):
        """What setting the quantities of subscription products costs, from
        ``change_date`` (today by default) to the end of the billing period.

        Used by the change methods, and by the customer portal before a
        customer confirms a change.

        :param dict quantities: ``{product.product: new quantity}``; 0 removes
            the product, a product not on the subscription is added
        :return: a dict: ``date``, ``period_start``, ``period_end``, ``billed``
            (the period is already invoiced), ``currency``, ``lines`` (one dict
            per product: ``product``, ``line`` (its first sale.order.line, or
            empty), ``other_lines`` (its other lines), ``old_quantity`` (of
            all its lines), ``new_quantity``, ``amount`` (untaxed, signed:
            positive is due by the customer), ``taxes``), ``amount_untaxed``,
            ``amount_tax``, ``amount_total``
        """
        self.ensure_one()
        if self.subscription_state not in self._get_changeable_states():
            raise UserError(
                self.env._(
                    "Subscription %(order)s is not running: it cannot be changed.",
                    order=self.name,
                )
            )
        change_date = change_date or self.company_id._get_today()
        in_trial = (
            self.subscription_state == "trial"
            and self.trial_end_date
            and change_date < self.trial_end_date
        )
        start, end, full_start, full_end, billed = (
            (change_date, change_date, change_date, change_date, False)
            if in_trial
            else self._get_period_at(change_date)
        )
        # Days counted from the start of the whole period, which the invoices
        # prorate over.
        full_days = (full_end - full_start).days + 1
        offset = (change_date - full_start).days
        first_billed = (start - full_start).days
        last_billed = (end - full_start).days
        policy = self.sale_order_template_id.proration_policy or "day"
        currency = self.currency_id
        lines = []
        for product, new_quantity in quantities.items():
            if new_quantity < 0:
                raise ValidationError(
                    self.env._(
                        "The quantity of %(product)s cannot be negative.",
                        product=product.display_name,
                    )
                )
            if not product.recurring_invoice:
                raise UserError(
                    self.env._(
                        "%(product)s is not a subscription product.",
                        product=product.display_name,
                    )
                )
            # The product may be on several lines: the new quantity is the
            # total of the product, set on its first line (the others go to
            # zero), and what each line bills today is what changes.
            product_lines = self._get_recurring_lines().filtered(
                lambda line, product=product: line.product_id == product
            )
            line = product_lines[:1]
            old_quantity = sum(product_lines.mapped("product_uom_qty"))
            amount = 0.0
            # A product not on the subscription yet is priced, discounted and
            # taxed (fiscal position included) as Odoo would add it.
            new_line = line or self.env["sale.order.line"].new(
                {"order_id": self.id, "product_id": product.id}
            )
            if not in_trial and not product.recurring_usage:
                # Net of each line's discount, as the invoices bill them.
                old_amount = sum(
                    product_line._get_recurring_period_amount(
                        product_line.product_uom_qty
                    )
                    * (1 - product_line.discount / 100.0)
                    for product_line in product_lines
                )
                new_amount = new_line._get_recurring_period_amount(new_quantity) * (
                    1 - new_line.discount / 100.0
                )
                difference = new_amount - old_amount
                if policy == "full":
                    amount = difference if billed else 0.0
                elif policy == "day" and billed:
                    # The rest of a prepaid period is billed or credited now.
                    amount = prorate(
                        difference, full_days, offset, last_billed, currency.round
                    )
                elif policy == "day" and offset > first_billed:
                    # The next invoice bills the new quantity for the whole
                    # period: it gives back what the old one owed before.
                    amount = -prorate(
                        difference, full_days, first_billed, offset - 1, currency.round
                    )
            lines.append(
                {
                    "product": product,
                    "line": line,
                    "other_lines": product_lines - line,
                    "old_quantity": old_quantity,
                    "new_quantity": new_quantity,
                    "amount": currency.round(amount),
                    "taxes": new_line.tax_id,
                }
            )
        preview = {
            "date": change_date,
            "period_start": start,
            "period_end": end,
            "billed": billed,
            "currency": currency,
            "lines": lines,
        }
        # Odoo prices and taxes the change order it would create, unsaved: the
        # preview and the change invoice are computed by the same tax engine.
        change_order = self.new(
            self._prepare_change_order_vals(
                preview, self._get_change_adjustments(preview)
            )
        )
        preview.update(
            amount_untaxed=change_order.amount_untaxed,
            amount_tax=change_order.amount_tax,
            amount_total=change_order.amount_total,
        )
        return preview

    @api.model
    def _get_change_adjustments(self, preview):
        """The lines of a change preview that bill or credit something."""
        return [
            change
            for change in preview["lines"]
            if not preview["currency"].is_zero(change["amount"])
        ]

    def _subscription_change(self, quantities, change_date=None):
        """Set the quantities of subscription products from ``change_date``
        (today by default) and bill or credit the difference for the rest of
        the billing period, by the template's proration policy:

        - the difference is recorded on a confirmed **change order** (a sale
          order linked to the subscription);
        - an upgrade of a prepaid period is invoiced at once, or on the next
          invoice, as the template says;
        - a downgrade of a prepaid period is credited at once by a credit note
          that references the invoice of the period;
        - in a period not invoiced yet, the next invoice bills the new
          quantities with an adjustment for the days before the change.

        :return: the change order, or an empty recordset when nothing is due
        """
        self.ensure_one()
        preview = self._preview_subscription_change(quantities, change_date)
        old_lines = [
            (change["product"], change["old_quantity"], change["new_quantity"])
            for change in preview["lines"]
        ]
        new_lines = []
        for change in preview["lines"]:
            if change["line"]:
                change["line"].product_uom_qty = change["new_quantity"]
                change["other_lines"].product_uom_qty = 0.0
            elif change["new_quantity"]:
                new_lines.append(
                    Command.create(
                        {
                            "product_id": change["product"].id,
                            "product_uom_qty": change["new_quantity"],
                        }
                    )
                )
        if new_lines:
            self.order_line = new_lines
        changes = ", ".join(
            "%s %s → %s"  # noqa: UP031 - a list of values, not a sentence
            % (
                product.display_name,
                self.env["sale.order.line"]._format_quantity(old),
                self.env["sale.order.line"]._format_quantity(new),
            )
            for product, old, new in old_lines
        )
        self.message_post(
            body=self.env._(
                "Subscription changed from %(date)s: %(changes)s",
                date=format_date(self.env, preview["date"]),
                changes=changes,
            )
        )
        adjustments = self._get_change_adjustments(preview)
        if not adjustments:
            return self.browse()
        change_order = self._create_change_order(preview, adjustments)
        if not preview["billed"]:
            return change_order
        total = preview["amount_total"]
        upsell_now = (self.sale_order_template_id.upsell_billing or "immediate") == (
            "immediate"
        )
        if total > 0 and upsell_now or total < 0:
            change_order._invoice_change_order(preview)
        return change_order

    def _create_change_order(self, preview, adjustments):
        """A confirmed sale order billing the prorated ``adjustments``."""
        self.ensure_one()
        change_order = self.create(
            self._prepare_change_order_vals(preview, adjustments)
        )
        change_order.action_confirm()
        return change_order

    def _prepare_change_order_vals(self, preview, adjustments):
        """Values of the sale order that bills the prorated ``adjustments`` of
        a change ``preview``."""
        self.ensure_one()
        # Line descriptions in the customer's language.
        env = self.with_context(lang=self.partner_id.lang).env
        period_end = preview["period_end"]
        lines = []
        for change in adjustments:
            product = change["product"]
            old = env["sale.order.line"]._format_quantity(change["old_quantity"])
            new = env["sale.order.line"]._format_quantity(change["new_quantity"])
            if preview["billed"]:
                name = env._(
                    "%(product)s: %(old)s → %(new)s from %(start)s to %(end)s",
                    product=product.display_name,
                    old=old,
                    new=new,
                    start=format_date(env, preview["date"]),
                    end=format_date(env, period_end),
                )
            else:
                name = env._(
                    "%(product)s: %(old)s → %(new)s on %(date)s, "
                    "adjustment for %(start)s to %(end)s",
                    product=product.display_name,
                    old=old,
                    new=new,
                    date=format_date(env, preview["date"]),
                    start=format_date(env, preview["period_start"]),
                    end=format_date(env, preview["date"] - timedelta(days=1)),
                )
            lines.append(
                Command.create(
                    {
                        "product_id": product.id,
                        "name": name,
                        "product_uom_qty": 1.0,
                        # Net of the subscription's discount already.
                        "price_unit": change["amount"],
                        "discount": 0.0,
                        "tax_id": [Command.set(change["taxes"].ids)],
                    }
                )
            )
        return {
            "partner_id": self.partner_id.id,
            "partner_invoice_id": self.partner_invoice_id.id,
            "partner_shipping_id": self.partner_shipping_id.id,
            "pricelist_id": self.pricelist_id.id,
            "company_id": self.company_id.id,
            "user_id": self.user_id.id,
            "team_id": self.team_id.id,
            "fiscal_position_id": self.fiscal_position_id.id,
            "payment_term_id": self.payment_term_id.id,
            "journal_id": self.journal_id.id,
            "origin": self.name,
            "client_order_ref": self.client_order_ref,
            "subscription_parent_id": self.id,
            "order_line": lines,
            # Not a subscription itself, whatever the company's default
            # quotation template.
            "sale_order_template_id": False,
        }

    def _invoice_change_order(self, preview):
        """Invoice (or credit) this change order now, and post it."""
        self.ensure_one()
        subscription = self.subscription_parent_id
        # Odoo's sale flow creates invoices as superuser (a salesman may
        # invoice an order); what follows runs with the user's own rights.
        move = self._create_invoices(final=True).sudo(False)
        period = {"start_date": preview["date"], "end_date": preview["period_end"]}
        vals = {"subscription_id": subscription.id}
        if move.move_type == "out_refund":
            original = subscription._get_invoice_covering(preview["date"])
            if original:
                vals.update(
                    reversed_entry_id=original.id,
                    ref=self.env._(
                        "Credit note for %(invoice)s of %(date)s",
                        invoice=original.name,
                        date=format_date(self.env, original.invoice_date),
                    ),
                )
        move.sudo().write(vals)
        move.sudo().invoice_line_ids.filtered(
            lambda line: line.display_type == "product"
        ).write(period)
        template = subscription.sale_order_template_id
        if (not template or template.auto_post) and self.env.user.has_group(
            "account.group_account_invoice"
        ):
            move.action_post()
        else:
            # Left in draft for someone who may post invoices.
            move.sudo().message_post(
                body=self.env._(
                    "Created in draft by the change of subscription %(order)s.",
                    order=subscription.name,
                )
            )
        return move

    def _get_invoice_covering(self, day):
        """The posted subscription invoice whose period covers ``day``."""
        self.ensure_one()
        return self.env["account.move"].search(
            [
                ("subscription_id", "=", self.id),
                ("move_type", "=", "out_invoice"),
                ("state", "=", "posted"),
                ("subscription_period_start", "<=", day),
                ("subscription_period_end", ">=", day),
            ],
            order="invoice_date desc, id desc",
            limit=1,
        )

    def _get_addon_products(self):
        """The add-ons a subscriber may add or remove: the optional products
        of its quotation template and of the order itself."""
        self.ensure_one()
        return (
            self.sale_order_template_id.sale_order_template_option_ids.product_id
            | self.sale_order_option_ids.product_id
        ).filtered("recurring_invoice")

    def _check_addon(self, product):
        self.ensure_one()
        if product not in self._get_addon_products():
            raise UserError(
                self.env._(
                    "%(product)s is not an add-on of subscription %(order)s.",
                    product=product.display_name,
                    order=self.name,
                )
            )

    def _subscription_add_addon(self, product, quantity=1.0, change_date=None):
        """Add an add-on of the template, or raise its quantity."""
        self._check_addon(product)
        return self._subscription_change({product: quantity}, change_date)

    def _subscription_remove_addon(self, product, change_date=None):
        """Remove an add-on from the subscription."""
        self._check_addon(product)
        return self._subscription_change({product: 0.0}, change_date)

    def _subscription_credit_unused(self, close_date, force=False):
        """Credit the prepaid days after ``close_date``, if the template says
        so (or ``force``: a withdrawal credits them whatever it says).

        :return: the credit note, or an empty recordset
        """
        self.ensure_one()
        if not (force or self.sale_order_template_id.credit_on_close):
            return self.env["account.move"]
        day = close_date + timedelta(days=1)
        if self.recurring_invoicing_mode != "prepaid" or not self.next_invoice_date:
            return self.env["account.move"]
        if day >= self.next_invoice_date:
            return self.env["account.move"]
        quantities = {
            line.product_id: 0.0
            for line in self._get_recurring_lines()
            if not line.product_id.recurring_usage and line.product_uom_qty
        }
        preview = self._preview_subscription_change(quantities, day)
        adjustments = self._get_change_adjustments(preview)
        if not preview["billed"] or not adjustments:
            return self.env["account.move"]
        change_order = self._create_change_order(preview, adjustments)
        return change_order._invoice_change_order(preview)
