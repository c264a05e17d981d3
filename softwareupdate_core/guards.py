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
import sysconfig
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path
from types import TracebackType
from typing import Callable, Optional, Union

from packaging.version import InvalidVersion, Version

from ._filelock import try_lock, unlock
from .exceptions import UpdateAlreadyInProgress
from .protocols import host_answer
from .settings import Settings

#: Name of the lock file in the data folder.
LOCK_FILE_NAME = "update.lock"
_MB = 1024 * 1024


def storage_folders(settings: Settings) -> list[tuple[str, Path]]:
    """The folders an update writes to, labelled: Python library, plugin folder, temp folder."""
    folders = [("Python library folder", Path(sysconfig.get_paths()["purelib"]))]
    if settings.plugin_folder:
        folders.append(("plugin folder", Path(settings.plugin_folder)))
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


def throttled_reason(host: object, ignore_throttled: bool) -> Optional[str]:
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


def environment_pip_version() -> Optional[str]:
    """The version of pip installed alongside this interpreter, or None without pip."""
    from importlib import metadata

    try:
        return metadata.version("pip")
    except metadata.PackageNotFoundError:
        return None


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


def pip_reason(minimum_pip: str, pip_version: Optional[str]) -> Optional[str]:
    """Why the environment's pip cannot install updates (absent or too old), or None."""
    if pip_version is None:
        return "pip is not installed in this environment, but a target updates with pip"
    if _below(pip_version, minimum_pip):
        return f"pip {pip_version} is older than the required minimum {minimum_pip}"
    return None


class UpdateLock:
    """An exclusive lock on ``path`` held for one update run, across threads and processes.

    ``acquire`` retries for up to ``wait`` seconds (a concurrent probe holds the lock only for a
    moment), then raises :class:`UpdateAlreadyInProgress` naming the holder's pid. The holder's
    pid is written into the file; the file itself stays, only the OS lock matters, so a holder
    that crashed leaves no stale lock behind.
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

    def acquire(self) -> None:
        if self._fd is not None:
            raise UpdateAlreadyInProgress("this update run already holds the lock")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        deadline = time.monotonic() + self.wait
        while True:
            if try_lock(fd):
                break
            if time.monotonic() >= deadline:
                holder = _read_pid(fd)
                os.close(fd)
                who = f" (process {holder})" if holder else ""
                raise UpdateAlreadyInProgress(f"another update run is in progress{who}")
            self._sleep(0.05)
        os.ftruncate(fd, 0)
        os.lseek(fd, 0, os.SEEK_SET)
        os.write(fd, str(os.getpid()).encode("ascii"))
        self._fd = fd

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is None:
            return
        with contextlib.suppress(OSError):
            os.ftruncate(fd, 0)
        unlock(fd)
        os.close(fd)

    def probe(self) -> Optional[str]:
        """Why the lock is taken right now (who holds it), or None when it is free."""
        if self._fd is not None:
            return "an update run is in progress"
        try:
            with self:
                pass
        except UpdateAlreadyInProgress as exc:
            return str(exc)
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


def _read_pid(fd: int) -> Optional[int]:
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        text = os.read(fd, 32).decode("ascii", "replace").strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None
