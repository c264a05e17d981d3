"""A small file system for disk-full, no-inode and read-only tests.

Where the test may mount (root on Linux), :class:`SmallDisk` is a real tmpfs of 64 KB and a
few inodes, filled with real files and remounted read-only. Elsewhere it falls back to an
``OSError``-injecting opener: ``os.open`` (which ``tempfile.mkstemp`` and the lock files use)
fails with the errno a real disk would give for paths under the folder, ``os.access``
says the folder is not writable when it is "read-only", and ``shutil.disk_usage`` reports
64 KB, all used. ``SmallDisk.real`` says which ran;
set ``SOFTWAREUPDATE_TESTS_NO_MOUNT=1`` to run the fallback where mounting works.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any, Optional, Union

import pytest


def _mount(folder: Path, options: str) -> bool:
    if sys.platform != "linux" or os.environ.get("SOFTWAREUPDATE_TESTS_NO_MOUNT"):
        return False
    result = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(folder)],
        capture_output=True,
        check=False,
    )
    return result.returncode == 0


class SmallDisk:
    """A folder on a tiny file system that a test can fill up or make read-only."""

    def __init__(self, folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.folder = folder
        self._monkeypatch = monkeypatch
        folder.mkdir(parents=True)
        #: True on a real tmpfs; False when errors are injected instead.
        self.real = _mount(folder, "size=64k,nr_inodes=64,mode=0755")
        self._fault: Optional[int] = None
        if not self.real:
            self._inject()

    def _inject(self) -> None:
        real_open = os.open
        real_access = os.access
        disk = self

        def fake_open(path: Any, flags: int, *args: Any, **kwargs: Any) -> int:
            if disk._fault is not None and disk._inside(path):
                # a full disk refuses new files (the first write of a temp file fails there);
                # a read-only one refuses any opening for writing
                creating = flags & os.O_CREAT and not os.path.lexists(path)
                writing = flags & (os.O_WRONLY | os.O_RDWR)
                if creating or (writing and disk._fault == errno.EROFS):
                    raise OSError(disk._fault, os.strerror(disk._fault), os.fspath(path))
            return real_open(path, flags, *args, **kwargs)

        def fake_access(path: Any, mode: int, *args: Any, **kwargs: Any) -> bool:
            if disk._fault == errno.EROFS and mode & os.W_OK and disk._inside(path):
                return False
            return real_access(path, mode, *args, **kwargs)

        real_usage = shutil.disk_usage

        def fake_usage(path: Any) -> Any:
            if disk._inside(path):
                return shutil._ntuple_diskusage(65536, 65536, 0)  # type: ignore[attr-defined]
            return real_usage(path)

        self._monkeypatch.setattr(shutil, "disk_usage", fake_usage)
        self._monkeypatch.setattr(os, "open", fake_open)
        self._monkeypatch.setattr(os, "access", fake_access)

    def _inside(self, path: Union[str, os.PathLike[str], int]) -> bool:
        if isinstance(path, int):
            return False
        return Path(os.path.abspath(path)).is_relative_to(self.folder)

    def fill(self) -> None:
        """Use up every free block (files can still be created while inodes last)."""
        if not self.real:
            self._fault = errno.ENOSPC
            return
        fd = os.open(self.folder / "filler", os.O_WRONLY | os.O_CREAT, 0o644)
        try:
            for size in (65536, 4096, 512, 1):
                with contextlib.suppress(OSError):
                    while True:
                        os.write(fd, b"\0" * size)
        finally:
            os.close(fd)

    def use_up_inodes(self) -> None:
        """Use up every free inode (no file can be created)."""
        if not self.real:
            self._fault = errno.ENOSPC
            return
        filler = self.folder / "inodes"
        filler.mkdir()
        with contextlib.suppress(OSError):
            for index in range(100000):
                (filler / str(index)).touch()

    def make_read_only(self) -> None:
        """Remount the file system read-only (root cannot write it either)."""
        if not self.real:
            self._fault = errno.EROFS
            return
        subprocess.run(["mount", "-o", "remount,ro", str(self.folder)], check=True)

    def close(self) -> None:
        if self.real:
            subprocess.run(["umount", "-l", str(self.folder)], check=False)
