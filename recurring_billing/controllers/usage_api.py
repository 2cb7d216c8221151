# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import json
import logging
import re

from odoo import http
from odoo.http import request

from ..models.recurring_usage_ingest import MAX_RECORDS

_logger = logging.getLogger(__name__)

API_KEY_SCOPE = "recurring_usage"


class UsageApi(http.Controller):
    """Usage of metered products sent by another application.

    Reference: ``static/api/usage_v1.yaml``. The answer is sent once Odoo
    has committed the transaction (``service.model.retrying`` commits after
    the handler returns), so a record reported created is stored."""

    @http.route(
        "/recurring/usage/v1/records",
        type="http",
        auth="none",
        methods=["POST"],
        csrf=False,
        save_session=False,
        # auth="none" routes start on a read-only cursor and run again on a
        # read/write one at their first write: this one always writes.
        readonly=False,
    )
    def usage_records(self, **_kwargs):
        user = self._authenticate()
        if user is None:
            return self._json(
                401,
                {
                    "error": "unauthorized",
                    "message": request.env._(
                        "Send the API key of a user allowed to send usage in the "
                        "Authorization header, as Bearer <key>."
                    ),
                },
                headers=[("WWW-Authenticate", 'Bearer realm="recurring_usage"')],
            )
        request.update_env(user=user.id, context=dict(lang=user.lang))
        _ = request.env._
        try:
            body = json.loads(request.httprequest.get_data())
        except ValueError:
            body = None
        records = body.get("records") if isinstance(body, dict) else None
        if not isinstance(records, list):
            return self._json(
                400,
                {
                    "error": "bad_request",
                    "message": _(
                        'The body must be a JSON object with a list "records".'
                    ),
                },
            )
        if len(records) > MAX_RECORDS:
            return self._json(
                400,
                {
                    "error": "too_many_records",
                    "message": _(
                        "A call carries at most %(max)s records; this one has "
                        "%(count)s.",
                        max=MAX_RECORDS,
                        count=len(records),
                    ),
                },
            )
        answer = request.env["recurring.usage.ingest"]._ingest(records)
        _logger.debug(
            "Usage API: %s created, %s known, %s refused for user #%s",
            len(answer["created"]),
            len(answer["known"]),
            len(answer["errors"]),
            user.id,
        )
        return self._json(200, answer)

    def _authenticate(self):
        """The user of the Bearer API key, if the key is valid (global or of
        scope ``recurring_usage``) and the user is allowed; else None."""
        header = request.httprequest.headers.get("Authorization") or ""
        match = re.match(r"^bearer\s+(\S+)$", header, re.IGNORECASE)
        if not match:
            return None
        uid = request.env["res.users.apikeys"]._check_credentials(
            scope=API_KEY_SCOPE, key=match.group(1)
        )
        if not uid:
            return None
        user = request.env["res.users"].sudo().browse(uid)
        if not user._is_internal() or not user.has_group(
            "recurring_billing.group_recurring_usage_api"
        ):
            return None
        return user

    def _json(self, status, payload, headers=None):
        return request.make_response(
            json.dumps(payload, ensure_ascii=False),
            headers=[("Content-Type", "application/json; charset=utf-8")]
            + (headers or []),
            status=status,
        )
