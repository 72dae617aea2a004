"""Write sync-report rows fast, a page at a time, keeping "the first row for an address wins".

PostgreSQL: the page is COPYed straight into the report table. Rows whose address is already there
(a group
sharing a user's address, an alias promoted to primary) are rare but possible, and the (job, email)
unique
constraint then fails the COPY: the page is rolled back and written again, in a new transaction,
through a
session-local staging table, `INSERT ... SELECT ... ORDER BY ord ON CONFLICT (job_id, email) DO
NOTHING`, in
read order, so the first row for an address wins exactly as a row-by-row insert would have it. Other
databases (SQLite): the same INSERT ... ON CONFLICT DO NOTHING, executemany'd.

Each page is written in one transaction: one commit per page instead of one per row, and a page is
either
all in or not at all. A build killed half-way leaves whole pages, which the next run deletes first.
On
PostgreSQL a page's commit does not wait for its WAL flush (synchronous_commit off, for that
transaction
only): a server crash could lose the last pages written, never corrupt anything, and since the WAL
is flushed
in order, the step's own synchronous commit when it finishes makes every page before it durable. A
crash
before that leaves the step unfinished, and its re-run rebuilds the report.
"""

from __future__ import annotations

from django.db import IntegrityError, connection, transaction

from onboarding.models import SyncReportRow

# The columns of a row tuple, in order.
INSERT_FIELDS = (
    "job_id",
    "email",
    "display_name",
    "firstname",
    "surname",
    "entra_id",
    "section",
    "kind",
    "proofpoint_type",
    "licensed",
    "enabled",
    "guest",
    "aliases",
    "excluded",
    "import_state",
    "import_error",
)
STAGE = "report_row_stage"


class RowWriter:
    """`with RowWriter() as writer: writer.write(rows)`: rows are tuples in INSERT_FIELDS order, the
    aliases
    already JSON text."""

    def __init__(self):
        self.copying = connection.vendor == "postgresql"
        qn = connection.ops.quote_name
        self.table = qn(SyncReportRow._meta.db_table)
        self.columns = ", ".join(qn(f) for f in INSERT_FIELDS)

    def __enter__(self) -> RowWriter:
        if self.copying:
            # The staging table for pages with a repeated address: the report's column types (not
            # its
            # constraints), temporary, so only this session sees it and it goes with the session.
            # Dropped first,
            # in case an earlier build on this connection failed before dropping it.
            with connection.cursor() as cursor:
                cursor.execute(f"DROP TABLE IF EXISTS pg_temp.{STAGE}")
                # Names are constants: nothing from outside reaches the SQL text.
                cursor.execute(
                    f"CREATE TEMPORARY TABLE {STAGE} AS SELECT 0 AS ord, {self.columns} "  # noqa: S608
                    f"FROM {self.table} WITH NO DATA"
                )
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        # Only on success: after a database error the transaction may be unusable, and the next
        # build drops
        # the table anyway (and the session's end does).
        if self.copying and exc_type is None:
            with connection.cursor() as cursor:
                cursor.execute(f"DROP TABLE IF EXISTS pg_temp.{STAGE}")

    def write(self, rows: list[tuple]) -> None:
        if not rows:
            return
        if not self.copying:
            with transaction.atomic():
                self._executemany(rows)
            return
        try:
            with transaction.atomic():
                self._commit_without_waiting_for_the_flush()
                self._copy(rows)
        except IntegrityError as error:
            from psycopg.errors import UniqueViolation  # only on PostgreSQL

            if not isinstance(error.__cause__, UniqueViolation):
                raise
            # The page was rolled back whole; again, dropping the rows whose address is already
            # written.
            with transaction.atomic():
                self._commit_without_waiting_for_the_flush()
                self._copy_skipping_repeats(rows)

    @staticmethod
    def _commit_without_waiting_for_the_flush() -> None:
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit = off")

    def _copy(self, rows: list[tuple]) -> None:
        # Django's wrapper → psycopg's own cursor, which has copy(). Names are constants.
        sql = f"COPY {self.table} ({self.columns}) FROM STDIN"
        # Errors as Django's own (IntegrityError...), as from any other query.
        with (
            connection.wrap_database_errors,
            connection.cursor() as cursor,
            cursor.cursor.copy(sql) as copy,
        ):
            write_row = copy.write_row
            for row in rows:
                write_row(row)

    def _copy_skipping_repeats(self, rows: list[tuple]) -> None:
        with connection.wrap_database_errors, connection.cursor() as cursor:
            with cursor.cursor.copy(f"COPY {STAGE} (ord, {self.columns}) FROM STDIN") as copy:
                write_row = copy.write_row
                for ord_, row in enumerate(rows):
                    write_row((ord_, *row))
            # Names are constants: nothing from outside reaches the SQL text.
            cursor.execute(
                f"INSERT INTO {self.table} ({self.columns}) SELECT {self.columns} FROM {STAGE} "  # noqa: S608
                "ORDER BY ord ON CONFLICT (job_id, email) DO NOTHING"
            )
            cursor.execute(f"TRUNCATE {STAGE}")

    def _executemany(self, rows: list[tuple]) -> None:
        placeholders = ", ".join(["%s"] * len(INSERT_FIELDS))
        # Names are constants and values parameters: nothing from outside reaches the SQL text.
        sql = (
            f"INSERT INTO {self.table} ({self.columns}) VALUES ({placeholders}) "  # noqa: S608
            "ON CONFLICT (job_id, email) DO NOTHING"
        )
        with connection.cursor() as cursor:
            cursor.executemany(sql, rows)
