"""The public models and their OctoPrint-shaped dicts."""

from __future__ import annotations

import datetime as dt

import pytest

from softwareupdate_core.exceptions import CheckError
from softwareupdate_core.models import (
    CheckReport,
    ReleaseChannel,
    ReleaseChannels,
    RemoteRef,
    TargetStatus,
    UpdateLogEntry,
    UpdateReport,
    UpdateResult,
    VersionInformation,
    VersionRef,
)


def _info(local: str = "1.0.0", remote: str = "1.1.0") -> VersionInformation:
    return VersionInformation(VersionRef(local, local), RemoteRef(remote, remote, "https://notes"))


def test_version_information_dict_shape_matches_octoprint() -> None:
    """as_dict() gives the local/remote/needs_online shape OctoPrint's checkers return."""
    assert _info().as_dict() == {
        "local": {"name": "1.0.0", "value": "1.0.0"},
        "remote": {"name": "1.1.0", "value": "1.1.0", "release_notes": "https://notes"},
        "needs_online": True,
    }


def test_version_information_round_trips_through_the_dict_shape() -> None:
    """A third-party checker's dict is accepted and means the same as the model."""
    info = _info()
    assert VersionInformation.coerce(info.as_dict()) == info
    assert VersionInformation.coerce(info) is info


@pytest.mark.parametrize(
    "bad",
    [None, "1.0", {"local": "1.0", "remote": {}}, {"remote": {"name": "x", "value": "x"}}],
)
def test_malformed_checker_dicts_are_a_check_error(bad: object) -> None:
    """A checker returning a wrong shape gives CheckError, not a KeyError/TypeError."""
    with pytest.raises(CheckError):
        VersionInformation.coerce(bad)  # type: ignore[arg-type]


def test_check_report_status_and_api_shape() -> None:
    """The report's status follows OctoPrint: updatePossible beats updateAvailable beats current."""
    stamp = dt.datetime(2026, 1, 2, tzinfo=dt.timezone.utc)
    current = TargetStatus("a", "A", "1.0", information=_info("1.1.0", "1.1.0"))
    available = TargetStatus("b", "B", "1.0", information=_info(), update_available=True)
    possible = TargetStatus(
        "c",
        "C",
        "1.0",
        information=_info(),
        update_available=True,
        update_possible=True,
        release_channels=ReleaseChannels(
            (ReleaseChannel("master", "Stable", ("master",)),), "master", "master"
        ),
    )
    assert CheckReport({"a": current}).status == "current"
    assert CheckReport({"a": current, "b": available}).status == "updateAvailable"
    report = CheckReport({"a": current, "b": available, "c": possible}, checked_at=stamp)
    assert report.status == "updatePossible"
    data = report.as_dict()
    assert data["timestamp"] == "2026-01-02T00:00:00+00:00"
    entry = data["information"]["c"]
    for key in (
        "updateAvailable",
        "updatePossible",
        "information",
        "displayName",
        "displayVersion",
        "releaseNotes",
        "online",
        "error",
        "disabled",
        "compatible",
        "releaseChannels",
    ):
        assert key in entry
    assert entry["releaseChannels"]["available"][0] == {"name": "Stable", "channel": "master"}


def test_update_log_entry_uses_octoprint_names_and_round_trips() -> None:
    """The update log is stored with current_version/target_version like OctoPrint's."""
    entry = UpdateLogEntry(
        dt.datetime(2026, 1, 1, 12, tzinfo=dt.timezone.utc),
        "p",
        "1.0",
        "1.1",
        "P",
        None,
        True,
        "ok",
    )
    data = entry.as_dict()
    assert data["current_version"] == "1.0" and data["target_version"] == "1.1"
    assert UpdateLogEntry.from_dict(data) == entry


def test_update_report_success_counts_skipped_as_fine() -> None:
    """A skipped target does not make the round a failure; a failed one does."""
    ok = UpdateReport(
        {"a": UpdateResult("a", True), "b": UpdateResult("b", False, outcome="skipped")}
    )
    assert ok.success
    bad = UpdateReport({"a": UpdateResult("a", False, outcome="failed")})
    assert not bad.success
    assert UpdateReport(refused="throttled").success is False
