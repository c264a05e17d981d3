"""Non-blocking exclusive OS locks on an open file: ``flock`` on POSIX, ``msvcrt`` on Windows.

The one platform switch behind the update-run lock and the data-file locks. The OS drops the
lock when its process dies, so a crashed holder leaves nothing stale behind. Lock files are
opened by :func:`open_lock_file` only: never through a symbolic link, never truncated.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import sys
from pathlib import Path

from ..exceptions import SoftwareUpdateError

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
