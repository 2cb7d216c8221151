# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from markupsafe import Markup

from odoo import Command, models

# The body of the creation entry of a chatter, as mail.thread writes it.
CREATION_BODY = Markup('<div summary="o_mail_notification"><p>%s</p></div>')


class RecurringInvoiceBatchPost(models.AbstractModel):
    """What Odoo's creation and posting of invoices do one invoice at a time,
    done once for a batch of the recurring-invoicing job (mixed into
    ``account.move``)."""

    _name = "recurring.invoice.batch.post"
    _description = "Batch Creation and Posting of Subscription Invoices"

    # ------------------------------------------------------------
    # CRUD METHODS
    # ------------------------------------------------------------

    def write(self, vals):
        # Odoo's posting sets the "checked" box one invoice at a time, a whole
        # write each; the job sets it for its batch first (see
        # _prepare_batch_post), which leaves those writes nothing to change.
        if (
            self.env.context.get("recurring_batch_post")
            and vals.keys() == {"checked"}
            and all(move.checked == bool(vals["checked"]) for move in self)
        ):
            return True
        return super().write(vals)

    # ------------------------------------------------------------
    # BUSINESS METHODS
    # ------------------------------------------------------------

    def _prepare_batch_post(self, to_send=None, sending_data=None):
        """Do for all these invoices at once what Odoo's posting does one
        invoice at a time, each time with a whole write: subscribe the
        customers, tick "checked" as their journal says, and, on a French
        invoice, set the delivery date to the invoice date. The posting then
        finds it done. Call it right before posting all of them (soft=False):
        same values, same tracking, same followers.

        ``to_send``: those of them to queue for Odoo's sending job with
        ``sending_data``, in the same write; they must be posted in the same
        transaction, as the sending job takes whatever it finds queued."""
        self._subscribe_partners_before_post()
        to_send = to_send or self.browse()

        def values(move):
            vals = {}
            if move.checked != move.journal_id.autocheck_on_post:
                vals["checked"] = move.journal_id.autocheck_on_post
            # l10n_fr_account: the delivery date of a French invoice is,
            # unless set, its invoice date.
            if move.show_delivery_date and not move.delivery_date and move.invoice_date:
                vals["delivery_date"] = move.invoice_date
            if move in to_send:
                vals["sending_data"] = True  # stands for sending_data
            return tuple(sorted(vals.items()))

        # One write per set of values: one for the whole batch, usually.
        for vals, moves in self.grouped(values).items():
            vals = dict(vals)
            if vals.get("sending_data"):
                vals["sending_data"] = sending_data
            if vals:
                moves.write(vals)

    def _log_creation_messages(self):
        """The creation entry of each invoice's chatter ("Invoice Created"),
        as the chatter's ``create`` writes it, for all the invoices at once:
        for a customer invoice Odoo posts it one invoice at a time, with the
        whole notification machinery, though its subtype is hidden and off by
        default, so that it notifies nobody. Same body, author, subtype and
        date. An invoice with a follower of that subtype (set by a
        customisation) gets Odoo's own posting, which notifies them.

        For invoices created with ``mail_create_nolog``."""
        author = self.env.user.partner_id
        # Odoo's subtype of a creation depends on the type of move only.
        for moves in self.grouped("move_type").values():
            subtype = moves[0]._creation_subtype()
            if subtype:
                notified = (
                    self.env["mail.followers"]
                    .sudo()
                    .search(
                        [
                            ("res_model", "=", self._name),
                            ("res_id", "in", moves.ids),
                            ("subtype_ids", "in", subtype.ids),
                        ]
                    )
                )
                to_post = moves.browse(notified.mapped("res_id"))
                for move in to_post:
                    move.sudo().message_post(
                        subtype_id=subtype.id,
                        author_id=author.id,
                        body=CREATION_BODY % move._creation_message(),
                    )
                moves -= to_post
                bodies = {
                    move.id: CREATION_BODY % move._creation_message() for move in moves
                }
            else:
                bodies = {move.id: move._creation_message() for move in moves}
            if not moves:
                continue
            messages = moves._message_log_batch(bodies=bodies, author_id=author.id)
            if subtype:
                # What message_post stores for a subtype that is not internal.
                messages.write({"subtype_id": subtype.id, "is_internal": False})

    def _subscribe_partners_before_post(self):
        """Make each invoice's customer a follower of it, as Odoo's posting
        does, for all of them at once: Odoo subscribes them one invoice at a
        time (access check, partner search, follower search and insert for
        each). Same followers, same subtypes (the defaults of invoices, less
        the internal ones for a customer); the posting then finds them
        subscribed."""
        moves = self.filtered("partner_id")
        if not moves:
            return
        moves.check_access("write")
        sudo_moves = moves.sudo()
        active = (
            self.env["res.partner"]
            .sudo()
            .search([("id", "in", moves.partner_id.ids), ("active", "=", True)])
        )
        customers = active.filtered("partner_share")
        Subtype = self.env["mail.message.subtype"]
        default, _internal, external = Subtype.default_subtypes(self._name)
        vals_list = [
            {
                "res_model": self._name,
                "res_id": move.id,
                "partner_id": move.partner_id.id,
                "subtype_ids": [
                    Command.set(
                        (external if move.partner_id in customers else default).ids
                    )
                ],
            }
            for move, sudo_move in zip(moves, sudo_moves, strict=True)
            if move.partner_id in active
            and move.partner_id not in sudo_move.message_partner_ids
        ]
        if vals_list:
            self.env["mail.followers"].sudo().with_context(
                default_partner_id=False
            ).create(vals_list)
            sudo_moves.invalidate_recordset(
                ["message_follower_ids", "message_partner_ids"]
            )
