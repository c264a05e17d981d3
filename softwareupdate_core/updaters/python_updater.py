"""Update method ``python_updater``: hand the update to Python code a plugin supplied.

``check["python_updater"]`` (only settable through the ``check_config`` hook) is an object
with ``perform_update`` and optionally ``can_perform_update``, or a plain callable used as
``perform_update``. It is called with the keywords it accepts, so updaters written for older
signatures (without ``online`` or ``force``) keep working. Errors from the plugin's code that
are not of this library's family become :class:`~softwareupdate_core.exceptions.UpdateError`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, Callable, Optional

import attrs

from ..exceptions import ConfigurationInvalid, SoftwareUpdateError, UpdateError
from ..protocols import UpdaterCapabilities
from ..util import LogCallback, call_plugin

log = logging.getLogger(__name__)


def can_perform_update(target: str, check: Mapping[str, Any], online: bool = True) -> bool:
    """The updater's own answer when it has ``can_perform_update``, else whether it exists."""
    try:
        config = parse_config(target, check)
    except ConfigurationInvalid:
        return False
    if config.can_perform is None:
        return True
    try:
        return bool(call_plugin(config.can_perform, target, check, online=online))
    except Exception:
        log.warning("can_perform_update of the python_updater of %s failed", target, exc_info=True)
        return False


def perform_update(
    target: str,
    check: Mapping[str, Any],
    target_version: str,
    log_cb: Optional[LogCallback] = None,
    online: bool = True,
    force: bool = False,
) -> Any:
    """Call the plugin's ``perform_update`` and return what it returns.

    :raises ConfigurationInvalid: no usable updater (as ``validate`` reports it).
    :raises UpdateError: the updater raised a foreign exception.
    """
    config = parse_config(target, check)
    try:
        return call_plugin(
            config.perform, target, check, target_version, log_cb=log_cb, online=online, force=force
        )
    except SoftwareUpdateError:
        raise
    except Exception as exc:
        raise UpdateError(f"{target}: python_updater failed: {type(exc).__name__}: {exc}") from exc


def _perform_callable(updater: Any) -> Optional[Callable[..., Any]]:
    perform = getattr(updater, "perform_update", None)
    if callable(perform):
        return perform  # type: ignore[no-any-return]
    if callable(updater) and not isinstance(updater, type):
        return updater  # type: ignore[no-any-return]
    return None


#: Plugin code: whether it needs the network is its own business (it gets ``online``).
CAPABILITIES = UpdaterCapabilities(network=False)


@attrs.frozen
class Config:
    """The parsed ``python_updater`` config: the functions to call."""

    perform: Callable[..., Any]
    #: The updater's own ``can_perform_update``, if it has one.
    can_perform: Optional[Callable[..., Any]] = None


def parse_config(target: str, check: Mapping[str, Any]) -> Config:
    """Read ``python_updater`` (mandatory: has ``perform_update`` or is callable)."""
    updater = check.get("python_updater")
    perform = _perform_callable(updater)
    if perform is None:
        raise ConfigurationInvalid(
            f"python_updater must have perform_update or be callable, got {type(updater).__name__}",
            key=f"checks.{target}.python_updater",
        )
    asker = getattr(updater, "can_perform_update", None)
    return Config(perform, asker if callable(asker) else None)
