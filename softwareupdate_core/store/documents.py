"""The document store under every data file: tagged JSON, atomic writes, file locks.

Every persistent file in the data folder (version cache, HTTP validators, state, update log,
overlays) is a JSON document tagged with a format name and version, written atomically
(temporary file, ``fsync``, rename) and read back through :func:`read_document`, which sets
a file that is not such a document aside as ``<name>.corrupt-<timestamp>`` with a warning so
it is rebuilt, never fatal. Cross-process locks are non-blocking exclusive OS locks on an
open file (``flock`` on POSIX, ``msvcrt`` on Windows), dropped by the OS when the holder dies;
lock files are opened by :func:`open_lock_file` only: never through a symbolic link, never
truncated.

Why not ``filelock``: on Python 3.9/3.10, which this library supports, pip resolves it to 3.19.x,
whose ``UnixFileLock`` opens the lock file ``O_RDWR | O_TRUNC`` without ``O_NOFOLLOW`` (a link
planted in a shared data folder truncates its target); 4.x, which does not, needs Python 3.11.
"""

from __future__ import annotations

import contextlib
import errno
import json
import logging
import os
import stat
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable, Optional, Union

from ..exceptions import FileWriteError, SoftwareUpdateError

log = logging.getLogger(__name__)


#: Links are never followed, and opening a FIFO planted in its place must not block.
_OPEN_FLAGS = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)


def file_error_cause(exc: OSError) -> str:
    """A short, plain cause for ``exc`` (an error opening or writing a data file)."""
    if exc.errno == errno.ENOSPC:
        return "no space left on the device (or no free inodes)"
    if exc.errno == errno.EDQUOT:
        return "the disk quota is exhausted"
    if exc.errno == errno.EROFS:
        return "the file system is read-only"
    if exc.errno == errno.EISDIR:
        return "it is a folder"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "permission denied"
    return exc.strerror or str(exc)


def open_lock_file(path: Path) -> int:
    """Open (creating if needed) the lock file ``path`` and return its descriptor.

    A symbolic link, a folder, a hard link to another file or anything but a regular file
    in its place is refused with a :class:`SoftwareUpdateError` naming the file, so a link
    planted in a shared data folder can neither truncate its target nor create files
    outside the folder. The file's content is never truncated.
    """
    try:
        fd = os.open(path, _OPEN_FLAGS, 0o644)
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.EMLINK) or path.is_symlink():
            cause = "it is a symbolic link, which is never followed; remove it"
        elif exc.errno == errno.EISDIR:
            cause = "it is a folder; remove it"
        else:
            cause = file_error_cause(exc)
        raise SoftwareUpdateError(f"cannot open the lock file {path}: {cause}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise SoftwareUpdateError(
                f"cannot open the lock file {path}: it is not a regular file; remove it"
            )
        if info.st_nlink > 1:
            raise SoftwareUpdateError(
                f"cannot open the lock file {path}: it is a hard link to another file; remove it"
            )
    except BaseException:
        os.close(fd)
        raise
    return fd


if sys.platform == "win32":
    import msvcrt

    def try_lock(fd: int) -> bool:
        """Take the lock on ``fd`` if free; False when another holder has it."""
        os.lseek(fd, 0, os.SEEK_SET)
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

    def unlock(fd: int) -> None:
        """Release the lock on ``fd`` (quietly, if it was not held)."""
        os.lseek(fd, 0, os.SEEK_SET)
        with contextlib.suppress(OSError):
            msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def try_lock(fd: int) -> bool:
        """Take the lock on ``fd`` if free; False when another holder has it."""
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                return False
            raise
        return True

    def unlock(fd: int) -> None:
        """Release the lock on ``fd`` (quietly, if it was not held)."""
        with contextlib.suppress(OSError):
            fcntl.flock(fd, fcntl.LOCK_UN)


def atomic_write(
    path: Union[str, os.PathLike[str]], data: Union[str, bytes], *, mode: int = 0o644
) -> None:
    """Write ``data`` to ``path`` so readers see the old or the new file, never half of one.

    Writes a temp file in the same folder (``.<name>.<pid>.<random>.tmp``), fsyncs it, renames
    it over ``path`` and fsyncs the folder. A write that fails (disk full, no free inodes,
    read-only file system) raises :class:`~softwareupdate_core.exceptions.FileWriteError`
    naming ``path`` and the cause, and leaves the old file as it was.
    """
    target = Path(path)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    tmp: Optional[str] = None
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(
            prefix=f".{target.name}.{os.getpid()}.", suffix=TEMP_SUFFIX, dir=target.parent
        )
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException as exc:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        if isinstance(exc, OSError) and not isinstance(exc, FileWriteError):
            raise FileWriteError(
                exc.errno, f"cannot write {target}: {file_error_cause(exc)}", str(target)
            ) from None
        raise
    _fsync_dir(target.parent)


def read_only_folder(folder: Union[str, os.PathLike[str]]) -> bool:
    """Whether ``folder`` exists but files cannot be created in it (a read-only file system)."""
    return os.path.isdir(folder) and not os.access(folder, os.W_OK | os.X_OK)


#: Suffix of :func:`atomic_write`'s temp files.
TEMP_SUFFIX = ".tmp"


#: A temp file older than this (seconds) is stale even if its writer cannot be identified.
STALE_TEMP_AGE = 3600.0


def remove_stale_temp_files(folder: Union[str, os.PathLike[str]]) -> list[Path]:
    """Remove :func:`atomic_write` temp files in ``folder`` that a killed writer left behind.

    A temp file is stale when the process named in it has ended, or (when it names none, or
    the process cannot be asked) when it is older than :data:`STALE_TEMP_AGE`. The temp files
    of a live writer are kept. Returns the removed paths; errors are ignored (it is tidying).
    """
    removed: list[Path] = []
    try:
        candidates = [p for p in Path(folder).iterdir() if _is_temp_name(p.name)]
    except OSError:
        return removed
    now = time.time()
    for candidate in candidates:
        try:
            info = candidate.lstat()
        except OSError:
            continue
        writer = _temp_writer(candidate.name)
        alive = writer is not None and _process_alive(writer)
        if alive is False or (alive is None and now - info.st_mtime > STALE_TEMP_AGE):
            with contextlib.suppress(OSError):
                candidate.unlink()
                removed.append(candidate)
    return removed


def _is_temp_name(name: str) -> bool:
    return name.startswith(".") and name.endswith(TEMP_SUFFIX) and name.count(".") >= 3


def _temp_writer(name: str) -> Optional[int]:
    """The pid in ``.<name>.<pid>.<random>.tmp``, or None for another (older) name."""
    parts = name[: -len(TEMP_SUFFIX)].split(".")
    if len(parts) >= 4 and parts[-2].isdigit():
        return int(parts[-2])
    return None


def _process_alive(pid: int) -> Optional[bool]:
    """Whether process ``pid`` runs; None when this cannot be told (e.g. on Windows)."""
    if sys.platform == "win32" or pid <= 0:
        return None
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # exists, but belongs to someone else
    return True


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


class _HeldFile:
    """The cross-process lock of :func:`locked_file`; taken on ``__enter__``."""

    def __init__(self, path: Path, timeout: float) -> None:
        self._path = path
        self._lock_path = path.with_name(f"{path.name}.lock")
        self._timeout = timeout
        self._fd: Optional[int] = None

    def __enter__(self) -> None:
        try:
            self._lock_path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise SoftwareUpdateError(
                f"cannot lock {self._path} ({self._lock_path.parent}): {file_error_cause(exc)}"
            ) from None
        try:
            fd = open_lock_file(self._lock_path)
        except SoftwareUpdateError as exc:
            raise SoftwareUpdateError(f"cannot lock {self._path}: {exc}") from None
        deadline = time.monotonic() + self._timeout
        delay = 0.001
        try:
            while not self._try_lock(fd):
                if time.monotonic() >= deadline:
                    raise SoftwareUpdateError(
                        f"cannot lock {self._path}: another process held {self._lock_path} "
                        f"for more than {self._timeout:g} seconds"
                    )
                time.sleep(delay)
                delay = min(delay * 2, 0.05)
        except BaseException:
            os.close(fd)
            raise
        self._fd = fd

    def _try_lock(self, fd: int) -> bool:
        try:
            return try_lock(fd)
        except OSError as exc:
            raise SoftwareUpdateError(
                f"cannot lock {self._path} ({self._lock_path}): {exc.strerror or exc}"
            ) from None

    def __exit__(self, *exc: object) -> None:
        fd, self._fd = self._fd, None
        if fd is None:
            return
        try:
            unlock(fd)
        finally:
            os.close(fd)


def locked_file(path: Union[str, os.PathLike[str]], timeout: float = 10.0) -> _HeldFile:
    """A context manager holding an exclusive lock for ``path`` across processes.

    Use it around a read-modify-write of ``path`` so concurrent writers (other processes or
    other objects in this one) do not lose each other's changes. The lock lives in the side
    file ``<name>.lock`` (``fcntl.flock`` on POSIX, ``msvcrt.locking`` on Windows) because
    ``path`` itself is replaced on every atomic write. Waiting longer than ``timeout``
    seconds, or a lock file that cannot be opened, raises SoftwareUpdateError naming the file.
    Not re-entrant: do not nest two locks of one path in one thread.
    """
    return _HeldFile(Path(path), timeout)


_FORMAT_VERSION = 1


def read_document(path: Path, kind: str, clock: Callable[[], float] = time.time) -> Optional[Any]:
    """Return the ``data`` of the document at ``path`` if it is a ``kind`` document.

    A missing file gives None. A corrupt or foreign file is set aside (renamed
    ``*.corrupt-<timestamp>``) with a warning, and None is returned so the caller rebuilds.
    """
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        log.warning("cannot read %s (%s); starting afresh", path, exc.strerror or exc)
        return None
    try:
        document = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        set_aside(path, "it is not valid JSON", clock)
        return None
    if (
        not isinstance(document, dict)
        or document.get("format") != kind
        or document.get("version") != _FORMAT_VERSION
        or "data" not in document
    ):
        set_aside(path, f"it is not a {kind} document of version {_FORMAT_VERSION}", clock)
        return None
    return document["data"]


def write_document(path: Path, kind: str, data: Any) -> None:
    """Write ``data`` as a ``kind`` document, atomically, readable by its owner only.

    Documents in the data folder hold what configurations and servers said (release notes,
    messages, answers of authenticated requests), so they get mode 0600 like a credentials file.
    """
    document = {"format": kind, "version": _FORMAT_VERSION, "data": data}
    atomic_write(path, json.dumps(document, separators=(",", ":"), sort_keys=True), mode=0o600)


def set_aside(path: Path, reason: str, clock: Callable[[], float] = time.time) -> None:
    """Rename a broken file out of the way, keeping it for inspection."""
    aside = path.with_name(f"{path.name}.corrupt-{int(clock())}")
    try:
        os.replace(path, aside)
    except OSError as exc:
        log.warning("%s is unusable (%s) and cannot be moved aside: %s", path, reason, exc)
        return
    log.warning("%s is unusable (%s); moved it to %s and starting afresh", path, reason, aside)


def file_stamp(path: Path) -> Optional[tuple[int, int, int]]:
    try:
        st = path.stat()
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size, st.st_ino)
