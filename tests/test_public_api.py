"""What a host imports from ``softwareupdate_core``: the facade, the protocols, the errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import softwareupdate_core
from softwareupdate_core import exceptions, protocols


def test_all_is_sorted_and_every_name_resolves() -> None:
    """``__all__`` is sorted and each of its names can be imported from the package."""
    names = softwareupdate_core.__all__
    assert names == sorted(names)
    for name in names:
        assert getattr(softwareupdate_core, name) is not None, name


def test_a_host_gets_the_protocols_and_the_errors_it_catches() -> None:
    """Host, EventSink and the errors a host catches are the very objects of their modules."""
    from softwareupdate_core import (
        ConfigurationInvalid,
        EventSink,
        Host,
        NoUpdateAvailable,
        SoftwareUpdateError,
        UnknownCheckType,
        UpdateAlreadyInProgress,
    )

    assert Host is protocols.Host
    assert EventSink is protocols.EventSink
    assert SoftwareUpdateError is exceptions.SoftwareUpdateError
    for error in (
        ConfigurationInvalid,
        NoUpdateAvailable,
        UnknownCheckType,
        UpdateAlreadyInProgress,
    ):
        assert issubclass(error, SoftwareUpdateError)
        assert getattr(exceptions, error.__name__) is error


def test_every_public_error_derives_from_the_base() -> None:
    """Every exception class the package exports can be caught as SoftwareUpdateError."""
    exported = [
        getattr(softwareupdate_core, name)
        for name in softwareupdate_core.__all__
        if isinstance(getattr(softwareupdate_core, name), type)
        and issubclass(getattr(softwareupdate_core, name), BaseException)
    ]
    assert len(exported) >= 10
    assert all(issubclass(error, exceptions.SoftwareUpdateError) for error in exported)


def test_importing_the_package_stays_lazy(tmp_path: Path) -> None:
    """``import softwareupdate_core`` alone loads neither the exceptions nor the Manager."""
    code = (
        "import sys, softwareupdate_core\n"
        "print(sorted(m for m in sys.modules if m.startswith('softwareupdate_core.')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=tmp_path
    ).stdout
    assert "softwareupdate_core.manager" not in out
    assert "softwareupdate_core.exceptions" not in out
