"""Tests for the settings: defaults, loading, validation messages, secrecy."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest

from softwareupdate_core.config.host_defaults import default_checks
from softwareupdate_core.config.loading import load_yaml, parse_document
from softwareupdate_core.config.settings import (
    Credentials,
    RestartCommands,
    Settings,
    Timeout,
)
from softwareupdate_core.config.validation import validate_check
from softwareupdate_core.exceptions import ConfigurationInvalid
from softwareupdate_core.manager import Manager


def write(tmp_path: Path, text: str, name: str = "config.yaml") -> Path:
    """Write dedented YAML to a file in tmp_path and return its path."""
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


# --- defaults and loading -------------------------------------------------------------------


def test_empty_section_has_the_seed_defaults() -> None:
    """An empty section gives the seed's defaults and units plus this library's additions."""
    settings = Settings.from_mapping({})
    assert settings.checks == {}
    assert settings.pip_command is None
    assert settings.cache_ttl == 1440
    assert settings.notify_users is True
    assert settings.ignore_throttled is False
    assert settings.minimum_free_storage == 150
    assert settings.check_overlay_url == "https://plugins.octoprint.org/update_check_overlay.json"
    assert settings.check_overlay_ttl == 360
    assert settings.credentials.as_dict() == {
        "github": None,
        "bitbucket_user": None,
        "bitbucket_password": None,
        "forgejo": {},
        "gitlab": None,
    }
    assert settings.updatelog_cutoff == 30 * 24 * 60
    assert settings.restart_commands == RestartCommands(octoprint=None, environment=None)
    assert settings.max_workers == 16
    assert settings.per_host_limit == 8
    assert settings.timeout.as_tuple() == (5.0, 20.0)
    assert settings.plugin_folder is None
    assert settings.extra == {}
    assert Settings.from_mapping(None) == settings


def test_every_key_is_read_from_a_mapping() -> None:
    """Every known key of a section lands in its field, converted to its type."""
    settings = Settings.from_mapping(
        {
            "checks": {"foo": {"type": "github_release", "user": "u", "repo": "r"}},
            "pip_command": ["/venv/bin/python", "-m", "pip"],
            "cache_ttl": 60,
            "notify_users": False,
            "ignore_throttled": True,
            "minimum_free_storage": 500.0,
            "check_overlay_url": "http://127.0.0.1/overlay.json",
            "check_overlay_ttl": 0,
            "credentials": {
                "github": "ghp_x",
                "bitbucket_user": "bob",
                "bitbucket_password": "pw",
                "forgejo": {"codeberg": "cb", "https://forge.example/api/v1": "fx"},
                "gitlab": "glpat",
            },
            "updatelog_cutoff": 10,
            "restart_commands": {"octoprint": "restart-op", "environment": "reboot"},
            "max_workers": 2,
            "per_host_limit": 1,
            "timeout": {"connect": 1.5, "read": 7},
            "plugin_folder": "/plugins",
            "stale_limit": 5,
            "max_pages": 3,
            "minimum_python": "3.9",
            "minimum_pip": " 21.0 ",
        },
        source="inline",
    )
    assert settings.checks == {"foo": {"type": "github_release", "user": "u", "repo": "r"}}
    assert settings.pip_command == ["/venv/bin/python", "-m", "pip"]
    assert (settings.cache_ttl, settings.notify_users, settings.ignore_throttled) == (
        60,
        False,
        True,
    )
    assert settings.minimum_free_storage == 500
    assert isinstance(settings.minimum_free_storage, int)
    assert settings.check_overlay_url == "http://127.0.0.1/overlay.json"
    assert settings.check_overlay_ttl == 0
    assert settings.credentials == Credentials(
        github="ghp_x",
        bitbucket_user="bob",
        bitbucket_password="pw",
        forgejo={"codeberg": "cb", "https://forge.example/api/v1": "fx"},
        gitlab="glpat",
    )
    assert settings.credentials_for_checks()["forgejo"]["codeberg"] == "cb"
    assert settings.updatelog_cutoff == 10
    assert settings.restart_commands.for_kind("octoprint") == "restart-op"
    assert settings.restart_commands.for_kind("environment") == "reboot"
    assert settings.restart_commands.for_kind("other") is None
    assert (settings.max_workers, settings.per_host_limit) == (2, 1)
    assert settings.timeout == Timeout(connect=1.5, read=7.0)
    assert settings.plugin_folder == "/plugins"
    assert (settings.stale_limit, settings.max_pages) == (5, 3)
    assert (settings.minimum_python, settings.minimum_pip) == ("3.9", "21.0")
    assert settings.source == "inline"


def test_partial_and_single_number_timeouts() -> None:
    """A timeout mapping may give one of its parts; a single number sets both."""
    assert Settings.from_mapping({"timeout": {"read": 3}}).timeout.as_tuple() == (5.0, 3.0)
    assert Settings.from_mapping({"timeout": {"connect": 2}}).timeout.as_tuple() == (2.0, 20.0)
    assert Settings.from_mapping({"timeout": 9}).timeout.as_tuple() == (9.0, 9.0)


def test_empty_values_mean_unset() -> None:
    """Null and empty strings mean "not set": defaults stay, the overlay URL can be switched off."""
    settings = Settings.from_mapping(
        {
            "cache_ttl": None,
            "pip_command": "",
            "check_overlay_url": None,
            "credentials": {"github": "", "bitbucket_user": None, "forgejo": {"codeberg": None}},
            "checks": {"foo": None},
        }
    )
    assert settings.cache_ttl == 1440
    assert settings.pip_command is None
    assert settings.check_overlay_url is None
    assert settings.credentials == Credentials()
    assert settings.checks == {"foo": {}}


def test_unknown_keys_survive() -> None:
    """Unknown top-level keys go to extra; unknown check keys stay in the check unchanged."""
    check = {"type": "jsondata", "jsondata": "http://x/v.json", "my_option": [1, {"a": 2}]}
    settings = Settings.from_mapping({"host_target": "klipper", "checks": {"k": check}, "n": 3})
    assert settings.extra == {"n": 3}
    assert settings.host_target == "klipper"
    assert settings.checks["k"] == check


def test_bare_section_file(tmp_path: Path) -> None:
    """A YAML file holding the section itself loads, with the file as source."""
    path = write(
        tmp_path,
        """
        cache_ttl: 30
        checks:
          foo:
            type: github_release
            user: someUser
            repo: OctoPrint-SomePlugin
            prerelease: true
            prerelease_channel: rc/maintenance
            stable_branch: {name: Stable, branch: master, commitish: [master]}
            prerelease_branches:
            - name: Maintenance RCs
              branch: rc/maintenance
              commitish: [rc/maintenance, master]
        """,
    )
    settings = Settings.from_yaml(path)
    assert settings.cache_ttl == 30
    assert settings.checks["foo"]["prerelease_branches"][0]["commitish"] == [
        "rc/maintenance",
        "master",
    ]
    assert settings.source == str(path)


def test_wrapped_section_file(tmp_path: Path) -> None:
    """A YAML file with a single ``softwareupdate:`` key loads the section below it."""
    path = write(tmp_path, "softwareupdate:\n  notify_users: false\n  max_workers: 3\n")
    settings = load_yaml(path)
    assert (settings.notify_users, settings.max_workers) == (False, 3)


def test_whole_octoprint_config(tmp_path: Path) -> None:
    """A whole config.yaml reads plugins.softwareupdate and the server's restart commands."""
    path = write(
        tmp_path,
        """
        server:
          commands:
            serverRestartCommand: sudo service octoprint restart
            systemRestartCommand: sudo shutdown -r now
        webcam: {stream: /webcam}
        plugins:
          _disabled: [foo]
          softwareupdate:
            cache_ttl: 5
            credentials: {github: ghp_secret}
        """,
    )
    settings = Settings.from_yaml(path)
    assert settings.cache_ttl == 5
    assert settings.credentials.github == "ghp_secret"
    assert settings.restart_commands == RestartCommands(
        octoprint="sudo service octoprint restart", environment="sudo shutdown -r now"
    )
    assert settings.extra == {}


def test_section_restart_commands_override_server_commands() -> None:
    """restart_commands, then the older section keys, win over server.commands."""
    document = {
        "server": {"commands": {"serverRestartCommand": "srv", "systemRestartCommand": "sys"}},
        "plugins": {
            "softwareupdate": {
                "restart_commands": {"octoprint": "mine"},
                "environment_restart_command": "legacy",
            }
        },
    }
    restart = parse_document(document).restart_commands
    assert restart == RestartCommands(octoprint="mine", environment="legacy")


def test_config_without_plugins_section_uses_defaults() -> None:
    """A whole config with only a server section is not mistaken for a bare section."""
    settings = parse_document({"server": {"commands": {"serverRestartCommand": "r"}}})
    assert settings.restart_commands.octoprint == "r"
    assert settings.extra == {}
    assert settings.cache_ttl == 1440


def test_empty_file_gives_defaults(tmp_path: Path) -> None:
    """An empty YAML file is an empty section."""
    settings = load_yaml(write(tmp_path, ""))
    assert settings.cache_ttl == 1440
    assert settings.checks == {}


def test_default_settings_check_pip_and_this_library() -> None:
    """The built-in default checks pip and softwareupdate-core on the index, no overlays."""
    settings = Settings.default()
    assert set(settings.checks) == {"pip", "softwareupdate-core"}
    assert settings.checks == default_checks()
    assert all(c["type"] == "pypi_release" for c in settings.checks.values())
    assert settings.check_overlay_url is None
    assert settings.source == "built-in defaults"


def test_replace_returns_a_changed_copy() -> None:
    """replace() changes only the copy; Settings are frozen."""
    settings = Settings.from_mapping({})
    changed = settings.replace(cache_ttl=1, plugin_folder="/p")
    assert (changed.cache_ttl, changed.plugin_folder) == (1, "/p")
    assert (settings.cache_ttl, settings.plugin_folder) == (1440, None)
    with pytest.raises(AttributeError):
        settings.cache_ttl = 2  # type: ignore[misc]


def test_secrets_never_appear_in_repr() -> None:
    """Credentials and secret-looking check and extra keys are masked in repr and str."""
    settings = Settings.from_mapping(
        {
            "credentials": {
                "github": "GH-SECRET-1",
                "bitbucket_user": "BB-USER-2",
                "bitbucket_password": "BB-PASS-3",
                "forgejo": {"codeberg": "FJ-TOKEN-4"},
                "gitlab": "GL-TOKEN-5",
            },
            "checks": {
                "private": {
                    "type": "bitbucket_commit",
                    "api_user": "someone",
                    "api_password": "CHECK-PASS-6",
                    "headers": {"Authorization": "Bearer CHECK-TOKEN-7"},
                    "nested": [{"access_token": "CHECK-TOKEN-8"}],
                }
            },
            "webhook_secret": "EXTRA-SECRET-9",
        }
    )
    text = repr(settings) + str(settings) + repr(settings.credentials)
    for n, secret in enumerate(
        ["GH-SECRET", "BB-USER", "BB-PASS", "FJ-TOKEN", "GL-TOKEN", "CHECK-PASS", "CHECK-TOKEN"],
        start=1,
    ):
        assert secret not in text, (n, secret)
    assert "EXTRA-SECRET" not in text
    assert "bitbucket_commit" in text  # ordinary values are still shown
    assert "someone" in text
    # the values themselves are untouched
    assert settings.checks["private"]["api_password"] == "CHECK-PASS-6"
    assert settings.extra["webhook_secret"] == "EXTRA-SECRET-9"


# --- validation messages --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ({"cache_ttl": "abc"}, "cache_ttl: expected a number, got 'abc'"),
        ({"cache_ttl": True}, "cache_ttl: expected a number, got True"),
        ({"cache_ttl": 1.5}, "cache_ttl: expected a whole number, got 1.5"),
        ({"cache_ttl": -1}, "cache_ttl: expected a number at least 0, got -1"),
        ({"cache_ttl": float("nan")}, "cache_ttl: expected a finite number, got nan"),
        ({"max_workers": 0}, "max_workers: expected a number at least 1, got 0"),
        ({"notify_users": "yes"}, "notify_users: expected a boolean, got 'yes'"),
        ({"checks": ["foo"]}, "checks: expected a mapping, got a list"),
        ({"checks": {"foo": "github_release"}}, "checks.foo: expected a mapping, got 'github_"),
        ({"pip_command": {"a": 1}}, "pip_command: expected a string or a list of strings, got a"),
        ({"pip_command": ["pip", 3]}, "pip_command: expected a string or a list of strings"),
        ({"timeout": -1}, "timeout: expected a number greater than 0, got -1"),
        ({"timeout": {"read": 0}}, "timeout.read: expected a number greater than 0, got 0"),
        ({"timeout": {"connect": "5s"}}, "timeout.connect: expected a number, got '5s'"),
        (
            {"credentials": "token"},
            "credentials: expected a mapping, got a string (a secret, not shown)",
        ),
        (
            {"credentials": {"github": 123}},
            "credentials.github: expected a string, got a number (a secret, not shown)",
        ),
        (
            {"credentials": {"forgejo": {"codeberg": 1}}},
            "credentials.forgejo.codeberg: expected a string, got a number (a secret, not shown)",
        ),
        (
            {"credentials": {"forgejo": "x"}},
            "credentials.forgejo: expected a mapping, got a string (a secret, not shown)",
        ),
        (
            {"restart_commands": {"octoprint": ["a"]}},
            "restart_commands.octoprint: expected a string, got a list",
        ),
        ({"minimum_pip": 19.0}, "minimum_pip: expected a version string (quote it), got 19.0"),
        ({"minimum_python": "three"}, "minimum_python: not a PEP 440 version: 'three'"),
        ({"check_overlay_url": 5}, "check_overlay_url: expected a string, got 5"),
        (
            {"checks": {"foo": {"prerelease": "maybe"}}},
            "checks.foo.prerelease: expected a boolean, got 'maybe'",
        ),
        (
            {"checks": {"foo": {"prerelease_branches": {"branch": "x"}}}},
            "checks.foo.prerelease_branches: expected a list, got a dict",
        ),
        (
            {"checks": {"foo": {"prerelease_branches": ["rc/devel"]}}},
            "checks.foo.prerelease_branches[0]: expected a mapping, got 'rc/devel'",
        ),
        (
            {"checks": {"foo": {"prerelease_branches": [{"branch": "a"}, {"name": "B"}]}}},
            "checks.foo.prerelease_branches[1].branch: expected a string, got nothing",
        ),
        (
            {"checks": {"foo": {"prerelease_branches": [{"branch": "a", "commitish": [1]}]}}},
            "checks.foo.prerelease_branches[0].commitish: expected a string or a list of strings",
        ),
        (
            {"checks": {"foo": {"stable_branch": {"branch": "m", "name": 2}}}},
            "checks.foo.stable_branch.name: expected a string, got 2",
        ),
    ],
)
def test_wrong_types_name_the_key_path(section: dict[str, Any], message: str) -> None:
    """A wrong value is an error whose message starts with the key path.

    A value inside one check fails that target only (issue 9 item 14), others the file.
    """
    if message.startswith("checks.foo"):
        settings = Settings.from_mapping({**section, "cache_ttl": 5})
        assert settings.invalid_checks["foo"].startswith(message)
        assert settings.cache_ttl == 5
        return
    with pytest.raises(ConfigurationInvalid) as info:
        Settings.from_mapping(section)
    assert str(info.value).startswith(message)
    assert info.value.key == message.split(": ", 1)[0]


def test_non_mapping_section_is_rejected() -> None:
    """A section that is not a mapping is a ConfigurationInvalid, not an AttributeError."""
    with pytest.raises(ConfigurationInvalid, match="expected a mapping, got a list"):
        Settings.from_mapping(["cache_ttl"])  # type: ignore[arg-type]


def test_whole_config_error_names_file_and_full_key_path(tmp_path: Path) -> None:
    """In a whole config.yaml the message is 'file: plugins.softwareupdate.<path>: problem'."""
    path = write(
        tmp_path,
        """
        plugins:
          softwareupdate:
            checks:
              foo:
                type: github_release
                prerelease: maybe
        """,
    )
    settings = Settings.from_yaml(path)
    assert settings.invalid_checks["foo"] == (
        f"{path}: plugins.softwareupdate.checks.foo.prerelease: expected a boolean, got 'maybe'"
    )


@pytest.mark.parametrize(
    ("text", "key_and_problem"),
    [
        ("cache_ttl: soon\n", "cache_ttl: expected a number, got 'soon'"),
        (
            "checks:\n  foo:\n    prerelease: maybe\ncache_ttl: soon\n",
            "cache_ttl: expected a number, got 'soon'",
        ),
        (
            "softwareupdate:\n  checks: []\n",
            "softwareupdate.checks: expected a mapping, got a list",
        ),
        ("softwareupdate: 5\n", "softwareupdate: expected a mapping, got 5"),
        ("plugins:\n  softwareupdate: [1]\n", "plugins.softwareupdate: expected a mapping, got a"),
        ("plugins: 3\n", "plugins: expected a mapping, got 3"),
        (
            "server:\n  commands:\n    serverRestartCommand: [a]\n",
            "server.commands.serverRestartCommand: expected a string, got a list",
        ),
        ("minimum_python: 3.10\n", "minimum_python: expected a version string (quote it), got 3.1"),
        ("- a\n- b\n", "expected a mapping at the top level, got a list"),
    ],
)
def test_file_errors_name_file_and_key_path(
    tmp_path: Path, text: str, key_and_problem: str
) -> None:
    """Errors in files read as '<file>: <key path>: <problem>' for every document shape."""
    path = write(tmp_path, text)
    with pytest.raises(ConfigurationInvalid) as info:
        load_yaml(path)
    assert str(info.value).startswith(f"{path}: {key_and_problem}")


def test_missing_file(tmp_path: Path) -> None:
    """A missing file is a ConfigurationInvalid naming it."""
    path = tmp_path / "absent.yaml"
    with pytest.raises(ConfigurationInvalid) as info:
        Settings.from_yaml(path)
    assert str(info.value) == f"{path}: cannot read the file: No such file or directory"


def test_directory_path(tmp_path: Path) -> None:
    """A directory given as the config file is a ConfigurationInvalid naming it."""
    with pytest.raises(ConfigurationInvalid) as info:
        Settings.from_yaml(tmp_path)
    assert str(info.value) == f"{tmp_path}: cannot read the file: Is a directory"


def test_invalid_yaml_names_line_and_column(tmp_path: Path) -> None:
    """Broken YAML is a ConfigurationInvalid giving the line and column of the problem."""
    path = write(tmp_path, "cache_ttl: 5\nchecks:\n  foo: [1, 2\nnotify_users: true\n")
    with pytest.raises(ConfigurationInvalid) as info:
        load_yaml(path)
    message = str(info.value)
    assert message.startswith(f"{path}: not valid YAML at line 4, column 13: ")
    assert "expected ',' or ']'" in message


def test_yaml_with_control_character(tmp_path: Path) -> None:
    """A NUL byte in the file is reported as invalid YAML, not a reader traceback."""
    path = tmp_path / "config.yaml"
    path.write_bytes(b"cache_ttl: 5\x00\n")
    with pytest.raises(ConfigurationInvalid, match=r"not valid YAML: unacceptable character"):
        load_yaml(path)


def test_non_utf8_file(tmp_path: Path) -> None:
    """Bytes that are not UTF-8 are a ConfigurationInvalid giving the line and byte offset."""
    path = tmp_path / "config.yaml"
    path.write_bytes(b"checks:\n  foo:\n    displayName: caf\xe9\n")
    with pytest.raises(ConfigurationInvalid) as info:
        load_yaml(path)
    assert (
        str(info.value) == f"{path}: not UTF-8 text: invalid continuation byte at line 3 (byte 35)"
    )


def test_item20_whole_config_gets_octoprint_1_11_8_defaults(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """issue 9 item 20: octoprint (as 1.11.8 ships it) when installed; pip only when named."""
    import softwareupdate_core.config.host_defaults as loading_module

    installed = {"OctoPrint": "1.11.8"}
    monkeypatch.setattr(loading_module, "_installed_version", installed.get)
    path = write(
        tmp_path,
        "plugins:\n  softwareupdate:\n    checks:\n      octoprint:\n        prerelease: true\n",
    )
    settings = Settings.from_yaml(path)
    octoprint = settings.default_checks["octoprint"]
    assert (octoprint["type"], octoprint["current"]) == ("github_release", "1.11.8")
    assert octoprint["stable_branch"]["commitish"] == ["master", "main"]
    assert [(c["branch"], c["commitish"]) for c in octoprint["prerelease_branches"]] == [
        ("rc/maintenance", ["rc/maintenance", "next"]),
        ("rc/devel", ["rc/maintenance", "rc/devel", "next"]),
    ]
    assert "pip" not in settings.default_checks
    assert settings.checks["octoprint"] == {"prerelease": True}
    with_pip = write(tmp_path, "plugins:\n  softwareupdate:\n    checks:\n      pip: {}\n")
    assert Settings.from_yaml(with_pip).default_checks["pip"]["package"] == "pip"
    installed.clear()  # OctoPrint not installed here: no OctoPrint target at all
    bare = write(tmp_path, "plugins:\n  softwareupdate:\n    checks: {}\n")
    assert Settings.from_yaml(bare).default_checks == {}


def test_item20_disabled_plugin_checks_nothing_and_says_so(tmp_path: Path) -> None:
    """issue 9 item 20: plugins._disabled: [softwareupdate] means nothing to check, said plainly."""
    path = write(
        tmp_path,
        "plugins:\n  _disabled: [softwareupdate]\n  softwareupdate:\n    checks:\n"
        "      x:\n        type: always_current\n",
    )
    settings = Settings.from_yaml(path)
    assert settings.checks == {} and settings.default_checks == {}
    assert "plugins._disabled" in (settings.disabled_reason or "")
    with Manager(settings, data_folder=tmp_path / "data", load_entrypoints=False) as manager:
        assert manager.check().targets == {}


def test_bare_sections_have_no_default_checks(tmp_path: Path) -> None:
    """Only a whole OctoPrint config brings OctoPrint's defaults; a bare section does not."""
    settings = Settings.from_yaml(write(tmp_path, "checks: {}\n"))
    assert settings.default_checks == {}


# --- validate_check (configs from plugins, overlays, hosts) ---------------------------------


def test_validate_check_names_the_check_key_and_source() -> None:
    """validate_check raises ConfigurationInvalid naming the source and checks.<name>.<key>."""
    with pytest.raises(ConfigurationInvalid) as info:
        validate_check("plug", {"type": "fake", "stable_branch": {"branch": "s", "commitish": 5}})
    assert info.value.key == "checks.plug.stable_branch.commitish"
    with pytest.raises(ConfigurationInvalid) as info:
        validate_check("plug", {"prerelease": "maybe"}, source="plugin X")
    assert str(info.value).startswith("plugin X: checks.plug.prerelease: expected a boolean")


def test_validate_check_returns_a_copy_with_unknown_keys() -> None:
    """A valid config comes back as an equal copy; unknown keys and callables pass."""
    check: dict[str, Any] = {"type": "github_release", "custom_compare": len, "x": [1]}
    result = validate_check("t", check)
    assert result == check and result is not check


def test_validate_check_agrees_with_the_checks_section() -> None:
    """The same entry fails in the checks section and in validate_check, at the same key."""
    bad = {"type": "fake", "prerelease": "sideways"}
    from_section = Settings.from_mapping({"checks": {"t": bad}}).invalid_checks["t"]
    with pytest.raises(ConfigurationInvalid) as direct:
        validate_check("t", bad)
    assert direct.value.key == "checks.t.prerelease"
    assert from_section == str(direct.value)
