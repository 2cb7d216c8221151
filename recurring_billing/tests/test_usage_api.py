# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The usage ingestion API over HTTP: who may call it, what a retried call
answers, each record refused with its reason, and the usage billed."""

import importlib.util
import json
from datetime import date
from unittest.mock import patch

from freezegun import freeze_time

from odoo import Command
from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tools.misc import file_path

from .common import RecurringBillingCommon

URL = "/recurring/usage/v1/records"


@tagged("post_install", "-at_install")
class TestUsageApi(RecurringBillingCommon, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env.ref("product.decimal_price").digits = 4
        cls.product_api = cls._create_product(
            name="API calls",
            default_code="API-CALLS",
            type="service",
            lst_price=0.002,
            recurring_invoice=True,
            recurring_usage=True,
            recurring_usage_included=1000,
            invoice_policy="order",
        )
        cls.product_storage = cls._create_product(
            name="Storage GB",
            type="service",
            lst_price=0.5,
            recurring_invoice=True,
            recurring_usage=True,
            invoice_policy="order",
        )
        cls.customer.ref = "CUST-MARTIN"
        cls.sub = cls._create_subscription(
            "2025-03-01", lines=[(cls.product_cloud, 1), (cls.product_api, 1)]
        )
        cls.closed_sub = cls._create_subscription(
            "2025-03-01", lines=[(cls.product_cloud, 1), (cls.product_api, 1)]
        )
        with freeze_time("2025-03-05"):
            cls.closed_sub.action_subscription_close()
        cls.user = cls._create_api_user("rb_usage_api", cls.company)
        cls.key = cls._generate_key(cls.user)
        cls.other_company = cls.setup_other_company(name="Nuage Belgique")["company"]
        cls.other_user = cls._create_api_user("rb_usage_api_other", cls.other_company)
        cls.other_key = cls._generate_key(cls.other_user)
        cls.salesman = new_test_user(
            cls.env,
            "rb_usage_salesman",
            groups="sales_team.group_sale_salesman",
            company_id=cls.company.id,
            company_ids=[Command.set(cls.company.ids)],
        )
        cls.salesman_key = cls._generate_key(cls.salesman)

    @classmethod
    def _create_api_user(cls, login, company):
        return new_test_user(
            cls.env,
            login,
            groups="base.group_user,recurring_billing.group_recurring_usage_api",
            company_id=company.id,
            company_ids=[Command.set(company.ids)],
        )

    @classmethod
    def _generate_key(cls, user):
        return (
            cls.env["res.users.apikeys"]
            .with_user(user)
            .sudo()
            ._generate("recurring_usage", "Usage API test", None)
        )

    def _post(self, records=None, key=None, body=None):
        headers = {"Content-Type": "application/json"}
        if key is not False:
            headers["Authorization"] = f"Bearer {key or self.key}"
        data = body if body is not None else json.dumps({"records": records})
        return self.url_open(URL, data=data, headers=headers)

    def _record(self, reference, quantity, timestamp="2025-03-10T10:00:00Z", **kw):
        return {
            "reference": reference,
            "subscription": self.sub.name,
            "quantity": quantity,
            "timestamp": timestamp,
            **kw,
        }

    def _usage(self, references):
        return self.env["recurring.usage"].search(
            [("reference", "in", references)], order="reference"
        )

    # ------------------------------------------------------------------
    # Authentication
    # ------------------------------------------------------------------

    def test_no_key_wrong_key_or_key_without_the_group_is_refused(self):
        records = [self._record("auth-1", 5)]
        for key in (False, "0123456789abcdef" * 2, self.salesman_key):
            response = self._post(records, key=key)
            self.assertEqual(response.status_code, 401, key)
            self.assertEqual(response.json()["error"], "unauthorized")
            self.assertIn("Bearer", response.headers["WWW-Authenticate"])
        self.assertFalse(self._usage(["auth-1"]))

    def test_key_of_another_company_user_sees_no_subscription_of_ours(self):
        response = self._post(
            [
                self._record("other-1", 5),
                self._record("other-2", 5, subscription=self.sub.id),
            ],
            key=self.other_key,
        )
        self.assertEqual(response.status_code, 200)
        answer = response.json()
        self.assertEqual((answer["created"], answer["known"]), ([], []))
        self.assertEqual(
            [(e["index"], e["reference"], e["message"]) for e in answer["errors"]],
            [
                (0, "other-1", f"Unknown subscription {self.sub.name}."),
                (1, "other-2", f"Unknown subscription {self.sub.id}."),
            ],
        )
        self.assertFalse(self._usage(["other-1", "other-2"]))

    # ------------------------------------------------------------------
    # Idempotency
    # ------------------------------------------------------------------

    def test_retried_call_counts_nothing_twice(self):
        records = [
            self._record("evt-1", 120),
            self._record("evt-2", 30.5, subscription=self.sub.id),
            {
                "reference": "evt-3",
                "customer": "CUST-MARTIN",
                "product": "API-CALLS",
                "quantity": 7,
                "timestamp": 1741600800,  # 2025-03-10 10:00 UTC
            },
        ]
        first = self._post(records).json()
        self.assertEqual(
            first, {"created": ["evt-1", "evt-2", "evt-3"], "known": [], "errors": []}
        )
        # The same call again, plus one new record: only the new one counts.
        second = self._post([*records, self._record("evt-4", 1)]).json()
        self.assertEqual(
            second,
            {"created": ["evt-4"], "known": ["evt-1", "evt-2", "evt-3"], "errors": []},
        )
        usage = self._usage(["evt-1", "evt-2", "evt-3", "evt-4"])
        self.assertEqual(len(usage), 4)
        self.assertEqual(sum(usage.mapped("quantity")), 158.5)
        self.assertEqual(usage.subscription_id, self.sub)
        self.assertEqual(usage.product_id, self.product_api)
        self.assertEqual(set(usage.mapped("date")), {date(2025, 3, 10)})
        self.assertEqual(usage.company_id, self.company)
        self.assertEqual(usage.create_uid, self.user)

    def test_same_reference_twice_in_one_call_is_counted_once(self):
        answer = self._post([self._record("dup-1", 3), self._record("dup-1", 3)]).json()
        self.assertEqual(answer["created"], ["dup-1"])
        self.assertEqual(answer["known"], ["dup-1"])
        self.assertEqual(len(self._usage(["dup-1"])), 1)

    def test_documented_client_sends_again_with_the_same_references(self):
        path = file_path("recurring_billing/static/api/usage_client.py")
        spec = importlib.util.spec_from_file_location("usage_client", path)
        client = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(client)
        records = [self._record(f"client-{i}", 2) for i in range(3)]
        with (
            patch.object(client, "URL", self.base_url() + URL),
            patch.object(client, "KEY", self.key),
        ):
            first = client.send_all(records)
            again = client.send_all(records)
        self.assertEqual((first["created"], first["known"]), (3, 0))
        self.assertEqual((again["created"], again["known"]), (0, 3))
        self.assertEqual(len(self._usage([r["reference"] for r in records])), 3)

    # ------------------------------------------------------------------
    # Per-record errors
    # ------------------------------------------------------------------

    def test_each_invalid_record_is_refused_with_its_reason(self):
        self._run_engine("2025-03-01")
        self._run_engine("2025-04-01")  # March's usage is invoiced
        self.assertEqual(self.sub.usage_billed_until, date(2025, 4, 1))
        april = "2025-04-02T08:00:00+02:00"
        records = [
            self._record("ok-1", 10, april),
            self._record("err-unknown", 1, april, subscription="S99999"),
            self._record("err-closed", 1, april, subscription=self.closed_sub.name),
            self._record("err-not-metered", 1, april, product=self.product_cloud.id),
            self._record("err-not-included", 1, april, product=self.product_storage.id),
            self._record("err-negative", -1, april),
            self._record("err-text", "12", april),
            self._record("err-timestamp", 1, "yesterday"),
            self._record("err-billed", 1, "2025-03-31T21:00:00Z"),
            {"reference": "err-nothing", "quantity": 1, "timestamp": april},
            {"quantity": 1, "timestamp": april, "subscription": self.sub.id},
            self._record("err-customer", 1, april, subscription=None, customer=0)
            | {"product": "API-CALLS"},
            self._record("ok-2", 0, "2025-04-01T00:30:00+02:00"),
            "not an object",
        ]
        response = self._post(records)
        self.assertEqual(response.status_code, 200)
        answer = response.json()
        self.assertEqual(answer["created"], ["ok-1", "ok-2"])
        self.assertEqual(answer["known"], [])
        closed = self.closed_sub.name
        self.assertEqual(
            [(e["index"], e["reference"], e["message"]) for e in answer["errors"]],
            [
                (1, "err-unknown", "Unknown subscription S99999."),
                (
                    2,
                    "err-closed",
                    f"Subscription {closed} is not running: usage is no longer "
                    "recorded on it.",
                ),
                (
                    3,
                    "err-not-metered",
                    f"{self.product_cloud.display_name} is not a metered product: "
                    "its usage is not billed.",
                ),
                (
                    4,
                    "err-not-included",
                    f"Subscription {self.sub.name} does not include "
                    f"{self.product_storage.display_name}.",
                ),
                (5, "err-negative", "A usage quantity cannot be negative."),
                (6, "err-text", "The quantity 12 is not a number."),
                (
                    7,
                    "err-timestamp",
                    "The timestamp yesterday is neither an ISO 8601 date and time "
                    "nor a number of seconds since 1970.",
                ),
                (
                    8,
                    "err-billed",
                    f"The usage of 03/31/2025 falls in a period of {self.sub.name} "
                    "already invoiced (usage before 04/01/2025 is invoiced): it is "
                    "refused.",
                ),
                (
                    9,
                    "err-nothing",
                    "Give the subscription, or the customer and the product, of the "
                    "usage.",
                ),
                (10, None, "The usage record has no reference."),
                (
                    11,
                    "err-customer",
                    "Customer 0 has no running subscription to "
                    f"{self.product_api.display_name}.",
                ),
                (13, None, "A usage record must be a JSON object."),
            ],
        )
        usage = self._usage(["ok-1", "ok-2"])
        # In the company's time zone (Europe/Paris): both on 1 or 2 April.
        self.assertEqual(usage.mapped("date"), [date(2025, 4, 2), date(2025, 4, 1)])
        self.assertEqual(usage.mapped("quantity"), [10.0, 0.0])

    def test_records_that_do_not_say_which_subscription_or_product(self):
        both = self._create_subscription(
            "2025-03-01",
            lines=[(self.product_api, 1), (self.product_storage, 1)],
        )
        records = [
            self._record("amb-1", 1, product="NO-SUCH-CODE"),
            self._record("amb-2", 1, subscription=both.name),
            {
                "reference": "amb-3",
                "customer": self.customer.id,
                "product": self.product_api.id,
                "quantity": 1,
                "timestamp": "2025-03-10T10:00:00Z",
            },
            self._record("amb-4", 1, "2025-02-28T10:00:00Z"),
            self._record("amb-5", 1, subscription=[1]),
            self._record("amb-6", 1, subscription=both.id, product="API-CALLS"),
        ]
        answer = self._post(records).json()
        self.assertEqual(answer["created"], ["amb-6"])
        api = self.product_api.display_name
        self.assertEqual(
            [(e["index"], e["message"]) for e in answer["errors"]],
            [
                (0, "Unknown product NO-SUCH-CODE."),
                (
                    1,
                    f"Subscription {both.name} has several metered products: give "
                    "the product.",
                ),
                (
                    2,
                    f"Customer {self.customer.id} has several running subscriptions "
                    f"to {api}: give the subscription.",
                ),
                (
                    3,
                    f"The usage of 02/28/2025 falls outside subscription "
                    f"{self.sub.name}.",
                ),
                (
                    4,
                    "A subscription, customer or product is given by its id (a "
                    "number) or its reference (a string).",
                ),
            ],
        )
        self.assertEqual(self._usage(["amb-6"]).subscription_id, both)

    def test_messages_in_the_user_language(self):
        self.env["res.lang"]._activate_lang("fr_FR")
        self.env["ir.module.module"]._load_module_terms(
            ["recurring_billing"], ["fr_FR"]
        )
        self.user.lang = "fr_FR"
        answer = self._post([self._record("fr-1", -2)]).json()
        self.assertEqual(
            answer["errors"][0]["message"],
            "La quantité consommée ne peut pas être négative.",
        )

    def test_malformed_body_or_too_many_records(self):
        response = self._post(body="{not json")
        self.assertEqual(response.status_code, 400)
        self.assertEqual(response.json()["error"], "bad_request")
        response = self._post(body=json.dumps([self._record("x", 1)]))
        self.assertEqual(response.status_code, 400)
        records = [self._record(f"many-{i}", 1) for i in range(10001)]
        response = self._post(records)
        self.assertEqual(response.status_code, 400)
        self.assertEqual(response.json()["error"], "too_many_records")
        self.assertFalse(self._usage(["many-0"]))

    # ------------------------------------------------------------------
    # Billing
    # ------------------------------------------------------------------

    def test_ingested_usage_is_billed_to_the_cent(self):
        first = self._run_engine("2025-03-01")
        self.assertEqual(first.amount_untaxed, 30.0)
        records = [
            self._record(f"bill-{i}", 1000.25, f"2025-03-{1 + i % 31:02d}T12:00:00Z")
            for i in range(250)
        ]
        answer = self._post(records).json()
        self.assertEqual(len(answer["created"]), 250)
        self._post(records)  # retried: nothing counted twice
        second = self._run_engine("2025-04-01")
        # 250 x 1,000.25 = 250,062.5, less 1,000 included = 249,062.5 calls
        # x 0.002 = 498.125 -> 498.13; with the base 30.00: 528.13 + 20 % VAT.
        self.assertEqual(
            (second.amount_untaxed, second.amount_tax, second.amount_total),
            (528.13, 105.63, 633.76),
        )
        usage_line = second.invoice_line_ids.filtered(
            lambda line: line.product_id == self.product_api
        )
        self.assertEqual(usage_line.quantity, 249_062.5)
        self.assertEqual(len(second.recurring_usage_ids), 250)
