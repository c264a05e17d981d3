"""Secrets in URLs, query strings and credential slots never reach output, files or reprs.

Every test scans every output stream and every file in the data folder for the secret strings.
"""

from __future__ import annotations

import json
import stat
from pathlib import Path
from typing import Any

import yaml

from softwareupdate_core import Settings
from softwareupdate_core.cli import cli
from tests.childcli import run_cli
from tests.clirunner import runner
from tests.fakes.pypi import JSON_TYPE, FakeFile, mount_index
from tests.httpserver import FakeServer, Reply, Request


def write_config(tmp_path: Path, data: dict[str, Any]) -> Path:
    path = tmp_path / "softwareupdate.yaml"
    path.write_text(yaml.safe_dump({"check_overlay_url": None, **data}))
    return path


def data_files(folder: Path) -> dict[Path, str]:
    """Every file below ``folder`` with its text."""
    return {p: p.read_text(errors="replace") for p in folder.rglob("*") if p.is_file()}


def assert_nowhere(secrets: list[str], outputs: list[str], folder: Path) -> None:
    """None of ``secrets`` in any of ``outputs`` or in any file below ``folder``."""
    for secret in secrets:
        for n, text in enumerate(outputs):
            assert secret not in text, (secret, n, text)
        for path, text in data_files(folder).items():
            assert secret not in text, (secret, path)


def cli_run(tmp_path: Path, config: Path, *args: str) -> tuple[int, str, str]:
    base = ["--config", str(config), "--data-folder", str(tmp_path / "data")]
    result = runner().invoke(cli, [*base, *args])
    return result.exit_code, result.stdout, result.stderr


def test_index_and_api_url_passwords_stay_out_of_reports_notes_and_cache(
    tmp_path: Path, server: FakeServer
) -> None:
    """An index_url password and an api_url password appear in no check output, JSON report,
    note, refusal message, version cache or other data file."""
    index = mount_index(server)
    index.add_project("pip", [FakeFile("pip-99.0-py3-none-any.whl")])
    host = server.url.removeprefix("http://")
    private_index = f"http://alice:IDXPASS4@{host}/simple"
    config = write_config(
        tmp_path,
        {
            "credentials": {"github": "GHTOKEN4"},
            "checks": {
                "pub": {"type": "pypi_release", "package": "pip", "index_url": private_index},
                "unpub": {
                    "type": "pypi_release",
                    "package": "ghost",
                    "current": "1.0",
                    "index_url": private_index,
                    "unpublished_ok": True,
                },
                "missing": {
                    "type": "pypi_release",
                    "package": "nothere",
                    "index_url": private_index,
                },
                "gh": {
                    "type": "github_release",
                    "user": "u",
                    "repo": "r",
                    "current": "1.0",
                    "api_url": f"http://bob:APIPASS4@{host}/api",
                },
            },
        },
    )
    outputs: list[str] = []
    for args in (["check"], ["check", "--json"], ["check", "--force"], ["update", "--dry-run"]):
        _, out, err = cli_run(tmp_path, config, *args)
        outputs += [out, err]
    report = json.loads(outputs[2])["information"]
    # the texts are there, only their secrets are gone
    assert "not published on http://***@" in outputs[0]
    assert "nothere is not on http://***@" in report["missing"]["errorMessage"]
    assert "refusing to send the GitHub token outside http://***@" in report["gh"]["errorMessage"]
    assert report["pub"]["information"]["remote"]["name"] == "99.0"
    assert (tmp_path / "data" / "version_cache.json").exists()
    assert_nowhere(["IDXPASS4", "APIPASS4", "GHTOKEN4"], outputs, tmp_path / "data")


def etag_json(body: dict[str, Any]) -> Any:
    """A handler answering ``body`` as PEP 691 JSON with an ETag, and 304 to a matching one."""

    def handler(request: Request) -> Reply:
        if request.header("If-None-Match") == '"v1"':
            return Reply(304, b"", {"ETag": '"v1"'})
        return Reply(200, json.dumps(body), {"Content-Type": JSON_TYPE, "ETag": '"v1"'})

    return handler


def test_validator_store_debug_output_and_file_modes_hold_no_secrets(
    tmp_path: Path, server: FakeServer
) -> None:
    """http_validators.json keeps neither URL passwords nor ?token= values, still answers the
    next conditional request, every data file is 0600, and --debug prints no query token."""
    project = {"meta": {"api-version": "1.1"}, "name": "pip", "files": [], "versions": ["9.0"]}
    server.route("/simple/pip/", etag_json(project))
    server.route("/tok", etag_json(project))
    host = server.url.removeprefix("http://")
    config = write_config(
        tmp_path,
        {
            "checks": {
                "priv": {
                    "type": "pypi_release",
                    "package": "pip",
                    "index_url": f"http://alice:IDXPASS5@{host}/simple",
                },
                "tok": {
                    "type": "pypi_release",
                    "package": "pip",
                    "index_url": f"http://{host}/tok?token=QTOKEN5",
                },
            },
        },
    )
    data = tmp_path / "data"
    outputs = []
    for _ in range(2):  # the second round asks again, conditionally
        args = ["--debug", "--config", str(config), "--data-folder", str(data), "check", "--force"]
        result = run_cli(*args, cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        outputs += [result.stdout, result.stderr]
    assert "GET /tok?token=***" in outputs[1]  # the request line, masked
    assert_nowhere(["IDXPASS5", "QTOKEN5"], outputs, data)
    stored = json.loads((data / "http_validators.json").read_text())["data"]
    assert len(stored) == 2
    assert all(entry["key"].startswith("sha256:") for entry in stored)
    assert [r.header("If-None-Match") for r in server.hits("/tok")] == [None, '"v1"']
    for path in data.iterdir():
        if path.suffix == ".json":
            assert stat.S_IMODE(path.stat().st_mode) == 0o600, path


def test_config_show_masks_query_tokens_and_url_keys(tmp_path: Path) -> None:
    """config show (YAML and JSON) masks ?token= values and URL-shaped forgejo credential keys."""
    config = write_config(
        tmp_path,
        {
            "credentials": {
                "forgejo": {"https://carol:FJPASS6@forge.example/api/v1?sig=FJSIG6": "FJTOKEN6"}
            },
            "checks": {
                "doc": {
                    "type": "jsondata",
                    "jsondata": "https://host.example/v.json?access_token=QTOKEN6&x=1",
                },
                "gl": {
                    "type": "gitlab_release",
                    "project": "g/p",
                    "api_url": "https://gl.example/api/v4?private_token=GLTOKEN6",
                },
            },
        },
    )
    outputs = []
    for args in (["config", "show"], ["config", "show", "--json"]):
        code, out, err = cli_run(tmp_path, config, *args)
        assert code == 0, err
        outputs += [out, err]
    assert "https://***@forge.example/api/v1?sig=***" in outputs[0]
    assert "v.json?access_token=***&x=1" in outputs[2]
    assert_nowhere(
        ["FJPASS6", "FJSIG6", "FJTOKEN6", "QTOKEN6", "GLTOKEN6"], outputs, tmp_path / "data"
    )


def test_a_numeric_password_is_not_echoed_by_a_type_error(tmp_path: Path) -> None:
    """A password or token given as a number is refused naming its key, without its value."""
    cases = [
        ({"credentials": {"github": 123456789}}, "credentials.github"),
        ({"credentials": {"bitbucket_password": 987654321}}, "credentials.bitbucket_password"),
        (
            {"checks": {"b": {"type": "bitbucket_commit", "api_password": 55555555}}},
            "checks.b.api_password",
        ),
    ]
    for settings, key in cases:
        config = write_config(tmp_path, settings)
        code, out, err = cli_run(tmp_path, config, "config", "validate")
        assert code == 1
        assert f"{key}: expected a string, got a number (a secret, not shown)" in err
        assert_nowhere(["123456789", "987654321", "55555555"], [out, err], tmp_path / "data")


def test_settings_repr_hides_url_passwords(tmp_path: Path) -> None:
    """repr and str of Settings loaded from a file show no URL password or query token."""
    config = write_config(
        tmp_path,
        {
            "check_overlay_url": "https://ov:OVPASS7@overlay.example/o.json",
            "pip_command": "pip --index-url https://pc:PIPPASS7@idx.example/simple",
            "restart_commands": {"octoprint": "curl https://rs:RSPASS7@host/restart"},
            "webhook": "https://hook.example/x?token=HOOKTOKEN7",
            "checks": {
                "p": {
                    "type": "pypi_release",
                    "package": "pip",
                    "index_url": "https://alice:IDXPASS7@idx.example/simple",
                    "pip": "pip @ https://bob:ZIPPASS7@files.example/pip.zip",
                }
            },
        },
    )
    settings = Settings.from_yaml(config)
    text = repr(settings) + str(settings)
    for secret in ["OVPASS7", "PIPPASS7", "RSPASS7", "HOOKTOKEN7", "IDXPASS7", "ZIPPASS7"]:
        assert secret not in text, secret
    assert "https://***@idx.example/simple" in text  # where the URL points is still shown
