"""The example plugin in examples/, installed into a fresh virtualenv next to the library."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from tests.httpserver import FakeServer, Reply
from tests.venvtools import REPO, Venv, build_wheel, make_venv

PLUGIN = REPO / "examples" / "softwareupdate-example-plugin"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Venv]:
    """A virtualenv with wheels of the library and the example plugin installed."""
    root = tmp_path_factory.mktemp("example-plugin")
    wheels = [build_wheel(REPO, root / "dist"), build_wheel(PLUGIN, root / "dist")]
    venv = make_venv(root / "venv")
    venv.install(wheels)
    yield venv


def check(venv: Venv, tmp_path: Path, url: str, *args: str) -> tuple[int, str, str]:
    config = tmp_path / "config.yaml"
    config.write_text(
        yaml.safe_dump({"check_overlay_url": None, "checks": {"example_tool": {"url": url}}})
    )
    proc = venv.run(
        str(venv.script("softwareupdate")),
        "--config",
        str(config),
        "--data-folder",
        str(tmp_path / "data"),
        "check",
        *args,
    )
    return proc.returncode, proc.stdout, proc.stderr


def test_plugin_target_is_checked_by_the_new_type(
    venv: Venv, tmp_path: Path, server: FakeServer
) -> None:
    """softwareupdate check resolves the plugin's target with its plaintext_version type."""
    server.route("/LATEST", Reply(200, "0.4.1\n", {"Content-Type": "text/plain"}))
    status, out, err = check(venv, tmp_path, f"{server.url}/LATEST")
    assert status == 0, err
    assert "Example tool (example_tool)" in out
    assert "Installed: 0.3.0" in out
    assert "Available: 0.4.1" in out
    assert "Update available" in out
    assert len(server.hits("/LATEST")) == 1


def test_plugin_target_reports_its_type_in_json(
    venv: Venv, tmp_path: Path, server: FakeServer
) -> None:
    """The JSON report names the plugin's check type and says the target is current."""
    server.route("/LATEST", Reply(200, "0.3.0\n"))
    status, out, err = check(venv, tmp_path, f"{server.url}/LATEST", "--json", "example_tool")
    assert status == 0, err
    info = json.loads(out)["information"]["example_tool"]
    assert info["check"]["type"] == "plaintext_version"
    assert info["updateAvailable"] is False


def test_hostile_version_file_is_a_check_error(
    venv: Venv, tmp_path: Path, server: FakeServer
) -> None:
    """A file that does not start with a version line is reported as a failed check."""
    server.route("/LATEST", Reply(200, "1.0; rm -rf /\n"))
    status, out, err = check(venv, tmp_path, f"{server.url}/LATEST")
    assert status == 1
    assert "does not start with a version line" in out
    assert "Traceback" not in err
