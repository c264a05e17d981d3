"""One secret policy: a URL token is masked the same way in every place text leaves the library."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import yaml

from softwareupdate_core import Settings
from softwareupdate_core.exceptions import ConfigurationInvalid, UpdateError
from softwareupdate_core.redact import redact_urls
from softwareupdate_core.store.shared_cache import SharedCacheSettings
from tests.childcli import run_cli

TOKEN = "TOK3N-SECRET-41"
URL = f"https://bob:{TOKEN}@127.0.0.1:9/x.zip"
MASKED = "https://***@127.0.0.1:9/x.zip"

# A stand-in for pip that echoes the requirement (with its token) and fails, as pip would.
FAKE_PIP = """\
import sys
print("Collecting", sys.argv[-1])
print("ERROR: could not fetch", sys.argv[-1], file=sys.stderr)
sys.exit(1)
"""


def _urls(text: str) -> set[str]:
    """Every spelling of the pip URL in ``text``."""
    return set(re.findall(r"https://[^\s\"'\\]*x\.zip", text))


def test_a_token_in_a_pip_url_is_masked_identically_everywhere(tmp_path: Path) -> None:
    """repr(Settings), config show (YAML and JSON), --debug logs, the JSON update report and
    the update log all show the pip URL as https://***@host, and never the token."""
    fake_pip = tmp_path / "fake_pip.py"
    fake_pip.write_text(FAKE_PIP)
    config = tmp_path / "config.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "check_overlay_url": None,
                "minimum_free_storage": 0,
                "pip_command": [sys.executable, str(fake_pip)],
                "checks": {"t": {"type": "never_current", "pip": URL}},
            }
        )
    )
    base = ("--config", str(config), "--data-folder", str(tmp_path / "data"))
    update = run_cli("--debug", *base, "update", "--json", cwd=tmp_path)
    show = run_cli(*base, "config", "show", cwd=tmp_path)
    show_json = run_cli(*base, "config", "show", "--json", cwd=tmp_path)
    log = run_cli(*base, "log", "--json", cwd=tmp_path)
    report = json.loads(update.stdout)
    entries = json.loads(log.stdout)
    outputs = {
        "repr(Settings)": repr(Settings.from_yaml(config)),
        "config show": show.stdout,
        "config show --json": json.dumps(json.loads(show_json.stdout)["checks"]["t"]),
        "--debug log": update.stderr,
        "JSON report": json.dumps(report),
        "update log": json.dumps(entries),
    }
    for where, text in outputs.items():
        assert TOKEN not in text, where
        assert _urls(text) == {MASKED}, (where, _urls(text))
    assert report["results"]["t"]["outcome"] == "failed"
    assert MASKED in report["results"]["t"]["text"]


def test_exception_messages_pass_the_policy_wherever_they_are_raised() -> None:
    """An error made with a token in its message has it masked in str, repr and args."""
    error = UpdateError(f"cannot fetch {URL}")
    for text in (str(error), repr(error), repr(error.args)):
        assert TOKEN not in text
        assert MASKED in text


def test_a_wrongly_typed_value_does_not_echo_a_url_token() -> None:
    """A URL with a token given where a boolean belongs is named masked in the config error."""
    settings = Settings.from_mapping({"checks": {"t": {"prerelease": URL}}})
    message = settings.invalid_checks["t"]
    assert TOKEN not in message
    assert MASKED in message
    try:
        Settings.from_mapping({"notify_users": URL})
    except ConfigurationInvalid as exc:
        assert TOKEN not in str(exc) and MASKED in str(exc)
    else:
        raise AssertionError("a URL is not a boolean")


def test_the_redis_url_is_masked_by_the_same_policy() -> None:
    """The shared cache shows its URL exactly as the one policy masks any other URL."""
    for url in ("redis://:pw@cache:6379/0", "redis://user:pw@cache:6379/0"):
        shown = SharedCacheSettings.from_mapping({"url": url}).display_url
        assert shown == redact_urls(url, keep_user=True)
        assert "pw" not in shown
