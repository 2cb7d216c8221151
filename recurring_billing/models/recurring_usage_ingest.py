# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import math
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from odoo import api, models
from odoo.tools import SQL, format_date

MAX_RECORDS = 10000
REFERENCE_SIZE = 255


def _parse_timestamp(value):
    """An aware datetime from an ISO 8601 string (UTC if it has no offset)
    or a number of seconds since 1970-01-01 UTC; None if neither."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        if not math.isfinite(value):
            return None
        try:
            return datetime.fromtimestamp(value, timezone.utc)
        except (OverflowError, OSError, ValueError):
            return None
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


class RecurringUsageIngest(models.AbstractModel):
    """Usage records sent by another application (``POST
    /recurring/usage/v1/records``): checked in bulk, the valid ones stored in
    one statement, each caller's reference recorded once."""

    _name = "recurring.usage.ingest"
    _description = "Usage Ingestion"

    # ------------------------------------------------------------
    # BUSINESS METHODS
    # ------------------------------------------------------------

    @api.model
    def _ingest(self, records):
        """Store the valid ``records`` (dicts as documented in
        ``static/api/usage_v1.yaml``) for ``self.env.user``'s companies.

        :return: ``{"created": [reference], "known": [reference],
            "errors": [{"index", "reference", "message"}]}``
        """
        company_ids = self.env.user.company_ids.ids
        errors = []
        parsed = []
        for index, record in enumerate(records):
            item, message = self._parse_record(record)
            if message:
                errors.append(self._error(index, record, message))
            else:
                parsed.append((index, item))
        self._resolve(parsed, company_ids, errors)
        orders = (
            self.env["sale.order"]
            .sudo()
            .browse(sorted({item["subscription"] for _index, item in parsed}))
        )
        # Before reading the billed window: usage recorded while its
        # subscription is billed is billed once (see _lock_usage_window).
        orders._lock_usage_window()
        orders.invalidate_recordset(["usage_billed_until", "subscription_state"])
        facts = self._get_subscription_facts(orders)
        products = (
            self.env["product.product"]
            .sudo()
            .browse({item["product"] for _index, item in parsed} - {None})
        )
        metered_products = set(products.filtered("recurring_usage").ids)
        known = self._get_known(parsed)
        valid, seen = [], set()
        for index, item in parsed:
            key = (item["subscription"], item["reference"])
            if key in known or key in seen:
                item["status"] = "known"
                continue
            message = self._check_record(
                item, facts[item["subscription"]], metered_products
            )
            if message:
                errors.append(self._error(index, records[index], message))
                item["status"] = "error"
                continue
            seen.add(key)
            valid.append(item)
        inserted = self._insert(valid)
        for item in valid:
            key = (item["subscription"], item["reference"])
            item["status"] = "created" if key in inserted else "known"
        errors.sort(key=lambda error: error["index"])
        return {
            status: [
                item["reference"] for _index, item in parsed if item["status"] == status
            ]
            for status in ("created", "known")
        } | {"errors": errors}

    @api.model
    def _error(self, index, record, message):
        reference = record.get("reference") if isinstance(record, dict) else None
        return {
            "index": index,
            "reference": reference if isinstance(reference, str) else None,
            "message": message,
        }

    @api.model
    def _parse_record(self, record):
        """``(item, None)`` or ``(None, message)`` for one record as sent."""
        _ = self.env._
        if not isinstance(record, dict):
            return None, _("A usage record must be a JSON object.")
        reference = record.get("reference")
        if not isinstance(reference, str) or not reference.strip():
            return None, _("The usage record has no reference.")
        if len(reference) > REFERENCE_SIZE:
            return None, _(
                "The reference is longer than %(size)s characters.",
                size=REFERENCE_SIZE,
            )
        quantity = record.get("quantity")
        if (
            isinstance(quantity, bool)
            or not isinstance(quantity, int | float)
            or not math.isfinite(quantity)
        ):
            return None, _(
                "The quantity %(quantity)s is not a number.", quantity=quantity
            )
        if quantity < 0:
            return None, _("A usage quantity cannot be negative.")
        moment = _parse_timestamp(record.get("timestamp"))
        if moment is None:
            return None, _(
                "The timestamp %(timestamp)s is neither an ISO 8601 date and time "
                "nor a number of seconds since 1970.",
                timestamp=record.get("timestamp"),
            )
        subscription = record.get("subscription")
        customer = record.get("customer")
        product = record.get("product")
        if subscription is None and (customer is None or product is None):
            return None, _(
                "Give the subscription, or the customer and the product, of the usage."
            )
        for value in (subscription, customer, product):
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, int | str)
            ):
                return None, _(
                    "A subscription, customer or product is given by its id "
                    "(a number) or its reference (a string)."
                )
        return {
            "reference": reference,
            "quantity": float(quantity),
            "moment": moment,
            "subscription_key": subscription,
            "customer_key": customer,
            "product_key": product,
        }, None

    @api.model
    def _resolve(self, parsed, company_ids, errors):
        """Set ``subscription`` and ``product`` (ids) of each parsed item,
        with one query per kind of lookup; an item that cannot be resolved
        leaves ``parsed`` with its error."""
        _ = self.env._
        Order = self.env["sale.order"].sudo()
        Product = self.env["product.product"].sudo()
        Partner = self.env["res.partner"].sudo()
        company_domain = [("company_id", "in", company_ids)]

        def keys(name):
            values = {item[name] for _index, item in parsed} - {None}
            ints = [value for value in values if isinstance(value, int)]
            strs = [value for value in values if isinstance(value, str)]
            return ints, strs

        sub_ids, sub_names = keys("subscription_key")
        orders = Order.search_fetch(
            [
                ("is_subscription", "=", True),
                *company_domain,
                "|",
                ("id", "in", sub_ids),
                ("name", "in", sub_names),
            ],
            ["name", "subscription_state", "company_id"],
        )
        order_by_key = {**{o.name: o for o in orders}, **{o.id: o for o in orders}}
        product_ids, product_codes = keys("product_key")
        products = Product.with_context(active_test=False).search_fetch(
            [
                "|",
                ("id", "in", product_ids),
                ("default_code", "in", product_codes),
                "|",
                ("company_id", "=", False),
                ("company_id", "in", company_ids),
            ],
            ["default_code", "recurring_usage", "display_name"],
        )
        product_by_key = {
            **{p.default_code: p for p in products if p.default_code},
            **{p.id: p for p in products},
        }
        partner_ids, partner_refs = keys("customer_key")
        lines_by_customer = {}
        if partner_ids or partner_refs:
            partners = Partner.with_context(active_test=False).search_fetch(
                ["|", ("id", "in", partner_ids), ("ref", "in", partner_refs)],
                ["ref"],
            )
            partner_by_key = {
                **{p.ref: p for p in partners if p.ref},
                **{p.id: p for p in partners},
            }
            lines = (
                self.env["sale.order.line"]
                .sudo()
                .search_fetch(
                    [
                        ("order_id.partner_id", "in", partners.ids),
                        ("order_id.is_subscription", "=", True),
                        (
                            "order_id.subscription_state",
                            "in",
                            list(Order._get_running_states()),
                        ),
                        ("order_id.company_id", "in", company_ids),
                        ("product_id.recurring_usage", "=", True),
                        ("display_type", "=", False),
                    ],
                    ["order_id", "product_id"],
                )
            )
            for line in lines:
                orders_of = lines_by_customer.setdefault(
                    (line.order_id.partner_id.id, line.product_id.id), set()
                )
                orders_of.add(line.order_id.id)
        else:
            partner_by_key = {}

        kept = []
        for index, item in parsed:
            product = product_by_key.get(item["product_key"])
            if item["product_key"] is not None and not product:
                errors.append(
                    self._error(
                        index,
                        item,
                        _("Unknown product %(product)s.", product=item["product_key"]),
                    )
                )
                continue
            if item["subscription_key"] is not None:
                order = order_by_key.get(item["subscription_key"])
                if not order:
                    errors.append(
                        self._error(
                            index,
                            item,
                            _(
                                "Unknown subscription %(subscription)s.",
                                subscription=item["subscription_key"],
                            ),
                        )
                    )
                    continue
                item["subscription"] = order.id
            else:
                partner = partner_by_key.get(item["customer_key"])
                found = (
                    lines_by_customer.get((partner.id, product.id), set())
                    if partner
                    else set()
                )
                if len(found) != 1:
                    errors.append(
                        self._error(
                            index,
                            item,
                            _(
                                "Customer %(customer)s has no running subscription "
                                "to %(product)s.",
                                customer=item["customer_key"],
                                product=product.display_name,
                            )
                            if not found
                            else _(
                                "Customer %(customer)s has several running "
                                "subscriptions to %(product)s: give the "
                                "subscription.",
                                customer=item["customer_key"],
                                product=product.display_name,
                            ),
                        )
                    )
                    continue
                item["subscription"] = next(iter(found))
            item["product"] = product.id if product else None
            kept.append((index, item))
        parsed[:] = kept

    @api.model
    def _get_known(self, parsed):
        """(subscription, reference) of the parsed items already recorded."""
        if not parsed:
            return set()
        self.env.cr.execute(
            SQL(
                "SELECT subscription_id, reference FROM recurring_usage "
                "WHERE subscription_id = ANY(%s) AND reference = ANY(%s)",
                list({item["subscription"] for _index, item in parsed}),
                list({item["reference"] for _index, item in parsed}),
            )
        )
        return set(self.env.cr.fetchall())

    @api.model
    def _get_subscription_facts(self, orders):
        """What checking a record needs of each subscription, read once."""
        running = orders._get_running_states()
        # Only the fields needed, in one query per model.
        orders.fetch(
            [
                "name",
                "subscription_state",
                "company_id",
                "subscription_start_date",
                "subscription_end_date",
                "usage_billed_until",
                "order_line",
            ]
        )
        orders.order_line.fetch(["display_type", "product_id"])
        orders.order_line.product_id.fetch(["recurring_invoice", "recurring_usage"])
        orders.company_id.partner_id.fetch(["tz"])
        zones = {
            company.id: ZoneInfo(company._get_time_zone())
            for company in orders.company_id
        }
        return {
            order.id: {
                "name": order.name,
                "running": order.subscription_state in running,
                "company": order.company_id.id,
                "zone": zones[order.company_id.id],
                "start": order.subscription_start_date,
                "end": order.subscription_end_date,
                "until": order.usage_billed_until,
                "metered": order._get_recurring_lines()
                .product_id.filtered("recurring_usage")
                .ids,
            }
            for order in orders
        }

    @api.model
    def _check_record(self, item, order, metered_products):
        """The message refusing a resolved item, or None; sets its ``date``
        (in its company's time zone), ``company`` and ``product``.

        :param order: the facts of its subscription (``_get_subscription_facts``)
        :param metered_products: ids of the metered products among the items'
        """
        _ = self.env._
        if not order["running"]:
            return _(
                "Subscription %(order)s is not running: usage is no longer "
                "recorded on it.",
                order=order["name"],
            )
        if item["product"] is None:
            if len(order["metered"]) != 1:
                return _(
                    "Subscription %(order)s has several metered products: give "
                    "the product.",
                    order=order["name"],
                )
            item["product"] = order["metered"][0]
            metered_products.add(item["product"])
        if item["product"] not in metered_products:
            return _(
                "%(product)s is not a metered product: its usage is not billed.",
                product=self.env["product.product"]
                .browse(item["product"])
                .display_name,
            )
        if item["product"] not in order["metered"]:
            return _(
                "Subscription %(order)s does not include %(product)s.",
                order=order["name"],
                product=self.env["product.product"]
                .browse(item["product"])
                .display_name,
            )
        date = item["moment"].astimezone(order["zone"]).date()
        item["date"] = date
        item["company"] = order["company"]
        if (order["start"] and date < order["start"]) or (
            order["end"] and date > order["end"]
        ):
            return _(
                "The usage of %(date)s falls outside subscription %(order)s.",
                date=format_date(self.env, date),
                order=order["name"],
            )
        if order["until"] and date < order["until"]:
            return _(
                "The usage of %(date)s falls in a period of %(order)s already "
                "invoiced (usage before %(until)s is invoiced): it is refused.",
                date=format_date(self.env, date),
                order=order["name"],
                until=format_date(self.env, order["until"]),
            )
        return None

    @api.model
    def _insert(self, items):
        """Insert ``items`` in one statement; a reference already recorded on
        the subscription (by another call meanwhile) is left alone.

        :return: (subscription, reference) of the items inserted
        """
        if not items:
            return set()
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO recurring_usage (
                    subscription_id, company_id, product_id, date, quantity,
                    reference, create_uid, write_uid, create_date, write_date
                )
                SELECT sub, company, product, day, quantity, ref, %(uid)s,
                       %(uid)s, now() at time zone 'UTC', now() at time zone 'UTC'
                  FROM unnest(%(subs)s::int[], %(companies)s::int[],
                              %(products)s::int[], %(days)s::date[],
                              %(quantities)s::float8[], %(refs)s::varchar[],
                              %(positions)s::int[])
                       AS t(sub, company, product, day, quantity, ref, position)
                 ORDER BY position
                ON CONFLICT DO NOTHING
                RETURNING subscription_id, reference
                """,
                uid=self.env.uid,
                subs=[item["subscription"] for item in items],
                companies=[item["company"] for item in items],
                products=[item["product"] for item in items],
                days=[item["date"] for item in items],
                quantities=[item["quantity"] for item in items],
                refs=[item["reference"] for item in items],
                positions=list(range(len(items))),
            )
        )
        inserted = set(self.env.cr.fetchall())
        self.env["recurring.usage"].invalidate_model()
        self.env["sale.order"].invalidate_model(["recurring_usage_ids"])
        return inserted
