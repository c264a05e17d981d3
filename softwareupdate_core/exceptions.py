"""The exception hierarchy; every error the library raises derives from SoftwareUpdateError.

Each class carries the error code a check report shows for it (``code``, an
:class:`ErrorCode` that equals its string), so one handler maps exceptions to statuses
instead of a ladder of ``except`` clauses. Errors of the network (:class:`TransportError`:
``NetworkError``, ``ApiCheckError``, ``RateLimitCheckError``) do not depend on the phase
that meets them: a check and an updater raise the same classes, unwrapped.
"""

from __future__ import annotations

import enum
from typing import Optional

from .redact import redact_text


class ErrorCode(str, enum.Enum):
    """The ``error`` of a target in a check report; equal to its string (``"network"``...)."""

    NETWORK = "network"
    API = "api"
    RATELIMIT = "ratelimit"
    CHECK = "check"
    CONFIG = "config"
    UNKNOWN_CHECK = "unknown_check"
    UPDATE = "update"
    UNKNOWN = "unknown"

    def __str__(self) -> str:  # the plain value, as enum.StrEnum (3.11+) does
        return str(self.value)


class SoftwareUpdateError(Exception):
    """Base of every error of this library.

    Its message passes the one secret policy (:func:`~.redact.redact_text`) when the error is
    made, so ``str``, ``repr``, ``args`` and tracebacks never carry a URL token, whichever
    code raised it.
    """

    code: ErrorCode = ErrorCode.UNKNOWN

    def __init__(self, *args: object) -> None:
        super().__init__(*(redact_text(a) if isinstance(a, str) else a for a in args))


class ConfigurationInvalid(SoftwareUpdateError):
    """A configuration value or file is wrong; the message names the file and key path."""

    code = ErrorCode.CONFIG

    def __init__(self, message: str, *, source: Optional[str] = None, key: Optional[str] = None):
        self.source = source
        self.key = key
        prefix = ""
        if source:
            prefix += f"{source}: "
        if key:
            prefix += f"{key}: "
        super().__init__(prefix + message)


class UnknownCheckType(SoftwareUpdateError):
    """The check config names a ``type`` no registered version check provides."""

    code = ErrorCode.UNKNOWN_CHECK


class UnknownUpdateType(SoftwareUpdateError):
    """The check config names (or implies) an update method nobody provides."""

    code = ErrorCode.UPDATE


class UnknownTarget(SoftwareUpdateError, KeyError):
    """A target name that no configured check has (also a ``KeyError``, as for a mapping)."""

    code = ErrorCode.UNKNOWN_CHECK

    def __str__(self) -> str:  # the message, not KeyError's quoted repr of it
        return Exception.__str__(self)


class CheckError(SoftwareUpdateError):
    """A version check could not produce an answer (bad data, bad config, failed command)."""

    code = ErrorCode.CHECK


class TransportError(SoftwareUpdateError):
    """The network failed a request, whatever phase sent it (check, download, update)."""

    code = ErrorCode.NETWORK


class NetworkError(TransportError):
    """A connection problem or timeout; ``cause`` is the underlying exception if any."""

    code = ErrorCode.NETWORK

    def __init__(self, message: str, *, cause: Optional[BaseException] = None):
        self.cause = cause
        super().__init__(message)


class CannotCheckOffline(CheckError):
    """The check needs the network, and the host is offline."""

    code = ErrorCode.NETWORK


class ApiCheckError(TransportError):
    """An API answered with a non-success status; ``status`` and the API's ``message``."""

    code = ErrorCode.API

    def __init__(self, message: str, *, status: Optional[int] = None, api_message: str = ""):
        self.status = status
        self.api_message = api_message
        super().__init__(message)


class RateLimitCheckError(ApiCheckError):
    """An API's rate limit is exhausted; ``reset`` (epoch seconds) says when it refills."""

    code = ErrorCode.RATELIMIT

    def __init__(
        self,
        message: str,
        *,
        status: Optional[int] = None,
        api_message: str = "",
        remaining: Optional[int] = None,
        limit: Optional[int] = None,
        reset: Optional[float] = None,
    ):
        self.remaining = remaining
        self.limit = limit
        self.reset = reset
        super().__init__(message, status=status, api_message=api_message)


class NoUpdateAvailable(SoftwareUpdateError):
    """There is nothing to update for the target (and the update was not forced)."""

    code = ErrorCode.UPDATE


class UpdateAlreadyInProgress(SoftwareUpdateError):
    """Another update run holds the lock (in this or another process)."""

    code = ErrorCode.UPDATE


class UpdateError(SoftwareUpdateError):
    """Applying an update failed; ``data`` carries details such as command output."""

    code = ErrorCode.UPDATE

    def __init__(self, message: str, data: object = None):
        self.data = data
        super().__init__(message)


class ScriptError(UpdateError):
    """A command run during an update failed; its return code and output are kept."""

    def __init__(self, returncode: int, stdout: str = "", stderr: str = "", *, command: str = ""):
        self.returncode = returncode
        self.stdout = stdout
        self.stderr = stderr
        self.command = command
        what = f"{command!r} " if command else ""
        super().__init__(
            f"command {what}failed with exit status {returncode}",
            data={"stdout": stdout, "stderr": stderr},
        )


class CannotUpdateOffline(UpdateError):
    """The update method needs the network, and the host is offline."""


class FileWriteError(SoftwareUpdateError, OSError):
    """A file could not be written (disk full, no free inodes, read-only file system...).

    The message names the file and the cause; the file's earlier content is kept. It is an
    :class:`OSError` too (``errno``, ``filename``), for callers that catch those.
    """

    code = ErrorCode.UPDATE

    def __str__(self) -> str:
        return redact_text(str(self.strerror))


class RestartFailed(SoftwareUpdateError):
    """A restart command failed after an update."""

    code = ErrorCode.UPDATE


def error_code(exc: BaseException) -> ErrorCode:
    """Return the report error code for an exception (``unknown`` for foreign ones)."""
    if isinstance(exc, SoftwareUpdateError):
        return exc.code
    return ErrorCode.UNKNOWN
