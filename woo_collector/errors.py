"""The few named exceptions of woo-collector.

A ``ConnectorError`` means: this input is bad; say why, keep the original, go on.
Any other exception escaping a connector is a bug in woo-collector and should be loud.
"""


class WooError(Exception):
    """Base class of every error woo-collector reports to a user."""


class ConfigError(WooError):
    """Settings, workspace or command-line values are wrong; the message says how to fix them."""


class ConnectorError(WooError):
    """An input (a file, a message, a server answer) cannot be read.

    ``path`` names the file or source, ``locator`` the place inside it (a line, a message number).
    """

    def __init__(self, reason: str, path: str = "", locator: str = ""):
        super().__init__(reason)
        self.reason = reason
        self.path = str(path)
        self.locator = locator

    def __str__(self) -> str:
        where = self.path + (f" ({self.locator})" if self.locator else "")
        return f"{where}: {self.reason}" if where else self.reason


class SourceUnavailable(WooError):
    """A whole source cannot be reached (server down, bad credentials): nothing could run."""


class LockHeld(WooError):
    """Another woo process holds the workspace lock."""


class ExportError(WooError):
    """A disclosure package cannot be written."""


class LeakError(ExportError):
    """A written package still holds redacted text; it has been removed."""
