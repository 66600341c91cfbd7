"""The few named exceptions of woo-collector, and what each one means.

What a connector raises, and what happens then:

- ``ConfigError``: the settings are wrong (an unknown or missing key, a value of the wrong type,
  a secret's environment variable not set). The source cannot run until someone fixes them. Raised
  by ``woo_collector.connector_settings.parse_settings`` from the connector's declaration, which
  ``woo source add`` calls (it refuses the source and writes nothing) and ``run_source`` calls
  before a run, and by a connector for what only shows at run time (an empty password variable, a
  folder the server does not have).
- ``SourceUnavailable``: the server cannot be reached or refuses the credentials; nothing of the
  source could be read. Raised by network connectors (exchange, graph, imap).
- ``ConnectorError``: an input is bad (a damaged file, a message the server cannot give); say why,
  keep the original, go on. Raised by connectors and format readers. Inside a run a connector
  turns the error of one file or message into a ``Failure`` and goes on with the next.

``run_source`` (``woo_collector.ingest``) catches these three from a connector and records them
against that source: the run's status is ``error`` (ConfigError, SourceUnavailable: with the
message) or ``partial`` (ConnectorError: the failure is listed), and ``woo ingest`` goes on with
the next source; its exit code is 3 when some source failed and 1 when none could run. The CLI
turns every other ``WooError`` into a message and exit 1 (``cli.common.handle_errors``). Any other
exception escaping a connector is a bug in woo-collector and stays loud: it propagates.
"""

import errno
import sqlite3
from pathlib import Path


class WooError(Exception):
    """Base class of every error woo-collector reports to a user."""


class ConfigError(WooError):
    """Settings, workspace or command-line values are wrong; the message says how to fix them."""


class ConnectorError(WooError):
    """An input (a file, a message, a server answer) cannot be read.

    ``path`` names the file or source, ``locator`` the place inside it (a line, a message number),
    ``sha256`` the original already kept, when there is one.
    """

    def __init__(self, reason: str, path: str = "", locator: str = "", sha256: str = ""):
        super().__init__(reason)
        self.reason = reason
        self.path = str(path)
        self.locator = locator
        self.sha256 = sha256

    def __str__(self) -> str:
        where = self.path + (f" ({self.locator})" if self.locator else "")
        return f"{where}: {self.reason}" if where else self.reason


class SourceUnavailable(WooError):
    """A whole source cannot be reached (server down, bad credentials): nothing could run."""


class StorageError(WooError):
    """The workspace cannot be written: a full or read-only disk. Nothing was lost; run again."""


class AuditError(WooError):
    """The audit log cannot be written; the change it would record was not made."""


class LockHeld(WooError):
    """Another woo process holds the workspace lock."""


class ExportError(WooError):
    """A disclosure package cannot be written."""


class LeakError(ExportError):
    """A written package still holds redacted text; it has been removed."""


_STORAGE_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM, errno.EIO}


def _storage_problem(e: BaseException) -> bool:
    """A full, read-only or failing disk (not a bug): say so and what to do."""
    if isinstance(e, OSError) and e.errno in _STORAGE_ERRNOS:
        return True
    return isinstance(e, sqlite3.OperationalError) and any(
        s in str(e) for s in ("disk is full", "readonly database", "disk I/O error", "unable to open database"))


def _storage_message(e: BaseException, root: Path) -> str:
    text = str(e)
    if (isinstance(e, OSError) and e.errno in (errno.ENOSPC, errno.EDQUOT)) or "disk is full" in text:
        what = "the disk of the workspace is full"
        todo = "free space (or move the workspace to a larger disk) and run the same command again"
    elif (isinstance(e, OSError) and e.errno == errno.EROFS) or "readonly" in text:
        what = "the workspace is read-only"
        todo = "mount it read-write (or check its permissions) and run the same command again"
    else:
        what = f"the workspace cannot be written ({e.__class__.__name__}: {e})"
        todo = "check the disk and the permissions, then run the same command again"
    return f"{what}: {root}. Nothing already collected was lost; {todo}: the next run completes the job. ({text})"


def storage_error(e: BaseException, root: Path) -> StorageError | None:
    """A StorageError saying what to do when ``e`` is a full, read-only or failing disk, else None."""
    return StorageError(_storage_message(e, root)) if _storage_problem(e) else None
