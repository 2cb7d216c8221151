# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""How ``tasks.py test`` shares the test files among its processes
(pytest-xdist's ``--dist loadgroup``): each file goes whole to one process,
so that its classes share their set-up, and the files that drive Chromium
(browser tours) all go to the same process, so that two browsers never load
their pages at once on the same cores."""

import pytest

BROWSER_CALLS = ("start_tour(", "browser_js(")


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    drives_browser = {}
    for item in items:
        if item.path not in drives_browser:
            text = item.path.read_text(encoding="utf-8")
            drives_browser[item.path] = any(call in text for call in BROWSER_CALLS)
        group = "browser" if drives_browser[item.path] else str(item.path)
        item.add_marker(pytest.mark.xdist_group(group))
