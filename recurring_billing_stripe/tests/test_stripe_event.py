# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from datetime import datetime

import psycopg2
import stripe
from freezegun import freeze_time

from odoo.exceptions import AccessError, ValidationError
from odoo.tests import new_test_user, tagged
from odoo.tools import mute_logger

from .common import RecurringStripeCommon


@tagged("post_install", "-at_install")
class TestStripeEvent(RecurringStripeCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Event = cls.env["recurring.stripe.event"]
        cls.event_payload = {
            "id": "evt_1PtestRecurring0001",
            "object": "event",
            "type": "payment_intent.succeeded",
            "livemode": False,
            "created": 1767225600,
            "data": {"object": cls.payment_intent},
        }

    def test_record_event_stores_its_values(self):
        with freeze_time("2026-01-15 10:30:00"):
            event = self.Event._record_event(self.stripe, self.event_payload)

        self.assertRecordValues(
            event,
            [
                {
                    "stripe_event_id": "evt_1PtestRecurring0001",
                    "event_type": "payment_intent.succeeded",
                    "provider_id": self.stripe.id,
                    "company_id": self.stripe.company_id.id,
                    "received_datetime": datetime(2026, 1, 15, 10, 30),
                    "state": "received",
                    "error_message": False,
                    "object_id": "pi_3PtestRecurring0001",
                    "created_datetime": datetime(2026, 1, 1, 0, 0),
                }
            ],
        )

    def test_same_event_twice_gives_one_record(self):
        first = self.Event._record_event(self.stripe, self.event_payload)
        first.write({"state": "processed"})

        again = self.Event._record_event(
            self.stripe, dict(self.event_payload, type="charge.succeeded")
        )

        self.assertEqual(again, first)
        self.assertEqual(
            self.Event.search_count(
                [("stripe_event_id", "=", "evt_1PtestRecurring0001")]
            ),
            1,
        )
        self.assertEqual(again.event_type, "payment_intent.succeeded")
        self.assertEqual(again.state, "processed")

    def test_record_event_parsed_by_the_sdk(self):
        stripe_event = stripe.Event.construct_from(self.event_payload, None)

        event = self.Event._record_event(self.stripe, stripe_event)

        self.assertEqual(event.stripe_event_id, "evt_1PtestRecurring0001")
        self.assertEqual(event.event_type, "payment_intent.succeeded")

    def test_event_without_id_is_refused(self):
        payload = dict(self.event_payload)
        del payload["id"]

        with self.assertRaises(ValidationError):
            self.Event._record_event(self.stripe, payload)
        self.assertFalse(self.Event.search([("provider_id", "=", self.stripe.id)]))

    def test_database_rejects_duplicate_event_id(self):
        vals = {
            "stripe_event_id": "evt_1PtestRecurring0002",
            "event_type": "charge.refunded",
            "provider_id": self.stripe.id,
        }
        first = self.Event.create(vals)
        domain = [("stripe_event_id", "=", "evt_1PtestRecurring0002")]

        with self.assertRaises(psycopg2.IntegrityError), mute_logger("odoo.sql_db"):
            self.Event.create(vals)
            self.env.flush_all()
        self.assertEqual(self.Event.search(domain), first)

    def test_provider_counts_its_events(self):
        self.Event._record_event(self.stripe, self.event_payload)
        self.Event._record_event(
            self.stripe, dict(self.event_payload, id="evt_1PtestRecurring0003")
        )

        self.assertEqual(self.stripe.recurring_stripe_event_count, 2)
        action = self.stripe.action_view_recurring_stripe_events()
        self.assertEqual(self.Event.search(action["domain"]).provider_id, self.stripe)

    def test_invoicing_users_read_only_their_companies_events(self):
        event = self.Event._record_event(self.stripe, self.event_payload)
        other_company = self._create_company(name="Other Company")
        accountant = new_test_user(
            self.env,
            login="rbs_accountant",
            groups="account.group_account_invoice",
            company_id=self.stripe.company_id.id,
            company_ids=[self.stripe.company_id.id],
        )
        other_accountant = new_test_user(
            self.env,
            login="rbs_other_accountant",
            groups="account.group_account_invoice",
            company_id=other_company.id,
            company_ids=[other_company.id],
        )
        domain = [("stripe_event_id", "=", event.stripe_event_id)]

        self.assertEqual(self.Event.with_user(accountant).search(domain), event)
        self.assertFalse(self.Event.with_user(other_accountant).search(domain))
        with self.assertRaises(AccessError):
            self.Event.with_user(accountant).create(
                {"stripe_event_id": "evt_forged", "provider_id": self.stripe.id}
            )
            self.env.flush_all()
        self.assertFalse(
            self.Event.search_count([("stripe_event_id", "=", "evt_forged")])
        )
