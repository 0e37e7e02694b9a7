"""Faults of the service itself (config, store, disk), never of a workbook's data.

Raised deep, turned into one message with an exit code at the CLI edge (as click does).
Bad data in a workbook is a Finding, not an exception.
"""


class ServiceError(Exception):
    exit_code = 3


class ConfigError(ServiceError):
    exit_code = 2


class StoreError(ServiceError):
    exit_code = 8  # 4 is `ingest`'s "files left to retry" (WORKBOOKS.md §1)


class DiskError(ServiceError):
    """The archive, staging area or an output could not be written; retried on the next pass."""

    exit_code = 5


class AlreadyRunning(ServiceError):
    exit_code = 6


class StoreDamaged(StoreError):
    """The store fails SQLite's quick_check (or is no database at all): it is never written to;
    `syncservice rebuild` makes a new one from the archive."""

    exit_code = 7
