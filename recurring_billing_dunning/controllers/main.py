# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import http
from odoo.http import request


class DunningController(http.Controller):
    def _get_history(self, history_id, token):
        history = request.env["recurring.dunning.history"].sudo().browse(history_id)
        if (
            not history.exists()
            or history.action != "pause"
            or not history._check_pause_token(token)
        ):
            return None
        return history

    @http.route(
        "/recurring/dunning/pause/<int:history_id>/<string:token>",
        type="http",
        auth="public",
        methods=["GET", "POST"],
        website=False,
        csrf=False,
    )
    def dunning_pause(self, history_id, token, **post):
        """The pause offered by a dunning email: the page shows the offer
        (GET, harmless for a mail scanner following links), its button pauses
        the subscription (POST), signed by the link's token."""
        history = self._get_history(history_id, token)
        if not history:
            raise request.not_found()
        subscription = history.subscription_id
        values = {
            "history": history,
            "subscription": subscription,
            "token": token,
            "done": False,
            "error": False,
        }
        if (
            subscription.subscription_state == "paused"
            and history.move_id.dunning_state == "paused"
        ):
            values["done"] = True
        elif not history._is_pause_offer_open():
            values["error"] = True
        elif request.httprequest.method == "POST":
            # The customer's choice, signed by the link: run as the back
            # office would (a postpaid period's served part is invoiced and
            # posted).
            subscription._portal_as_company()._dunning_accept_pause()
            history.note = request.env._("Pause accepted by the customer.")
            values["done"] = True
        return request.render("recurring_billing_dunning.dunning_pause_page", values)
