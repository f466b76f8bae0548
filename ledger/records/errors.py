"""Why a record write was refused. The API maps each class to an HTTP status (in brackets)."""

from ledger.errors import LedgerError


class RecordError(LedgerError):
    """A record write or lookup was refused; nothing was written."""


class RecordNotFoundError(RecordError, LookupError):
    """The record (or campaign) asked for does not exist [404]."""


class RecordConflictError(RecordError):
    """The write clashes with what is stored: a duplicate, or an edit of a version that is no longer the
    latest (reload the record and apply the edit again) [409]."""


class InvalidRecordError(RecordError, ValueError):
    """The values are well-formed but do not fit the stored records, e.g. an unknown supplier, or more
    delivered than was shipped [422]."""


class DocumentTooLargeError(RecordError, ValueError):
    """The uploaded file is larger than the configured limit [413]."""
