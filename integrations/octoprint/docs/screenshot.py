"""Screenshot of OctoPrint's Software Update settings with a gitlab_release target.

Starts the tests' live OctoPrint (``engine: core``) against the fake forge, drives Debian's
headless Chromium over the DevTools protocol (log in on ``/login``, open Settings > Software
Update) and writes ``softwareupdate-settings.png`` next to this file. Not part of CI::

    python integrations/octoprint/docs/screenshot.py
"""

from __future__ import annotations

import base64
import itertools
import json
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import websocket  # websocket-client, a dependency of OctoPrint
from live import (
    PASSWORD,
    USER,
    FakeRelease,
    Forge,
    LiveOctoPrint,
    base_config,
    free_port,
    github_targets,
    gitlab_release,
)

OUT = Path(__file__).with_name("softwareupdate-settings.png")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1280,900",
    "--hide-scrollbars",
]


class DevTools:
    """A minimal Chrome DevTools protocol client for one page."""

    def __init__(self, port: int) -> None:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/json", timeout=5) as r:
                    pages = [p for p in json.load(r) if p.get("type") == "page"]
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.3)
        self._ws = websocket.create_connection(pages[0]["webSocketDebuggerUrl"], timeout=60)
        self._ids = itertools.count(1)

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        number = next(self._ids)
        self._ws.send(json.dumps({"id": number, "method": method, "params": params}))
        while True:
            message = json.loads(self._ws.recv())
            if message.get("id") == number:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return dict(message.get("result", {}))

    def js(self, expression: str) -> Any:
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        return result.get("result", {}).get("value")

    def wait_for(self, expression: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while not self.js(expression):
            if time.monotonic() > deadline:
                raise TimeoutError(expression)
            time.sleep(0.3)


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="su-octoprint-shot-") as tmp:
        forge = Forge.start(Path(tmp) / "forge")
        forge.github.add_repo("foosel", "OctoPrint", [FakeRelease("1.11.8")])
        forge.gitlab.set_releases(
            "mygroup/octoprint-myplugin", [gitlab_release("2.1.0"), gitlab_release("2.0.0")]
        )
        checks = github_targets(forge, 2)
        checks["gitlab_myplugin"] = {
            "type": "gitlab_release",
            "project": "mygroup/octoprint-myplugin",
            "api_url": forge.gitlab.api_url,
            "current": "2.0.0",
            "displayName": "MyPlugin (GitLab)",
            "pip": "https://gitlab.example/mygroup/octoprint-myplugin/-/archive/{target_version}.zip",
        }
        live = LiveOctoPrint.start(
            Path(tmp) / "octoprint", base_config(forge, plugin="core", checks=checks), forge
        )
        port = free_port()
        chromium = subprocess.Popen(
            ["chromium", *CHROMIUM_FLAGS, f"--user-data-dir={tmp}/chromium",
             f"--remote-debugging-port={port}", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            page = DevTools(port)
            page.call("Page.enable")
            page.call("Page.navigate", url=f"{live.url}/login/?redirect=%2F")
            page.wait_for("!!document.getElementById('login-button')")
            page.js(
                f"document.getElementById('login-user').value = {USER!r};"
                f"document.getElementById('login-password').value = {PASSWORD!r};"
                "document.getElementById('login-button').click(); true"
            )
            page.wait_for(
                "location.pathname === '/' && !!window.$"
                " && $('#navbar_show_settings:visible').length > 0",
                120,
            )
            time.sleep(3)
            page.js("$('#navbar_show_settings').click(); true")
            page.wait_for("$('#settings_plugin_softwareupdate_link a:visible').length > 0")
            page.js("$('#settings_plugin_softwareupdate_link a').click(); true")
            page.wait_for(
                "$('#settings_plugin_softwareupdate:visible').text()"
                ".indexOf('MyPlugin (GitLab)') >= 0"
            )
            time.sleep(2)
            page.js("$('.ui-pnotify').remove(); true")
            shot = page.call("Page.captureScreenshot", format="png")
            OUT.write_bytes(base64.b64decode(shot["data"]))
            print(f"wrote {OUT}")
        finally:
            chromium.terminate()
            chromium.wait(timeout=30)
            live.stop()
            forge.stop()


if __name__ == "__main__":
    main()
