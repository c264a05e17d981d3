"""The exception hierarchy and the report codes it carries."""

from __future__ import annotations

import json

import pytest

from softwareupdate_core import exceptions as exc


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (exc.NetworkError("x"), "network"),
        (exc.CannotCheckOffline("x"), "network"),
        (exc.ApiCheckError("x", status=500), "api"),
        (exc.RateLimitCheckError("x", remaining=0, reset=1.0), "ratelimit"),
        (exc.CheckError("x"), "check"),
        (exc.UnknownCheckType("x"), "unknown_check"),
        (exc.UpdateError("x"), "update"),
        (exc.ScriptError(1, "out", "err"), "update"),
        (ValueError("x"), "unknown"),
    ],
)
def test_each_error_maps_to_its_report_code(error: BaseException, code: str) -> None:
    """One lookup turns any exception into the check report's error code."""
    assert exc.error_code(error) == code


def test_every_public_exception_derives_from_the_base() -> None:
    """Hosts can catch SoftwareUpdateError and get every error of the library."""
    names = [n for n in dir(exc) if isinstance(getattr(exc, n), type)]
    errors = [getattr(exc, n) for n in names if issubclass(getattr(exc, n), Exception)]
    assert len(errors) >= 15
    assert all(issubclass(e, exc.SoftwareUpdateError) for e in errors)


def test_configuration_error_names_file_and_key() -> None:
    """The message reads 'file: key.path: problem', as a user would want in one line."""
    error = exc.ConfigurationInvalid("expected a boolean", source="/c.yaml", key="checks.a.x")
    assert str(error) == "/c.yaml: checks.a.x: expected a boolean"


def test_script_error_keeps_output() -> None:
    """A failing command's output stays available to the update log."""
    error = exc.ScriptError(2, "so", "se", command="pip")
    assert error.returncode == 2 and error.stdout == "so" and error.stderr == "se"
    assert "pip" in str(error) and isinstance(error, exc.UpdateError)


def test_transport_errors_do_not_depend_on_the_phase() -> None:
    """Network, API and rate-limit errors are TransportErrors, not check-phase CheckErrors."""
    for error in (
        exc.NetworkError("x"),
        exc.ApiCheckError("x", status=500),
        exc.RateLimitCheckError("x"),
    ):
        assert isinstance(error, exc.TransportError)
        assert isinstance(error, exc.SoftwareUpdateError)
        assert not isinstance(error, exc.CheckError)
    assert not issubclass(exc.CheckError, exc.TransportError)


def test_unknown_target_is_its_own_error() -> None:
    """An unknown target name is UnknownTarget (a KeyError too), not UnknownCheckType."""
    error = exc.UnknownTarget("ghost: no check is configured for it")
    assert isinstance(error, KeyError) and isinstance(error, exc.SoftwareUpdateError)
    assert not isinstance(error, exc.UnknownCheckType)
    assert str(error) == "ghost: no check is configured for it"  # not KeyError's quoted repr


def test_error_codes_read_as_their_strings() -> None:
    """Codes compare, format and serialise exactly as the strings OctoPrint's API uses."""
    code = exc.error_code(exc.NetworkError("x"))
    assert code is exc.ErrorCode.NETWORK
    assert code == "network" and str(code) == "network" and f"{code}" == "network"
    assert json.dumps({"error": code}) == '{"error": "network"}'
