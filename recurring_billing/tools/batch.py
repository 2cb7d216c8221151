# Copyright 2026 Recurring Billing for Odoo contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The batch of a job that runs on several workers at once: select and lock
it in one query, and tell contention from a record's own failure. Used by
the recurring-invoicing, charge and dunning jobs."""

import logging
import threading
from contextlib import contextmanager

import psycopg2
from psycopg2 import errors as pg_errors

from odoo.tools import SQL

# Contention (serialization failure, deadlock, lock timeout) or a lost
# connection says nothing of a record: the job lets the framework roll the
# batch back and runs it again, and never records these as a record's
# failure.
CONTENTION_ERRORS = (psycopg2.OperationalError, pg_errors.TransactionRollbackError)


def lock_batch(model, domain, order, limit):
    """Select and lock, in one query, up to ``limit`` records of ``domain``
    that no other worker holds, in ``order``
    (``SELECT ... FOR NO KEY UPDATE SKIP LOCKED``): workers running at once
    take disjoint batches, none waits for another.

    :param model: the model as a recordset (its environment's user, companies
        and record rules apply)
    :return: the records locked, in ``order``
    """
    query = model._search(domain, order=order, limit=limit)
    rows = model.env.execute_query(
        SQL(
            "%s FOR NO KEY UPDATE OF %s SKIP LOCKED",
            query.select(),
            SQL.identifier(model._table),
        )
    )
    return model.browse(row[0] for row in rows)


class _QuietContention(logging.Filter):
    """Drop ``odoo.sql_db``'s "bad query" ERROR record of a serialization
    failure or a deadlock raised in one thread: the job retries those, they
    are no error. Any other failing query is still logged."""

    def __init__(self):
        super().__init__()
        self.thread = threading.get_ident()

    def filter(self, record):
        if record.thread != self.thread or not isinstance(record.args, tuple):
            return True
        return not any(
            isinstance(arg, pg_errors.TransactionRollbackError) for arg in record.args
        )


@contextmanager
def quiet_contention():
    """Within it, the serialization failures and deadlocks of this thread's
    queries are not logged as errors (the job retries them)."""
    logger = logging.getLogger("odoo.sql_db")
    quiet = _QuietContention()
    logger.addFilter(quiet)
    try:
        yield
    finally:
        logger.removeFilter(quiet)
