# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The recurring-invoicing job posts its invoices, then numbers them last:
the numbers are the ones Odoo's own posting gives, in date order."""

from odoo.tests import tagged

from .common import RecurringBillingCommon


@tagged("post_install", "-at_install")
class TestInvoiceNumbering(RecurringBillingCommon):
    def _draft(self, day, move_type="out_invoice", amount=100.0):
        return self.init_invoice(
            move_type,
            partner=self.customer,
            invoice_date=day,
            amounts=[amount],
            taxes=self.tax_20,
        )

    def _post_as_the_job(self, moves):
        Invoicing = self.env["recurring.invoicing"].with_context(
            recurring_defer_posting=True
        )
        return Invoicing._post_invoices(
            moves.sorted(lambda move: (move.invoice_date, move.id))
        )

    def _assert_numbered(self, moves, names):
        self.env.flush_all()
        self.assertEqual(moves.mapped("name"), names)
        self.assertEqual(set(moves.mapped("state")), {"posted"})
        for move in moves:
            # Odoo's payment reference of a customer invoice is its number.
            if move.move_type == "out_invoice":
                self.assertEqual(move.payment_reference, move.name)
            self.assertEqual(set(move.line_ids.mapped("move_name")), {move.name})
            self.assertTrue(move.name.startswith(move.sequence_prefix))
            self.assertEqual(
                int(move.name[len(move.sequence_prefix) :]), move.sequence_number
            )
            self.assertFalse(move.made_sequence_gap, move.name)

    def test_numbers_in_date_order_across_years_and_sequences(self):
        """A batch spanning two years, with a credit note: each sequence
        numbered in date order, from 1 in each year, as Odoo numbers."""
        dec = self._draft("2024-12-30", amount=10.0)
        jan_b = self._draft("2025-01-02", amount=30.0)
        jan_a = self._draft("2025-01-02", amount=20.0)
        feb = self._draft("2025-02-03", amount=40.0)
        refund = self._draft("2025-01-15", move_type="out_refund", amount=5.0)
        posted = self._post_as_the_job(dec | jan_b | jan_a | feb | refund)
        self.assertEqual(len(posted), 5)
        self._assert_numbered(
            dec | jan_b | jan_a | feb,
            ["INV/2024/00001", "INV/2025/00001", "INV/2025/00002", "INV/2025/00003"],
        )
        self._assert_numbered(refund, ["RINV/2025/00001"])
        self.assertEqual(
            (dec | jan_b | jan_a | feb).mapped("amount_total"), [12.0, 36.0, 24.0, 48.0]
        )

    def test_numbers_follow_what_odoo_posted_before(self):
        """After invoices Odoo posted itself, in a journal numbered by month,
        the job's numbers follow on, and start again at 1 in a new month."""
        first = self._draft("2025-01-10")
        first.action_post()
        first.name = "INV/2025/01/0001"
        second = self._draft("2025-01-12")
        second.action_post()
        self.assertEqual(second.name, "INV/2025/01/0002")
        moves = (
            self._draft("2025-01-20")
            | self._draft("2025-02-05")
            | self._draft("2025-02-06")
        )
        self._post_as_the_job(moves)
        self._assert_numbered(
            moves, ["INV/2025/01/0003", "INV/2025/02/0001", "INV/2025/02/0002"]
        )

    def test_journal_secured_by_a_hash_posts_whole(self):
        """In a journal whose entries are secured by a hash, each invoice is
        numbered and hashed by Odoo's posting, in order."""
        self.company_data["default_journal_sale"].restrict_mode_hash_table = True
        moves = self._draft("2025-03-01") | self._draft("2025-03-02")
        self._post_as_the_job(moves)
        self._assert_numbered(moves, ["INV/2025/00001", "INV/2025/00002"])
        self.assertTrue(all(moves.mapped("inalterable_hash")))

    def test_invoice_posted_before_keeps_its_number(self):
        """An invoice reset to draft and posted again by the job keeps its
        number."""
        move = self._draft("2025-04-01")
        move.action_post()
        name = move.name
        move.button_draft()
        self._post_as_the_job(move)
        self._assert_numbered(move, [name])

    def test_credit_notes_share_the_sequence_when_the_journal_says_so(self):
        """In a journal without a sequence of its own for credit notes,
        invoices and credit notes of a batch share one sequence."""
        self.company_data["default_journal_sale"].refund_sequence = False
        first = self._draft("2025-05-01")
        refund = self._draft("2025-05-02", move_type="out_refund", amount=5.0)
        last = self._draft("2025-05-03")
        self._post_as_the_job(first | refund | last)
        self._assert_numbered(
            first | refund | last,
            ["INV/2025/00001", "INV/2025/00002", "INV/2025/00003"],
        )
