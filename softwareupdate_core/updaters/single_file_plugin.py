"""Update method ``single_file_plugin``: download one ``.py`` file and replace the installed copy.

Config keys of a check:

* ``url`` (mandatory): where the plugin file is downloaded from. Its last path segment is the
  file name, which must be a plain ``name.py`` (letters, digits, ``_``, ``.``, ``-``).
* ``plugin_folder``: the folder the file goes into. The update round fills it from the
  settings' ``plugin_folder`` when the check has none.
* ``max_size``: largest accepted download in bytes (default 2 MB).
* ``sha256``: expected hex digest of the download, if the publisher provides one.

The download must be valid Python source; anything else (an HTML error page, a truncated
file) leaves the installed file untouched. The new file replaces the old one atomically.
The target version is not used (for ``httpheader`` checks it is an ETag or a date), so it is
not validated here.
"""

from __future__ import annotations

import ast
import hashlib
import os
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Optional
from urllib.parse import unquote, urlsplit

import attrs

from .. import http
from ..exceptions import (
    CannotUpdateOffline,
    CheckError,
    ConfigurationInvalid,
    TransportError,
    UpdateError,
)
from ..protocols import UpdaterCapabilities
from ..redact import redact_urls
from ..remote_values import value_problem
from ..store.documents import atomic_write
from ..util import LogCallback

#: Largest plugin file accepted unless the check sets ``max_size``.
DEFAULT_MAX_SIZE = 2 * 1024 * 1024


def can_perform_update(target: str, check: Mapping[str, Any], online: bool = True) -> bool:
    """True when online and the config parses (a usable URL, an existing plugin folder)."""
    if not online:
        return False
    try:
        parse_config(target, check)
    except ConfigurationInvalid:
        return False
    return True


def perform_update(
    target: str,
    check: Mapping[str, Any],
    target_version: str,
    log_cb: Optional[LogCallback] = None,
    online: bool = True,
    force: bool = False,
    **kwargs: Any,
) -> str:
    """Download the plugin file, verify it, and atomically replace it; returns its path.

    The config is parsed first (:func:`parse_config`, as ``validate`` does), so a config
    problem refuses the update before any request, with the error ``validate`` reports.
    The update round may pass its shared :class:`~softwareupdate_core.http.HttpClient` as
    ``http=``; without one a client with default timeouts is used and closed afterwards.

    :raises ConfigurationInvalid: a key :func:`parse_config` refuses (URL, plugin folder,
        ``max_size``, ``sha256``), named ``checks.<target>.<key>``.
    :raises CannotUpdateOffline: when offline.
    :raises UpdateError: download failure, oversized, not Python, digest mismatch.
    """
    config = parse_config(target, check)
    if not online:
        raise CannotUpdateOffline(f"{target}: downloading a plugin file needs the network")
    body = _download(config.url, config.max_size, kwargs)
    _verify(body, config)
    atomic_write(config.destination, body)
    if log_cb is not None:
        log_cb(
            [redact_urls(f"Installed {len(body)} bytes from {config.url} as {config.destination}")],
            stream="message",
        )
    return str(config.destination)


def file_name(url: Any) -> str:
    """The plugin's file name: the URL path's last segment, if it is a plain ``*.py`` name."""
    if not isinstance(url, str) or not url:
        raise UpdateError("single_file_plugin needs a 'url'")
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https"):
        raise UpdateError(f"single_file_plugin url must be http(s): {url!r}")
    segments = parts.path.split("/")
    if any(unquote(segment) in ("..", ".") for segment in segments):
        raise UpdateError(f"single_file_plugin url has a '..' path segment: {url!r}")
    name = segments[-1]
    problem = value_problem(name, "file_name") or ("" if name.endswith(".py") else "not *.py")
    if problem:
        raise UpdateError(
            f"single_file_plugin url must end in a plain file name like 'plugin.py', not "
            f"{name!r} ({problem})"
        )
    return name


def _destination(check: Mapping[str, Any], name: str) -> Path:
    folder = check.get("plugin_folder")
    if not folder or not isinstance(folder, (str, os.PathLike)):
        raise UpdateError("single_file_plugin needs a plugin_folder (in the check or settings)")
    base = Path(folder)
    if not base.is_dir():
        raise UpdateError(f"plugin_folder {os.fspath(base)!r} is not an existing folder")
    destination = base / name
    if destination.resolve().parent != base.resolve():
        raise UpdateError(f"{name!r} would be written outside {os.fspath(base)!r}")
    return destination


def _max_size(check: Mapping[str, Any]) -> int:
    value = check.get("max_size", DEFAULT_MAX_SIZE)
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise UpdateError(f"max_size must be a positive number of bytes, not {value!r}")
    return value


def _download(url: str, limit: int, kwargs: Mapping[str, Any]) -> bytes:
    """GET the file through the shared client, mapping every failure to UpdateError."""
    owned = not isinstance(kwargs.get("http"), http.HttpClient)
    client = http.client_from(kwargs)
    try:
        response = client.get(url, conditional=False)
    except (CheckError, TransportError) as exc:
        raise UpdateError(f"downloading the plugin file failed: {exc}") from exc
    finally:
        if owned:
            client.close()
    if len(response.body) > limit:
        raise UpdateError(f"{url}: the download is {len(response.body)} bytes, more than {limit}")
    return response.body


def _verify(body: bytes, config: Config) -> None:
    url = redact_urls(config.url)
    if config.sha256 is not None:
        actual = hashlib.sha256(body).hexdigest()
        if actual != config.sha256:
            raise UpdateError(f"{url}: sha256 {actual} does not match the expected {config.sha256}")
    if not body.strip():
        raise UpdateError(f"{url}: the download is empty")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ast.parse(body)
    except (SyntaxError, ValueError) as exc:
        raise UpdateError(f"{url}: the download is not a Python file ({exc})") from None
    except (MemoryError, RecursionError):
        # the parser gives up on code nested thousands deep; no plugin looks like that
        raise UpdateError(
            f"{url}: the download is not a usable Python file (nested too deeply to parse)"
        ) from None


def _sha256(check: Mapping[str, Any]) -> Optional[str]:
    value = check.get("sha256")
    if value is None or value == "":
        return None
    text = value.strip().lower() if isinstance(value, str) else ""
    if len(text) != 64 or any(c not in "0123456789abcdef" for c in text):
        raise UpdateError(f"sha256 must be 64 hexadecimal digits, not {value!r}")
    return text


#: Downloads the file; the host restarts to load the replaced module.
CAPABILITIES = UpdaterCapabilities(restart="octoprint")


@attrs.frozen
class Config:
    """The parsed ``single_file_plugin`` config."""

    url: str = attrs.field(repr=False)  # may carry a token
    destination: Path
    max_size: int
    #: The expected hex digest of the download (lower case), if given.
    sha256: Optional[str] = None


def parse_config(target: str, check: Mapping[str, Any]) -> Config:
    """Read every key the method reads: ``url`` (mandatory, an http(s) URL ending in a
    ``*.py`` name), ``plugin_folder`` (an existing folder, here or in the settings),
    ``max_size`` and ``sha256``; raises ConfigurationInvalid naming ``checks.<target>.<key>``."""
    key = "url"
    try:
        name = file_name(check.get("url"))
        key = "plugin_folder"
        destination = _destination(check, name)
        key = "max_size"
        max_size = _max_size(check)
        key = "sha256"
        sha256 = _sha256(check)
    except UpdateError as exc:
        raise ConfigurationInvalid(redact_urls(str(exc)), key=f"checks.{target}.{key}") from None
    return Config(str(check["url"]), destination, max_size, sha256)
