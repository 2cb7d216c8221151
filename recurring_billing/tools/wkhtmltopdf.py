# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""What the wkhtmltopdf binary Odoo renders PDFs with can do.

Only the builds "with patched qt" (those of wkhtmltopdf.org) print page
headers and footers and render several documents in one call; the builds of
Linux distributions (Debian's 0.12.6, for one) drop the headers and footers
and fail when given several documents at once."""

import functools
import logging
import subprocess
import threading

from odoo.addons.base.models import ir_actions_report

_logger = logging.getLogger(__name__)

PATCHED_QT_MARK = "with patched qt"
_detection_lock = threading.Lock()


def is_patched_qt_build(version_output):
    """Whether ``wkhtmltopdf --version`` printed ``version_output`` for a
    build with patched Qt."""
    return PATCHED_QT_MARK in (version_output or "").lower()


def wkhtmltopdf_lacks_patched_qt():
    """Whether the wkhtmltopdf Odoo found is built without patched Qt.

    Asked once per process: Odoo checks the binary when it starts
    (``wkhtmltopdf_state``) but keeps only its version number, not the build.
    False when Odoo found no working binary: nothing is rendered then."""
    with _detection_lock:
        return _detect_lack_of_patched_qt()


@functools.cache
def _detect_lack_of_patched_qt():
    if ir_actions_report.wkhtmltopdf_state not in ("ok", "upgrade", "workers"):
        return False
    try:
        binary = ir_actions_report._get_wkhtmltopdf_bin()
        output = subprocess.run(
            [binary, "--version"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        ).stdout
    except (OSError, subprocess.SubprocessError) as error:
        _logger.info("Could not ask wkhtmltopdf for its build: %s", error)
        return False
    if is_patched_qt_build(output):
        return False
    _logger.warning(
        "%s is built without patched Qt: invoice PDFs are rendered one at a time "
        "and print no page header or footer (the seller's address is printed "
        "with the French legal mentions). Install a build with patched Qt from "
        "wkhtmltopdf.org to get them back.",
        output.strip() or binary,
    )
    return True
