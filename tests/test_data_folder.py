"""An unusable data folder is one clear configuration error, from the Manager and the CLI."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Union

import pytest

from softwareupdate_core import Manager
from softwareupdate_core.cli import cli
from softwareupdate_core.exceptions import ConfigurationInvalid
from tests.clirunner import runner

SETTINGS = {"checks": {"a": {"type": "never_current"}}}


def test_a_missing_data_folder_is_created_with_its_parents(tmp_path: Path) -> None:
    """A data folder that does not exist yet is created, parents included, and then used."""
    folder = tmp_path / "deep" / "data"
    with Manager(SETTINGS, data_folder=folder, load_entrypoints=False) as manager:
        assert folder.is_dir()
        manager.skip("a", "1.0.1")
    assert (folder / "state.json").is_file()


@pytest.mark.parametrize("below", [False, True])
def test_a_file_in_the_data_folder_path_is_a_configuration_error(
    tmp_path: Path, below: bool
) -> None:
    """A regular file as the data folder, or on its path, raises ConfigurationInvalid naming it."""
    blocker = tmp_path / "blocker"
    blocker.write_text("not a folder", encoding="utf-8")
    folder = blocker / "data" if below else blocker
    with pytest.raises(ConfigurationInvalid) as info:
        Manager(SETTINGS, data_folder=folder, load_entrypoints=False)
    message = str(info.value)
    assert message.startswith(f"data folder {folder}: ")
    assert "not a directory" in message.lower()
    assert blocker.read_text(encoding="utf-8") == "not a folder"


def test_a_read_only_data_folder_is_said_once_and_still_usable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A data folder the process may not write gives one warning; the Manager still reads it."""
    folder = tmp_path / "data"
    folder.mkdir()
    real_access = os.access
    asked: list[tuple[str, int]] = []

    def access(path: Union[str, os.PathLike[str]], mode: int, **kwargs: Any) -> bool:
        asked.append((os.fspath(path), mode))
        if Path(path) == folder:
            return False  # as for a non-root user: root passes every permission check
        return real_access(path, mode, **kwargs)

    monkeypatch.setattr(os, "access", access)
    with Manager(SETTINGS, data_folder=folder, load_entrypoints=False) as manager:
        assert manager.update_log() == []
    warnings = [r.getMessage() for r in caplog.records if "read-only" in r.getMessage()]
    assert warnings == [
        f"data folder {folder} is read-only: checks run, but nothing is saved "
        "and updates are not possible"
    ]
    assert (str(folder), os.W_OK | os.X_OK) in asked


def test_the_cli_reports_an_unusable_data_folder_in_one_line(tmp_path: Path) -> None:
    """``--data-folder <file>/x check`` prints one error line naming the folder and exits 1."""
    blocker = tmp_path / "blocker"
    blocker.write_text("", encoding="utf-8")
    result = runner().invoke(cli, ["--data-folder", str(blocker / "x"), "check"])
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("Error: data folder ")
    assert str(blocker / "x") in lines[0] and "unexpected" not in lines[0]


def test_without_a_data_folder_the_users_platform_data_folder_is_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No data_folder: state goes to the per-user data folder ($XDG_DATA_HOME here)."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    with Manager(SETTINGS, load_entrypoints=False) as manager:
        manager.skip("a", "1.0.1")
    assert (tmp_path / "xdg" / "softwareupdate-core" / "state.json").is_file()
