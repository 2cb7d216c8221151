# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from contextlib import contextmanager

from odoo import models
from odoo.tools import SQL

# Kept in the transaction's postcommit data (kept until it ends, unlike
# precommit data, which each flush clears): the ids of the invoices whose
# number is left for later, and, while they are numbered, their ids and the
# last numbers read from what other transactions committed.
DEFERRED = "recurring_billing.deferred_numbering"
COMMITTED_LAST = "recurring_billing.committed_last_sequence"
NUMBERING = "recurring_billing.numbering"


class AccountMove(models.Model):
    """The subscription invoices of the recurring-invoicing job are posted
    with everything Odoo's posting does, except the number, while other
    workers do the same with theirs; the number is given last, in the
    numbering turn that one worker at a time holds until its transaction
    ends (``recurring.invoicing._post_invoices``)."""

    _inherit = "account.move"

    # ------------------------------------------------------------
    # COMPUTE METHODS
    # ------------------------------------------------------------

    def _compute_name(self):
        # EXTEND 'account': the invoices left to number keep "/" until
        # _recurring_number_deferred gives them their number.
        data = self.env.cr.postcommit.data
        deferred = data.get(DEFERRED) or ()
        job = self.env.context.get("recurring_defer_posting")
        # In the job, a new draft is left unnamed, as Odoo leaves all but the
        # first of a period (one query each to tell): it is numbered posted.
        later = self.filtered(
            lambda move: move._origin.id in deferred
            or (
                job
                and move.state == "draft"
                and move.name in (False, "/")
                and not move.posted_before
                and not move.journal_id.restrict_mode_hash_table
            )
        )
        if later:
            later.name = "/"
            self -= later  # noqa: PLW0642
        numbering = data.get(NUMBERING)
        if numbering:
            batch = self.filtered(
                lambda move: move._origin.id in numbering
                and move.state == "posted"
                and move.name in (False, "/")
            )
            if batch:
                batch._recurring_number_in_order()
                self -= batch  # noqa: PLW0642
        return super()._compute_name()

    def _recurring_number_in_order(self):
        """Number these posted invoices in Odoo's order (date, reference, id):
        the first of each sequence with Odoo's own ``_set_next_sequence``,
        each next one with the number after the last one given, while it
        matches its date. One query for a sequence instead of several for
        each invoice; the unique index of numbers checks them all when they
        are written."""
        last = {}
        for move in self.sorted(
            lambda move: (move.date, move.ref or "", move._origin.id)
        ):
            # The sequences of a journal, as Odoo's _get_last_sequence_domain
            # tells them apart.
            journal = move.journal_id
            key = (
                journal,
                journal.refund_sequence
                and move.move_type in ("out_refund", "in_refund"),
                journal.payment_sequence and bool(move.origin_payment_id),
            )
            if key in last:
                format_string, values = move._get_sequence_format_param(last[key])
                values["seq"] += 1
                move.name = format_string.format(**values)
                if move._sequence_matches_date():
                    last[key] = move.name
                    continue
            move._set_next_sequence()
            last[key] = move.name
        # What Odoo's _set_next_sequence marks to compute after a number.
        registry = self.env.registry
        triggers = registry._field_triggers[self._fields["name"]]
        for inverse_field, triggered_fields in triggers.items():
            for triggered_field in triggered_fields:
                if not triggered_field.store or not triggered_field.compute:
                    continue
                for field in (
                    registry.field_inverses[inverse_field[0]]
                    if inverse_field
                    else [None]
                ):
                    self.env.add_to_compute(
                        triggered_field, self[field.name] if field else self
                    )
        self._inverse_name()

    # ------------------------------------------------------------
    # BUSINESS METHODS
    # ------------------------------------------------------------

    def _get_last_sequence(self, relaxed=False, with_prefix=None):
        # EXTEND 'account': in the numbering turn, this transaction's snapshot
        # may predate the last numbers another worker committed; the last
        # number is the higher of the two.
        last = super()._get_last_sequence(relaxed=relaxed, with_prefix=with_prefix)
        committed = self.env.cr.postcommit.data.get(COMMITTED_LAST)
        if committed is None:
            return last
        # What Odoo's domain of the last number depends on, read once.
        key = (
            self.journal_id.id,
            self.date,
            self.move_type,
            bool(self.origin_payment_id),
            relaxed,
            with_prefix,
        )
        if key not in committed:
            where_string, param = self._get_last_sequence_domain(relaxed)
            if with_prefix is not None:
                where_string += " AND sequence_prefix = %(with_prefix)s "
                param["with_prefix"] = with_prefix
            found = self._read_committed_last_sequence(where_string, param)
            if not found and not last and not relaxed and with_prefix is None:
                # Odoo tells the period's numbers by the format of a number it
                # sees: with none in this transaction's snapshot, the last
                # number committed in the journal, if it is of this period.
                found = self._read_committed_last_sequence(
                    *self._get_last_sequence_domain(relaxed=True)
                )
                if found and not self._recurring_sequence_matches_date(found):
                    found = None
            committed[key] = found
        return self._recurring_later_sequence(last, committed[key])

    def _recurring_sequence_matches_date(self, sequence):
        """Odoo's ``_sequence_matches_date``, for ``sequence`` instead of this
        invoice's own number."""
        format_values = self._get_sequence_format_param(sequence)[1]
        reset = self._deduce_sequence_number_reset(sequence)
        date_start, date_end, year_start, year_end = self._get_sequence_date_range(
            reset
        )
        return (
            (
                not format_values["year"]
                or self._year_match(
                    format_values["year"], year_start or date_start.year
                )
            )
            and (
                not format_values["year_end"]
                or self._year_match(
                    format_values["year_end"], year_end or date_end.year
                )
            )
            and (
                not format_values["month"] or format_values["month"] == self.date.month
            )
        )

    def _set_next_made_sequence_gap(self, made_gap):
        # EXTEND 'account': Odoo clears the gap flag of the number after each
        # one it gives, a whole write of the invoices; in a batch numbered at
        # once, the number after each but the last is the batch's own, whose
        # flag is computed with it.
        numbering = self.env.cr.postcommit.data.get(NUMBERING)
        if numbering and not made_gap:
            given = {
                (move.journal_id.id, move.sequence_prefix, move.sequence_number)
                for move in self
                if move.id in numbering
            }
            self = self.filtered(  # noqa: PLW0642
                lambda move: (
                    move.journal_id.id,
                    move.sequence_prefix,
                    move.sequence_number + 1,
                )
                not in given
            )
        return super()._set_next_made_sequence_gap(made_gap)

    def _read_committed_last_sequence(self, where_string, param):
        """The last number of ``where_string`` (Odoo's
        ``_get_last_sequence_domain``) among what other transactions
        committed, read on a cursor of its own."""
        table = self._table
        query = f"""
            SELECT name FROM {table}
            {where_string}
            AND sequence_prefix = (
                SELECT sequence_prefix FROM {table} {where_string}
                ORDER BY id DESC LIMIT 1
            )
            ORDER BY sequence_number DESC
            LIMIT 1
        """  # noqa: S608 - Odoo's own query (sequence.mixin)
        with self.env.registry.cursor() as cr:
            cr.execute(query, param)
            return (cr.fetchone() or [None])[0]

    def _recurring_later_sequence(self, own, committed):
        """Of two last numbers of the same sequence, the later; this
        transaction's own when their prefixes differ."""
        if not committed or not own:
            return own or committed
        own_format, own_values = self._get_sequence_format_param(own)
        format_, values = self._get_sequence_format_param(committed)
        same_prefix = own_format.format(**dict(own_values, seq=0)) == format_.format(
            **dict(values, seq=0)
        )
        if same_prefix and values["seq"] > own_values["seq"]:
            return committed
        return own

    @contextmanager
    def _recurring_numbering_deferred(self):
        """Post these invoices within: Odoo's posting leaves their numbers,
        given when leaving without an error (:meth:`_recurring_number_deferred`,
        the caller having taken the numbering turn of their journals within).
        Not for an invoice numbered before (its number stays) nor in a journal
        secured by a hash (its hash chains the numbers in order, and Odoo
        posts it whole). Yields the invoices whose number is left."""
        moves = self.filtered(
            lambda move: not move.posted_before
            and not move.journal_id.restrict_mode_hash_table
        )
        deferred = self.env.cr.postcommit.data.setdefault(DEFERRED, set())
        deferred.update(moves.ids)
        try:
            # Odoo names the first draft of a period when it is created.
            moves.filtered(lambda move: move.name and move.name != "/").name = "/"
            yield moves
            moves._recurring_number_deferred()
        finally:
            deferred.difference_update(moves.ids)

    def _recurring_number_deferred(self):
        """Number these posted invoices, left to number by
        :meth:`_recurring_numbering_deferred`, with Odoo's own numbering (in
        date order, gapless, checked by the unique index of numbers), the last
        numbers being read from what is committed as well as from this
        transaction. The caller holds the numbering turn of their journals."""
        data = self.env.cr.postcommit.data
        data.get(DEFERRED, set()).difference_update(self.ids)
        moves = self.filtered(
            lambda move: move.state == "posted" and move.name in (False, "/")
        )
        if not moves:
            return moves
        data[COMMITTED_LAST] = {}
        data[NUMBERING] = set(moves.ids)
        try:
            self.env.add_to_compute(self._fields["name"], moves)
            moves._recompute_recordset(["name"])
            moves.flush_recordset()
        finally:
            data.pop(COMMITTED_LAST, None)
            data.pop(NUMBERING, None)
        moves._recurring_clear_false_gaps()
        return moves

    def _recurring_clear_false_gaps(self):
        """Odoo flags a number whose previous one it does not see as a gap;
        this transaction does not see the numbers another worker committed
        since it began. Clear the flag where that number is committed."""
        flagged = self.filtered("made_sequence_gap")
        for (journal, prefix), moves in flagged.grouped(
            lambda move: (move.journal_id, move.sequence_prefix)
        ).items():
            with self.env.registry.cursor() as cr:
                cr.execute(
                    SQL(
                        "SELECT sequence_number FROM account_move "
                        "WHERE journal_id = %s AND sequence_prefix = %s "
                        "AND sequence_number = ANY(%s)",
                        journal.id,
                        prefix,
                        [move.sequence_number - 1 for move in moves],
                    )
                )
                found = {row[0] for row in cr.fetchall()}
            moves.filtered(
                lambda move, found=found: move.sequence_number - 1 in found
            ).made_sequence_gap = False
