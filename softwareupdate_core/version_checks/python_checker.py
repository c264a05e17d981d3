"""The ``python_checker`` check: a plugin's own Python code finds the newest version.

Config: ``python_checker`` (mandatory), an object with a ``get_latest`` callable (a module
qualifies) or a callable itself. It is called as ``get_latest(target, check, online=...,
credentials=..., **kwargs)``; keywords its signature does not accept are left out, so
checkers written for older signatures (``(target, check)`` or ``(target, check, online)``)
keep working. It returns ``(information, is_current)`` where information is a
:class:`~softwareupdate_core.models.VersionInformation` or OctoPrint's dict shape.

Errors: a :class:`~softwareupdate_core.exceptions.SoftwareUpdateError` raised by the checker
passes through unchanged; any other exception, and a result of the wrong shape, becomes a
:class:`~softwareupdate_core.exceptions.CheckError` naming the target.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Callable, Optional

import attrs

from ..exceptions import CheckError, ConfigurationInvalid, SoftwareUpdateError
from ..models import VersionInformation
from ..util import PluginCall
from . import _capabilities
from ._checkconfig import key_path, parsed_config, require_online

#: Calls plugin code that usually asks a server: offline only with ``offline: true``.
CAPABILITIES = _capabilities.LOCAL_CODE


@attrs.frozen
class Config:
    """The parsed ``python_checker`` config: the function to call."""

    function: Callable[..., Any]


def parse_config(target: str, check: Mapping[str, Any]) -> Config:
    """Read ``python_checker`` (mandatory: a callable or an object with ``get_latest``)."""
    return Config(_checker(check, target))


def get_latest(
    target: str,
    check: Mapping[str, Any],
    online: bool = True,
    credentials: Optional[Mapping[str, Any]] = None,
    **kwargs: Any,
) -> tuple[VersionInformation, bool]:
    """Call the configured checker and validate what it returns.

    While the host is offline the checker is not called (:class:`CannotCheckOffline`, as in
    the reference) unless the check sets ``offline: true``; then it is called with
    ``online=False``.
    """
    func = parsed_config(kwargs, Config, parse_config, target, check).function
    require_online(target, check, online, "python_checker")
    call = PluginCall.of(func)
    offered = {"online": online, "credentials": credentials, **kwargs}
    problem = call.problem(target, {}, **offered)
    if problem is not None:
        raise ConfigurationInvalid(
            f"cannot be called as (target, check): {problem}",
            key=key_path(target, "python_checker"),
        )
    try:
        result = call(target, check, **offered)
    except SoftwareUpdateError:
        raise
    except Exception as exc:
        raise CheckError(f"{target}: python_checker raised {type(exc).__name__}: {exc}") from exc
    return _validate(result, target)


def _checker(check: Mapping[str, Any], target: str) -> Callable[..., Any]:
    obj = check.get("python_checker")
    if obj is None:
        raise ConfigurationInvalid(
            "is mandatory for the python_checker check", key=key_path(target, "python_checker")
        )
    method = getattr(obj, "get_latest", None)
    if callable(method):
        return method  # type: ignore[no-any-return]
    if callable(obj):
        return obj  # type: ignore[no-any-return]
    raise ConfigurationInvalid(
        f"expected a callable or an object with get_latest, got {type(obj).__name__}",
        key=key_path(target, "python_checker"),
    )


def _validate(result: object, target: str) -> tuple[VersionInformation, bool]:
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        raise CheckError(
            f"{target}: python_checker must return (information, is_current), "
            f"got {_describe(result)}"
        )
    raw, is_current = result
    if not isinstance(is_current, bool):
        raise CheckError(
            f"{target}: python_checker's is_current must be a bool, got {type(is_current).__name__}"
        )
    if not isinstance(raw, (VersionInformation, Mapping)):
        raise CheckError(
            f"{target}: python_checker's information must be VersionInformation or a mapping, "
            f"got {type(raw).__name__}"
        )
    try:
        information = VersionInformation.coerce(raw)
    except CheckError as exc:
        raise CheckError(f"{target}: python_checker returned bad information: {exc}") from None
    return information, is_current


def _describe(value: object) -> str:
    if isinstance(value, (tuple, list)):
        return f"a {type(value).__name__} of {len(value)} items"
    return type(value).__name__
