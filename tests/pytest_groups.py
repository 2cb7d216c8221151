# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""How ``tasks.py test`` shares the test files among its processes
(pytest-xdist's ``--dist loadgroup``): each file goes whole to one process,
so that its classes share their set-up, and the files that drive Chromium
(browser tours) all go to the same process, so that two browsers never load
their pages at once on the same cores.

Each process also gets a filestore of its own. pytest-odoo gives each
process its own copy of the database but points them all at the filestore
of the original database; Odoo's ``TransactionCase`` collects the garbage
of the filestore after each class, against its own database only, and so
deleted the files that the other process had just written (attachments,
web asset bundles): an empty PDF or signature, a page whose scripts never
loaded.

Each process also commits, in its own copy of the database, the French
company with its chart of accounts that the addons' test classes use
(``prepared_company``): loading the chart took most of each class's set-up.
"""

import os
import shutil
from pathlib import Path
from unittest import mock

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


@pytest.fixture(scope="session", autouse=True)
def worker_filestore(load_registry):
    """Point this process's copy of the database at a filestore of its own:
    hard links to the original's files, which Odoo never rewrites in place
    (a file is named after its content), so the copy costs no disk."""
    import odoo.tools

    config = odoo.tools.config
    db_name = config["db_name"]
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        yield
        return
    shared = Path(config.filestore(db_name))
    own = Path(config["data_dir"], "filestore", db_name)
    if own == shared:
        yield
        return
    shutil.rmtree(own, ignore_errors=True)
    if shared.is_dir():
        shutil.copytree(
            shared,
            own,
            copy_function=os.link,
            ignore=shutil.ignore_patterns("checklist"),
        )
    unpatched = type(config).filestore.__get__(config)

    def filestore(name):
        return str(own) if name == db_name else unpatched(name)

    try:
        with mock.patch.object(config, "filestore", filestore):
            yield
    finally:
        shutil.rmtree(own, ignore_errors=True)


@pytest.fixture(scope="session", autouse=True)
def prepared_company(worker_filestore):
    """Commit, in this process's own copy of the database, the French company
    with its chart of accounts that each class of ``RecurringBillingCommon``
    would otherwise create and load for itself (most of a class's set-up);
    the classes use it and roll back what they change in it. Only in a
    process of its own (``PYTEST_XDIST_WORKER``): the copy is dropped at the
    end, so nothing is left in the database the suite was given."""
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        yield
        return
    import odoo
    from odoo import SUPERUSER_ID, api

    from odoo.addons.base.tests.common import DISABLED_MAIL_CONTEXT
    from odoo.addons.recurring_billing.tests import common

    registry = odoo.modules.registry.Registry(odoo.tools.config["db_name"])
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, dict(DISABLED_MAIL_CONTEXT))
        company_id = common.prepare_french_company(env).id
    with mock.patch.dict(os.environ, {common.PREPARED_COMPANY_ENV: str(company_id)}):
        yield
