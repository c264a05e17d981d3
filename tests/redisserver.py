"""A real ``redis-server`` on 127.0.0.1 for tests: a free port, no persistence, stopped by PID.

Tests of the shared cache run against Debian's ``redis-server`` binary (``.ci/run`` installs
it). :class:`RedisServer` starts one in a temporary folder with persistence off, waits until
it answers ``PING``, and can be killed (SIGKILL, as a crash or an OOM killer would) and
started again on the same port in the middle of a test.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path
from typing import Optional

import attrs

#: How long a start may take before the test fails (a loaded CI machine is slow).
START_TIMEOUT = 20.0


class RedisServerMissing(RuntimeError):
    """The ``redis-server`` binary is not installed."""


def find_redis_server() -> str:
    """The path of ``redis-server``, or a clear error saying how to install it."""
    found = shutil.which("redis-server")
    if found is None:
        raise RedisServerMissing(
            "redis-server is not installed: the shared-cache tests need Debian's redis-server "
            "(apt-get install -y redis-server; .ci/run installs it)"
        )
    return found


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _ping(port: int, password: Optional[str], timeout: float = 0.5) -> bool:
    """Whether a Redis server on ``port`` answers PING (speaks RESP by hand: no client needed)."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
            if password is not None:
                sock.sendall(_command("AUTH", password))
                if not sock.recv(64).startswith(b"+OK"):
                    return False
            sock.sendall(_command("PING"))
            return sock.recv(64).startswith(b"+PONG")
    except OSError:
        return False


def _command(*parts: str) -> bytes:
    out = [f"*{len(parts)}\r\n".encode()]
    for part in parts:
        data = part.encode()
        out.append(b"$%d\r\n%s\r\n" % (len(data), data))
    return b"".join(out)


@attrs.define
class RedisServer:
    """One ``redis-server`` process; :meth:`start`, :meth:`kill`, :meth:`restart`, :meth:`stop`."""

    folder: Path
    password: Optional[str] = None
    port: int = attrs.field(factory=free_port)
    #: Extra ``--name value`` options, e.g. ``{"maxmemory": "1mb"}``.
    options: dict[str, str] = attrs.field(factory=dict)
    _process: Optional[subprocess.Popen[bytes]] = None

    @property
    def url(self) -> str:
        """``redis://[:password@]127.0.0.1:port/0``."""
        auth = f":{self.password}@" if self.password is not None else ""
        return f"redis://{auth}127.0.0.1:{self.port}/0"

    @property
    def pid(self) -> Optional[int]:
        return None if self._process is None else self._process.pid

    def start(self) -> RedisServer:
        """Start the server and wait until it answers PING."""
        binary = find_redis_server()
        self.folder.mkdir(parents=True, exist_ok=True)
        args = [
            binary,
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(self.folder),
            "--daemonize",
            "no",
            "--logfile",
            str(self.folder / "redis.log"),
        ]
        if self.password is not None:
            args += ["--requirepass", self.password]
        for name, value in self.options.items():
            args += [f"--{name}", value]
        self._process = subprocess.Popen(
            args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        deadline = time.monotonic() + START_TIMEOUT
        while not _ping(self.port, self.password):
            if self._process.poll() is not None:
                stderr = (
                    self._process.stderr.read().decode(errors="replace")
                    if self._process.stderr
                    else ""
                )
                log = self.folder / "redis.log"
                tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
                raise RuntimeError(f"redis-server exited early: {stderr}{tail}")
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"redis-server did not answer PING within {START_TIMEOUT} s")
            time.sleep(0.02)
        return self

    def kill(self) -> None:
        """SIGKILL the server (no shutdown, as a crash) and reap it."""
        if self._process is None:
            return
        if self._process.poll() is None:
            os.kill(self._process.pid, signal.SIGKILL)
        self._process.wait(timeout=10)
        self._close()

    def restart(self) -> None:
        """Kill the server and start a fresh one (empty, no persistence) on the same port."""
        self.kill()
        self.start()

    def stop(self) -> None:
        """SIGTERM the server by its PID, SIGKILL it if it does not end in 5 s."""
        if self._process is None:
            return
        if self._process.poll() is None:
            os.kill(self._process.pid, signal.SIGTERM)
            try:
                self._process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                os.kill(self._process.pid, signal.SIGKILL)
                self._process.wait(timeout=10)
        self._close()

    def _close(self) -> None:
        if self._process is not None and self._process.stderr is not None:
            self._process.stderr.close()
        self._process = None
