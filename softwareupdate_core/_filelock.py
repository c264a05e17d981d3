"""Non-blocking exclusive OS locks on an open file: ``flock`` on POSIX, ``msvcrt`` on Windows.

The one platform switch behind the update-run lock and the data-file locks. The OS drops the
lock when its process dies, so a crashed holder leaves nothing stale behind.
"""

from __future__ import annotations

import contextlib
import errno
import os
import sys

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
