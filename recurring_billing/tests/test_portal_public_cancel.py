# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The public cancellation page over HTTP, with two customers: the same
answer, in the same time, whatever is given; a link only for the exact
contract of the customer who asks, in any company; rate limits that slow an
attacker and never lock the customer out."""

import base64
import re
import statistics
import time
from datetime import timedelta

from odoo import fields
from odoo.tests import tagged
from odoo.tools import file_open

from odoo.addons.recurring_billing.models import recurring_cancel_request

from .common_portal import RecurringPortalCommon

ATTACKER_IP = "203.0.113.7"


@tagged("post_install", "-at_install")
class TestPublicCancellation(RecurringPortalCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # As the page and the job use it.
        cls.Request = cls.env["recurring.cancel.request"].sudo()
        cls.customer_details = {
            "name": "Boulangerie Martin",
            "email": "compta@boulangerie-martin.example",
            "reference": cls.subscription.name,
        }
        cls.other_details = {
            "name": "Fromagerie Dubois",
            "email": "contact@fromagerie-dubois.example",
            "reference": cls.other_subscription.name,
        }

    def _request(self, csrf=None, **data):
        csrf = csrf or self._csrf_token("/subscriptions/cancel")
        return self.url_open("/subscriptions/cancel", data={"csrf_token": csrf, **data})

    def _answer(self, response, email):
        """The answer, without the email address given."""
        text = response.text.replace(email, "X")
        start = text.index("o_subscription_public_cancel")
        return text[start : text.index("</main>")]

    def _process(self):
        """Run the job as the cron would: the links it queued."""
        return self.Request._cron_process_requests()

    def _link_mails(self):
        return self.env["mail.mail"].search(
            [("model", "=", "recurring.cancel.request")], order="id"
        )

    def _link(self, mail):
        match = re.search(
            r'href="[^"]*(/subscriptions/cancel/\d+/[^"]+)"', mail.body_html
        )
        self.assertTrue(match, mail.body_html)
        return match.group(1)

    def _attack(self, count, ip=ATTACKER_IP, **details):
        for _i in range(count):
            self.Request._request_cancellation(
                details["name"], details["email"], details["reference"], ip
            )

    # ------------------------------------------------------------
    # THE ANSWER AND ITS TIME (issue 24, point 2)
    # ------------------------------------------------------------

    def test_link_queued_only_for_the_customer_with_the_same_answer(self):
        right = self._request(
            **dict(self.customer_details, email="Compta@Boulangerie-Martin.example")
        )
        wrong_email = self._request(
            **dict(self.customer_details, email="intrus@example.com")
        )
        unknown = self._request(
            **dict(self.customer_details, email="intrus@example.com", reference="S99")
        )
        self.assertIn("o_subscription_public_sent", right.text)
        self.assertEqual(
            self._answer(wrong_email, "intrus@example.com"),
            self._answer(unknown, "intrus@example.com"),
        )
        self.assertEqual(
            self._answer(right, "Compta@Boulangerie-Martin.example"),
            self._answer(unknown, "intrus@example.com"),
        )
        # Nothing is looked up nor emailed inside the request.
        requests = self.Request.search([])
        self.assertEqual(requests.mapped("state"), ["pending"] * 3)
        self.assertFalse(requests.subscription_id)
        self.assertFalse(self._link_mails())
        mails = self._process()
        self.assertEqual(
            sorted(requests.mapped("state")), ["sent", "unmatched", "unmatched"]
        )
        self.assertEqual(requests.subscription_id, self.subscription)
        self.assertEqual(mails, self._link_mails())
        self.assertEqual(mails.email_to, "compta@boulangerie-martin.example")
        # Queued for Odoo's mail job, not sent by the request nor the job.
        self.assertEqual(mails.state, "outgoing")
        self.assertEqual(self.subscription.subscription_state, "active")

    def test_the_three_answers_take_the_same_time(self):
        """20 requests each, interleaved: an unknown contract, a known one
        with the wrong email, and the customer's own details. The customer's
        answer used to take 6 times longer (the link was emailed inside the
        request); now no answer's median exceeds another's by half."""
        kinds = {
            "unknown": dict(self.customer_details, reference="S99999"),
            "wrong_email": dict(self.customer_details, email="intrus@example.com"),
            "match": self.customer_details,
        }
        csrf = self._csrf_token("/subscriptions/cancel")
        for details in kinds.values():
            self._request(csrf, **details)  # warm-up, not measured
        durations = {kind: [] for kind in kinds}
        for _i in range(20):
            for kind, details in kinds.items():
                start = time.perf_counter()
                response = self._request(csrf, **details)
                durations[kind].append(time.perf_counter() - start)
                self.assertIn("o_subscription_public_sent", response.text)
        medians = {
            kind: statistics.median(values) for kind, values in durations.items()
        }
        self.assertLessEqual(
            max(medians.values()), 1.5 * min(medians.values()), medians
        )
        self.assertFalse(self._link_mails(), "no link is emailed inside a request")
        # The job queues the links (3 per hour for one contract and address).
        mails = self._process()
        self.assertEqual(len(mails), recurring_cancel_request.RATE_LIMIT_LINKS)
        self.assertEqual(set(mails.mapped("state")), {"outgoing"})

    # ------------------------------------------------------------
    # EXACT REFERENCE, NAME, COMPANY (points 3 and 8)
    # ------------------------------------------------------------

    def test_reference_matched_exactly_with_the_name(self):
        customer = self.customer_details
        for reference in ("%", "S%", "_" * len(self.subscription.name), "S0%"):
            for details in (customer, self.other_details):
                self._attack(1, **dict(details, reference=reference))
        # The right reference and email, but another name.
        self._attack(1, **dict(customer, name="Paul Dupont"))
        # Another customer's email with the right reference.
        self._attack(1, **dict(customer, email=self.other_details["email"]))
        self.assertFalse(self._process())
        self.assertEqual(set(self.Request.search([]).mapped("state")), {"unmatched"})
        # Spaces, case and accents and the order of the words do not matter.
        self._request(
            name="  martin BOULANGERIE ",
            email="COMPTA@boulangerie-martin.example",
            reference=" " + self.subscription.name.lower() + " ",
        )
        mails = self._process()
        self.assertEqual(len(mails), 1)
        self.assertEqual(
            self.Request.search([("state", "=", "sent")]).subscription_id,
            self.subscription,
        )
        # Letters beyond ASCII, that lose no accent, compare too.
        self.other_customer.name = "Crêperie Cœur d'Øresund"
        self._request(**dict(self.other_details, name="crêperie cœur d'øresund"))
        mails = self._process()
        self.assertEqual(mails.email_to, self.other_details["email"])

    def test_two_companies_with_the_same_reference(self):
        company_b = self.setup_other_company(name="Nuage Belgique")["company"]
        company_b.partner_id.write(
            {"street": "3 rue Royale", "zip": "1000", "city": "Bruxelles"}
        )
        with file_open(
            "recurring_billing/static/description/nuage_logo.png", "rb"
        ) as logo:
            company_b.logo = base64.b64encode(logo.read())
        self.env.user.company_ids |= company_b
        sub_b = self._create_subscription(
            self.start,
            template=self.template_portal,
            company_id=company_b.id,
            partner_id=self.other_customer.id,
        )
        sub_b.name = self.subscription.name
        self._request(**self.customer_details)
        self._request(**dict(self.other_details, reference=sub_b.name))
        mails = self._process()
        self.assertEqual(len(mails), 2)
        by_email = {mail.email_to: mail for mail in mails}
        links = {
            self.subscription: self._link(by_email[self.customer_details["email"]]),
            sub_b: self._link(by_email[self.other_details["email"]]),
        }
        # Each link shows its own contract under its own company's letterhead.
        page = self.url_open(links[sub_b])
        self.assertIn("o_subscription_cancel_summary", page.text)
        self.assertIn("Nuage Belgique", page.text)
        self.assertIn("3 rue Royale", page.text)
        company_block = page.text[page.text.index("o_subscription_public_company") :]
        self.assertIn('src="data:image/png;base64,', company_block[:500])
        self.assertIn(self.other_customer.name, page.text)
        self.assertNotIn(self.customer.name, page.text)
        response = self.url_open(
            links[sub_b], data={"csrf_token": self._csrf_token(links[sub_b])}
        )
        self.assertIn("o_subscription_public_done", response.text)
        self.assertEqual(sub_b.subscription_state, "to_close")
        self.assertEqual(self.subscription.subscription_state, "active")
        page = self.url_open(links[self.subscription])
        self.assertIn(self.company.name, page.text)
        self.assertIn("12 rue de la Paix", page.text)
        self.assertIn(self.customer.name, page.text)
        response = self.url_open(
            links[self.subscription],
            data={"csrf_token": self._csrf_token(links[self.subscription])},
        )
        self.assertIn("o_subscription_public_done", response.text)
        self.assertEqual(self.subscription.subscription_state, "to_close")

    # ------------------------------------------------------------
    # RATE LIMITS (point 4)
    # ------------------------------------------------------------

    def test_requests_with_someones_email_do_not_lock_them_out(self):
        # Any number of requests with the customer's email and another
        # reference, from any address.
        self._attack(10, **dict(self.customer_details, reference="S99999"))
        self._attack(10, ip="198.51.100.9", **self.other_details)
        self._process()
        response = self._request(**self.customer_details)
        self.assertIn("o_subscription_public_sent", response.text)
        mails = self._process().filtered(
            lambda mail: mail.email_to == self.customer_details["email"]
        )
        self.assertEqual(len(mails), 1)
        self._cancel_through(self._link(mails))

    def test_a_link_already_sent_stays_valid_through_a_flood(self):
        self._request(**self.customer_details)
        first = self._process()
        self.assertEqual(len(first), 1)
        # Someone who knows the customer's details asks again and again.
        self._attack(8, **self.customer_details)
        flood = self._process()
        limit = recurring_cancel_request.RATE_LIMIT_LINKS
        self.assertEqual(len(flood), limit - 1)
        self.assertEqual(
            self.Request.search_count([("state", "=", "limited")]), 8 - (limit - 1)
        )
        # The customer's own request: the same answer, no new link, and the
        # link already sent works.
        response = self._request(**self.customer_details)
        self.assertIn("o_subscription_public_sent", response.text)
        self.assertFalse(self._process())
        self._cancel_through(self._link(first))

    def test_a_logged_in_customer_is_never_limited(self):
        self._attack(20, **self.customer_details)
        self._attack(20, ip="127.0.0.1", **self.customer_details)
        self._process()
        self.authenticate("rb_portal_subscriber", "rb_portal_subscriber")
        url = f"/my/subscriptions/{self.subscription.id}/cancel"
        response = self.url_open(
            url + "/confirm", data={"csrf_token": self._csrf_token(url)}
        )
        self.assertIn('data-notice="cancelled"', response.text)
        self.assertEqual(self.subscription.subscription_state, "to_close")

    def test_many_requests_from_one_address_are_slowed_not_refused(self):
        limit = recurring_cancel_request.RATE_LIMIT_PER_IP
        self._attack(limit, **dict(self.customer_details, reference="S99999"))
        # The customer behind the same address (a shared connection).
        self.Request._request_cancellation(*self.customer_details.values(), ATTACKER_IP)
        late = self.Request.search([], limit=1)
        now = fields.Datetime.now()
        self.assertGreater(late.process_after, now + timedelta(minutes=59))
        self.assertLessEqual(late.process_after, now + timedelta(hours=1))
        self.assertFalse(self._process())
        self.assertEqual(late.state, "pending")
        # An hour later, the link is sent.
        late.process_after = now - timedelta(seconds=1)
        mails = self._process()
        self.assertEqual(mails.email_to, self.customer_details["email"])
        self.assertEqual(late.state, "sent")
        self.assertEqual(late.subscription_id, self.subscription)

    def _cancel_through(self, link):
        page = self.url_open(link)
        self.assertIn("o_subscription_cancel_summary", page.text)
        response = self.url_open(link, data={"csrf_token": self._csrf_token(link)})
        self.assertIn("o_subscription_public_done", response.text)
        self.assertEqual(self.subscription.subscription_state, "to_close")

    # ------------------------------------------------------------
    # THE LINK
    # ------------------------------------------------------------

    def test_cancel_from_the_emailed_link_once(self):
        self._request(**self.customer_details)
        link = self._link(self._process())
        page = self.url_open(link)
        self.assertIn("o_subscription_cancel_summary", page.text)
        # A forged POST without CSRF token changes nothing.
        with self.assertLogs("odoo.http", "WARNING"):
            response = self.url_open(link, data={"forged": "1"})
        self.assertEqual(response.status_code, 400)
        self.assertEqual(self.subscription.subscription_state, "active")
        self._cancel_through(link)
        self.assertEqual(
            self.subscription.subscription_end_date,
            self.subscription.next_invoice_date - timedelta(days=1),
        )
        self.assertTrue(
            self.env["mail.mail"].search(
                [
                    ("model", "=", "sale.order"),
                    ("res_id", "=", self.subscription.id),
                    ("subject", "ilike", "cancellation"),
                ]
            )
        )
        self.assertTrue(
            self.subscription.message_ids.filtered(
                lambda m: "public cancellation page" in (m.body or "")
            )
        )
        # Used once.
        self.assertIn("o_subscription_public_invalid", self.url_open(link).text)
        # A wrong token is no link.
        request = self.Request.search([("state", "=", "sent")])
        wrong = f"/subscriptions/cancel/{request.id}/not-the-token"
        self.assertIn("o_subscription_public_invalid", self.url_open(wrong).text)

    def test_expired_link_is_refused(self):
        self._request(**self.customer_details)
        link = self._link(self._process())
        request = self.Request.search([("state", "=", "sent")])
        request.expiration = request.create_date - timedelta(minutes=1)
        self.assertIn("o_subscription_public_invalid", self.url_open(link).text)
        self.assertEqual(self.subscription.subscription_state, "active")

    def test_the_page_shows_the_company(self):
        page = self.url_open("/subscriptions/cancel")
        company = self.env.ref("base.public_user").sudo().company_id
        block = page.text[page.text.index("o_subscription_public_company") :]
        self.assertIn(company.name, block[:2000])
