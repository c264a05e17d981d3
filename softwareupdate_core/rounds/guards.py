"""Preconditions of an update round: free space, throttling, environment versions, the run lock.

Each guard returns a sentence saying why updates cannot run now, or None when it holds. The
lock is an exclusive OS-level lock on a file in the data folder, so it excludes update runs of
every process sharing that folder and is released by the OS when its holder dies.
"""

from __future__ import annotations

import contextlib
import os
import platform
import shutil
import sys
import sysconfig
import tempfile
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from types import TracebackType
from typing import Any, Callable, Optional, Union

from packaging.version import InvalidVersion, Version

from ..config.settings import Settings
from ..exceptions import SoftwareUpdateError, UpdateAlreadyInProgress
from ..protocols import Host, host_answer
from ..store.documents import file_error_cause, open_lock_file, try_lock, unlock

#: Name of the lock file in the data folder.
LOCK_FILE_NAME = "update.lock"
_MB = 1024 * 1024


def storage_folders(
    settings: Settings, checks: Iterable[Mapping[str, Any]] = ()
) -> list[tuple[str, Path]]:
    """The folders an update writes to, labelled: Python library, plugin folders, temp folder.

    The plugin folders are the setting's and every one of ``checks`` that names its own.
    """
    folders = [("Python library folder", Path(sysconfig.get_paths()["purelib"]))]
    plugin_folders = [settings.plugin_folder] + [c.get("plugin_folder") for c in checks]
    for folder in dict.fromkeys(f for f in plugin_folders if isinstance(f, (str, os.PathLike))):
        if os.fspath(folder):
            folders.append(("plugin folder", Path(folder)))
    folders.append(("temp folder", Path(tempfile.gettempdir())))
    return folders


def _existing(path: Path) -> Path:
    """``path`` or its nearest existing parent (a folder still to be created counts there)."""
    current = path.absolute()
    while not current.exists() and current.parent != current:
        current = current.parent
    return current


def free_space_reason(folders: Iterable[tuple[str, Path]], minimum_mb: int) -> Optional[str]:
    """Why one of ``folders`` has less than ``minimum_mb`` MB free, or None if all have enough."""
    if minimum_mb <= 0:
        return None
    for label, folder in folders:
        try:
            free = shutil.disk_usage(_existing(folder)).free
        except OSError as exc:
            return f"cannot determine the free space of the {label} {folder}: {exc.strerror or exc}"
        if free < minimum_mb * _MB:
            return (
                f"not enough free space in the {label} {folder}: "
                f"{free // _MB} MB free, {minimum_mb} MB needed"
            )
    return None


def throttled_reason(host: Host, ignore_throttled: bool) -> Optional[str]:
    """Why a throttled host refuses updates, or None (also when throttling is ignored)."""
    if ignore_throttled:
        return None
    failures: list[Exception] = []
    # a host that cannot answer is treated as throttled: refusing is the safe side
    if not host_answer(host, "is_throttled", True, on_error=failures.append):
        return None
    if failures:
        return f"the host could not tell whether it is throttled: {failures[0]}"
    return "the system is throttled (under-voltage or overheating); updates are unsafe"


def _below(actual: str, minimum: str) -> bool:
    try:
        return Version(actual) < Version(minimum)
    except InvalidVersion:
        return True


def python_reason(minimum_python: str, python_version: Optional[str] = None) -> Optional[str]:
    """Why this Python is too old for updates, or None."""
    actual = python_version or platform.python_version()
    if _below(actual, minimum_python):
        return f"Python {actual} is older than the required minimum {minimum_python}"
    return None


class UpdateLock:
    """An exclusive lock on ``path`` held for one update run, across threads and processes.

    ``acquire`` retries for up to ``wait`` seconds (a concurrent probe holds the lock only for a
    moment), then raises :class:`UpdateAlreadyInProgress` naming the holder's pid. The holder's
    pid is written over the start of the file (never truncating it); only the OS lock matters,
    so a holder that crashed leaves no stale lock behind. The lock file is opened without
    following links (:func:`~softwareupdate_core.store.documents.open_lock_file`); one that
    cannot be used raises :class:`SoftwareUpdateError` naming it and the cause.

    On POSIX the lock belongs to the open file, so a command of the round that inherited the
    descriptor (:meth:`fileno`) keeps the lock held after this process dies, until it ends.
    """

    def __init__(
        self,
        path: Union[str, os.PathLike[str]],
        *,
        wait: float = 2.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.path = Path(path)
        self.wait = wait
        self._sleep = sleep
        self._fd: Optional[int] = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def fileno(self) -> int:
        """The descriptor holding the lock (to hand to the round's commands)."""
        if self._fd is None:
            raise ValueError("the update lock is not held")
        return self._fd

    def acquire(self) -> None:
        if self._fd is not None:
            raise UpdateAlreadyInProgress("this update run already holds the lock")
        fd = self._lock()
        with contextlib.suppress(OSError):
            _write_at_start(fd, _pid_field(os.getpid()))
        self._fd = fd

    def _lock(self) -> int:
        """Open the lock file and take the OS lock (waiting up to ``wait``); the descriptor."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise SoftwareUpdateError(
                f"cannot create the folder of the lock file {self.path}: {file_error_cause(exc)}"
            ) from None
        fd = open_lock_file(self.path)
        try:
            deadline = time.monotonic() + self.wait
            while not _try_lock(fd, self.path):
                if time.monotonic() >= deadline:
                    raise UpdateAlreadyInProgress(
                        f"another update run is in progress{_holder(_read_pid(fd))}"
                    )
                self._sleep(0.05)
        except BaseException:
            os.close(fd)
            raise
        return fd

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is None:
            return
        with contextlib.suppress(OSError):
            _write_at_start(fd, _pid_field(None))
        if sys.platform == "win32":
            unlock(fd)
        # On POSIX closing drops this process's hold; a command that inherited the
        # descriptor keeps the lock until it ends (an explicit unlock would free it).
        os.close(fd)

    def probe(self) -> Optional[str]:
        """Why the lock is taken right now (who holds it), or None when it is free.

        Writes nothing; a lock file that cannot be used is a reason too.
        """
        if self._fd is not None:
            return "an update run is in progress"
        try:
            fd = UpdateLock(self.path, wait=self.wait, sleep=self._sleep)._lock()
        except SoftwareUpdateError as exc:
            return str(exc)
        if sys.platform == "win32":
            unlock(fd)
        os.close(fd)
        return None

    def __enter__(self) -> UpdateLock:
        self.acquire()
        return self

    def __exit__(
        self,
        exc_type: Optional[type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        self.release()


def _try_lock(fd: int, path: Path) -> bool:
    try:
        return try_lock(fd)
    except OSError as exc:
        raise SoftwareUpdateError(
            f"cannot lock the lock file {path}: {file_error_cause(exc)}"
        ) from None


#: Width of the pid field at the start of the lock file.
_PID_WIDTH = 20


def _pid_field(pid: Optional[int]) -> bytes:
    """The pid (or blanks) padded to a fixed width, so it overwrites any earlier one."""
    return ("" if pid is None else str(pid)).ljust(_PID_WIDTH).encode("ascii") + b"\n"


def _write_at_start(fd: int, data: bytes) -> None:
    os.lseek(fd, 0, os.SEEK_SET)
    os.write(fd, data)


def _holder(pid: Optional[int]) -> str:
    """`` (process N)``, saying so when N has ended and a command it started holds the lock."""
    if pid is None:
        return ""
    if sys.platform != "win32" and pid != os.getpid():
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return (
                f" (process {pid} has ended, but a command of its update round is still "
                "running; wait until it finishes)"
            )
        except OSError:
            pass
    return f" (process {pid})"


def _read_pid(fd: int) -> Optional[int]:
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        text = os.read(fd, _PID_WIDTH + 1).decode("ascii", "replace").strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None
