"""A live ``octoprint serve`` and the fake forge it talks to, for the plugin's tests.

The fake forge is the project's :class:`tests.httpserver.FakeServer` with the GitHub, GitLab
and package-index fakes. Stock OctoPrint 1.11.8 always asks ``https://api.github.com``, so
the GitHub fake is served over TLS with a throwaway certificate for ``api.github.com``, and
OctoPrint reaches it through a small CONNECT proxy (``HTTPS_PROXY``) that only tunnels to
that name; ``REQUESTS_CA_BUNDLE`` makes OctoPrint trust the certificate. The proxy counts
tunnels, i.e. new connections to "GitHub". Everything else (GitLab, the package index, the
overlay) is plain HTTP on 127.0.0.1, which ``NO_PROXY`` keeps off the proxy.
"""

from __future__ import annotations

import collections
import json
import os
import secrets
import signal
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Optional

import attrs
import requests
import yaml

REPO = Path(__file__).resolve().parents[3]
if str(REPO) not in sys.path:  # the project's fakes live in the repository's tests package
    sys.path.insert(0, str(REPO))

from tlsproxy import ConnectProxy, make_certificate  # noqa: E402

from tests.fakes.forges import FakeGitLab, gitlab_release  # noqa: E402
from tests.fakes.github import FakeGitHub, FakeRelease, mount_github  # noqa: E402
from tests.fakes.pypi import FakeFile, FakeIndex, mount_index  # noqa: E402
from tests.httpserver import FakeServer, Reply  # noqa: E402

#: Plugins of OctoPrint that would reach out to the internet; the tests disable them.
NETWORK_PLUGINS = (
    "firmware_check",
    "file_check",
    "pluginmanager",
    "announcements",
    "discovery",
    "tracking",
    "errortracking",
    "health_check",
)
USER = "admin"
PASSWORD = "test-password"

__all__ = [
    "FakeFile",
    "FakeRelease",
    "Forge",
    "LiveOctoPrint",
    "gitlab_release",
]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@attrs.define
class Forge:
    """The fake forge: GitHub over TLS behind the proxy, GitLab, an index and the overlay."""

    folder: Path
    plain: FakeServer
    tls: FakeServer
    proxy: ConnectProxy
    github: FakeGitHub
    gitlab: FakeGitLab
    index: FakeIndex
    cert: Path

    @classmethod
    def start(cls, folder: Path) -> Forge:
        cert, key = make_certificate(folder / "tls")
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        tls = FakeServer(ssl_context=context).start()
        plain = FakeServer().start()
        plain.route("/overlay.json", Reply.json({}))
        proxy = ConnectProxy(tls.port).start()
        return cls(
            folder=folder,
            plain=plain,
            tls=tls,
            proxy=proxy,
            github=mount_github(tls),
            gitlab=FakeGitLab(plain),
            index=mount_index(plain),
            cert=cert,
        )

    def reset_counts(self) -> None:
        for server in (self.plain, self.tls):
            server.reset_counts()
        self.github.reset_counts()
        self.proxy.reset_counts()

    def github_counts(self) -> dict[str, Any]:
        """Requests to the fake GitHub: counts, 304s, rate-limit cost, new connections, paths."""
        hits = self.tls.hits()
        per_path = collections.Counter(r.path for r in hits)
        return {
            "requests": len(hits),
            "conditional": sum(1 for r in hits if r.header("If-None-Match")),
            "not_modified": self.github.not_modified,
            "charged": self.github.charged,
            "connections": self.proxy.tunnels,
            "per_path": dict(per_path),
        }

    def stop(self) -> None:
        self.proxy.stop()
        self.tls.stop()
        self.plain.stop()


def base_config(
    forge: Forge, *, plugin: Optional[str], checks: Mapping[str, Any]
) -> dict[str, Any]:
    """An OctoPrint ``config.yaml`` that reaches nothing but the fake forge.

    ``plugin`` is this plugin's ``engine`` setting, or None to disable the plugin (stock).
    """
    disabled = list(NETWORK_PLUGINS) + ([] if plugin else ["softwareupdate_core"])
    config: dict[str, Any] = {
        "server": {
            "firstRun": False,
            "onlineCheck": {"enabled": False},
            "pluginBlacklist": {"enabled": False},
            "commands": {"serverRestartCommand": "", "systemRestartCommand": ""},
        },
        "plugins": {
            "_disabled": disabled,
            "softwareupdate": {
                "check_overlay_url": f"{forge.plain.url}/overlay.json",
                "checks": dict(checks),
            },
        },
    }
    if plugin:
        config["plugins"]["softwareupdate_core"] = {"engine": plugin}
    return config


LOGGING = {"loggers": {"octoprint.events.fire": {"level": "DEBUG"}}}


@attrs.define
class LiveOctoPrint:
    """One ``octoprint serve`` on a free loopback port, in its own process group."""

    basedir: Path
    port: int
    api_key: str
    process: subprocess.Popen[bytes]
    session: requests.Session = attrs.field(factory=requests.Session)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @classmethod
    def start(cls, basedir: Path, config: Mapping[str, Any], forge: Forge) -> LiveOctoPrint:
        """Write the base folder, create the admin user and key, start and wait for it."""
        basedir.mkdir(parents=True, exist_ok=True)
        (basedir / "config.yaml").write_text(yaml.safe_dump(dict(config)))
        (basedir / "logging.yaml").write_text(yaml.safe_dump(LOGGING))
        octoprint = str(Path(sys.executable).with_name("octoprint"))
        env = {
            **os.environ,
            "HTTPS_PROXY": forge.proxy.url,
            "https_proxy": forge.proxy.url,
            "NO_PROXY": "127.0.0.1,localhost",
            "no_proxy": "127.0.0.1,localhost",
            "REQUESTS_CA_BUNDLE": str(forge.cert),
            "PIP_DISABLE_PIP_VERSION_CHECK": "1",
            "PIP_NO_INPUT": "1",
        }
        env.pop("HTTP_PROXY", None)
        env.pop("http_proxy", None)
        subprocess.run(
            [octoprint, "--basedir", str(basedir), "user", "add", "--password", PASSWORD,
             "--admin", USER],
            check=True, capture_output=True, timeout=300, env=env,
        )  # fmt: skip
        api_key = secrets.token_hex(16)
        keys = basedir / "data" / "appkeys"
        keys.mkdir(parents=True, exist_ok=True)
        (keys / "keys.yaml").write_text(
            yaml.safe_dump({USER: [{"app_id": "tests", "api_key": api_key}]})
        )
        port = free_port()
        command = [octoprint, "serve", "--basedir", str(basedir), "--host", "127.0.0.1",
                   "--port", str(port)]  # fmt: skip
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            command.append("--iknowwhatimdoing")
        out = (basedir / "serve.out").open("wb")
        process = subprocess.Popen(
            command, stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True
        )
        out.close()
        live = cls(basedir, port, api_key, process)
        live.session.headers["X-Api-Key"] = api_key
        try:
            live._wait_ready(timeout=180)
            # the bundled plugin's start-up round: a plain check waits for it and returns it
            live.get("/plugin/softwareupdate/check", timeout=300).raise_for_status()
        except BaseException:
            live.stop()
            raise
        return live

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"octoprint exited with {self.process.returncode}: {self.output()}"
                )
            try:
                answer = self.session.get(f"{self.url}/api/version", timeout=5)
                if answer.status_code == 200 and "server" in answer.json():
                    return
            except Exception:  # the start-up "intermediary" server answers unparseable things
                pass
            time.sleep(0.5)
        raise TimeoutError(f"octoprint did not answer within {timeout} s: {self.output()}")

    def get(self, path: str, timeout: float = 120, **params: Any) -> requests.Response:
        return self.session.get(f"{self.url}{path}", params=params, timeout=timeout)

    def post(self, path: str, data: Any, timeout: float = 120) -> requests.Response:
        return self.session.post(f"{self.url}{path}", json=data, timeout=timeout)

    def check(self, force: bool = True) -> dict[str, Any]:
        """The bundled plugin's ``/plugin/softwareupdate/check`` answer."""
        answer = self.get("/plugin/softwareupdate/check", force="true" if force else "false")
        answer.raise_for_status()
        return dict(answer.json())

    def log(self) -> str:
        path = self.basedir / "logs" / "octoprint.log"
        return path.read_text("utf-8", "replace") if path.exists() else ""

    def output(self) -> str:
        path = self.basedir / "serve.out"
        return path.read_text("utf-8", "replace")[-4000:] if path.exists() else ""

    def stop(self) -> None:
        """SIGTERM the process group, SIGKILL it after 30 s."""
        self.session.close()
        if self.process.poll() is not None:
            return
        pgid = os.getpgid(self.process.pid)
        os.killpg(pgid, signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(pgid, signal.SIGKILL)
            self.process.wait(timeout=30)


def github_targets(
    forge: Forge, count: int, *, prefix: str = "plugin"
) -> dict[str, dict[str, Any]]:
    """``count`` github_release targets on the fake, each with 1.0.0 installed and 2.0.0 out."""
    checks = {}
    for n in range(count):
        repo = f"{prefix}{n}"
        if ("acme", repo) not in forge.github._repos:
            forge.github.add_repo(
                "acme", repo, [FakeRelease("2.0.0"), FakeRelease("1.1.0"), FakeRelease("1.0.0")]
            )
        checks[repo] = {
            "type": "github_release",
            "user": "acme",
            "repo": repo,
            "current": "1.0.0",
            "displayName": f"Plugin {n}",
            "pip": f"https://example.invalid/{repo}/{{target_version}}.zip",
        }
    return checks


def answers(check: Mapping[str, Any], targets: Iterable[str]) -> dict[str, Any]:
    """What a user sees per target: versions, availability, error."""
    info = check["information"]
    return {
        t: {
            "local": info[t]["information"]["local"]["value"],
            "remote": info[t]["information"]["remote"]["value"],
            "updateAvailable": info[t]["updateAvailable"],
            "error": info[t]["error"],
        }
        for t in targets
    }


def dump(data: Any) -> str:
    return json.dumps(data, indent=2, sort_keys=True)
