"""The benchmarks' fake GitHub on 127.0.0.1, run in a process of its own.

Run in the benchmark's own process, the server's threads would compete with the check threads
for the GIL and inflate every wall time. Here it runs as a child process (``python
_server_process.py --repos N ...``) that prints its URL as the first line of stdout and then
answers one-line commands on stdin with one JSON line on stdout:

* ``stats`` -> ``{"requests", "connections", "max_in_flight", "charged", "not_modified",
  "graphql", "graphql_points"}`` (GraphQL requests, and the points spent since the start);
* ``reset`` -> zeroes those counters, answers ``{"ok": true}``;
* ``quit`` (or the end of stdin, e.g. when the benchmark dies) stops the server.

The server also stops by itself after ``--max-seconds`` whatever happens.
:class:`ServerProcess` is the parent's side.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Optional

ROOT = Path(__file__).resolve().parents[1]


# -- the child ---------------------------------------------------------------------------------


def _serve(args: argparse.Namespace) -> None:
    sys.path.insert(0, str(ROOT))
    from tests.fakes.github import FakeRelease, Quota, mount_github
    from tests.httpserver import FakeServer

    server = FakeServer(latency=args.latency, connect_latency=args.connect_latency).start()
    watchdog = threading.Timer(args.max_seconds, _give_up, (server,))
    watchdog.daemon = True
    watchdog.start()
    gh = mount_github(server, token=args.token or None)
    gh.graphql_mode = args.graphql_mode  # "unsupported": a server without GraphQL (404)
    gh.anonymous = Quota(10**9, 10**9)  # the benchmark measures time, not quota
    gh.authenticated = Quota(10**9, 10**9)
    for i in range(args.repos):
        gh.add_repo("bench", f"repo{i}", [FakeRelease("1.1.0"), FakeRelease("1.0.0")])
    print(json.dumps({"url": server.url}), flush=True)
    try:
        for line in sys.stdin:
            command = line.strip()
            if command == "stats":
                with server._lock:
                    answer: dict[str, Any] = {
                        "requests": len(server.requests),
                        "connections": server.connections,
                        "max_in_flight": server.max_in_flight,
                    }
                with gh._lock:
                    answer.update(
                        charged=gh.charged,
                        not_modified=gh.not_modified,
                        graphql=gh.graphql_requests,
                        graphql_points=gh.graphql_points.limit - gh.graphql_points.remaining,
                    )
            elif command == "reset":
                server.reset_counts()
                gh.reset_counts()
                answer = {"ok": True}
            elif command == "quit":
                break
            else:
                answer = {"error": f"unknown command {command!r}"}
            print(json.dumps(answer), flush=True)
    finally:
        watchdog.cancel()
        server.stop()


def _give_up(server: Any) -> None:
    print("benchmark server: lifetime exceeded, stopping", file=sys.stderr, flush=True)
    server.stop()
    os._exit(3)


# -- the parent --------------------------------------------------------------------------------


class ServerProcess:
    """A fake GitHub with ``repos`` repositories ``bench/repo{i}`` in a child process."""

    def __init__(
        self,
        repos: int,
        *,
        latency: float,
        connect_latency: float,
        token: Optional[str] = None,
        max_seconds: float = 900.0,
        graphql_mode: str = "ok",
    ) -> None:
        command = [
            sys.executable,
            str(Path(__file__).resolve()),
            "--repos",
            str(repos),
            "--latency",
            repr(latency),
            "--connect-latency",
            repr(connect_latency),
            "--token",
            token or "",
            "--max-seconds",
            repr(max_seconds),
            "--graphql-mode",
            graphql_mode,
        ]
        self._process = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1
        )
        first = self._read()
        if "url" not in first:
            self.stop()
            raise RuntimeError(f"the benchmark server did not start: {first}")
        self.url: str = str(first["url"])

    def _read(self) -> dict[str, Any]:
        stdout: Optional[IO[str]] = self._process.stdout
        line = stdout.readline() if stdout is not None else ""
        if not line:
            raise RuntimeError("the benchmark server exited")
        result: dict[str, Any] = json.loads(line)
        return result

    def _command(self, command: str) -> dict[str, Any]:
        assert self._process.stdin is not None
        self._process.stdin.write(command + "\n")
        self._process.stdin.flush()
        return self._read()

    def stats(self) -> dict[str, int]:
        """The counters since the start or the last :meth:`reset`."""
        return {k: int(v) for k, v in self._command("stats").items()}

    def reset(self) -> None:
        self._command("reset")

    def stop(self, timeout: float = 10.0) -> None:
        """Ask the server to stop; kill it if it has not within ``timeout`` seconds."""
        process = self._process
        if process.poll() is None and process.stdin is not None:
            try:
                process.stdin.write("quit\n")
                process.stdin.close()
            except OSError:
                pass
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout)
        if process.stdout is not None:
            process.stdout.close()

    def __enter__(self) -> ServerProcess:
        return self

    def __exit__(
        self,
        exc_type: Optional[type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        self.stop()


def main(argv: Optional[list[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--repos", type=int, required=True)
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--connect-latency", type=float, default=0.1)
    parser.add_argument("--token", default="")
    parser.add_argument("--max-seconds", type=float, default=900.0)
    parser.add_argument("--graphql-mode", choices=("ok", "errors", "unsupported"), default="ok")
    _serve(parser.parse_args(argv))


if __name__ == "__main__":
    main()
