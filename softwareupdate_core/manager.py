"""The Manager facade: what a host imports. It wires the parts together and delegates."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Optional, Union

from .config.settings import Settings
from .context import Context, SafeSink, default_data_folder, no_events
from .exceptions import ConfigurationInvalid
from .http import HttpClient
from .http.requests_transport import RequestsTransport
from .models import CheckReport, ReleaseChannels, UpdateLogEntry, UpdateReport
from .plugins import Registry, make_plugin_manager
from .protocols import DefaultHost, EventSink, Host
from .rounds.check import CheckRunner
from .rounds.update import UpdateRunner
from .store.documents import read_only_folder, remove_stale_temp_files

if TYPE_CHECKING:
    import requests

log = logging.getLogger(__name__)


class Manager:
    """Checks a host's components for updates and applies them.

    ``settings`` may be :class:`Settings`, a ``plugins.softwareupdate`` mapping, or None for
    the built-in default (pip and this library). ``data_folder`` holds the version cache,
    the update log and per-target state; it defaults to the platform's user data folder.
    """

    def __init__(
        self,
        settings: Union[Settings, Mapping[str, Any], None] = None,
        *,
        data_folder: Union[str, os.PathLike[str], None] = None,
        events: Optional[EventSink] = None,
        host: Optional[Host] = None,
        plugins: Iterable[object] = (),
        load_entrypoints: bool = True,
        session: Optional[requests.Session] = None,
        clock: Optional[Callable[[], float]] = None,
    ) -> None:
        if settings is None:
            settings = Settings.default()
        elif not isinstance(settings, Settings):
            settings = Settings.from_mapping(settings)
        folder = Path(data_folder) if data_folder is not None else default_data_folder()
        # Checked here, so an unusable folder is one clear error instead of an OSError later.
        problem: Optional[str] = None
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except FileExistsError:
            problem = "it is not a directory"
        except OSError as exc:
            problem = exc.strerror or str(exc)
        if problem is not None:
            raise ConfigurationInvalid(f"data folder {folder}: {problem}")
        if not read_only_folder(folder):
            remove_stale_temp_files(folder)  # left by a process killed while writing
        else:
            # said once here; the stores then skip their writes quietly
            log.warning(
                "data folder %s is read-only: checks run, but nothing is saved "
                "and updates are not possible",
                folder,
            )
        pm = make_plugin_manager(plugins=plugins, load_entrypoints=load_entrypoints)
        http_options: dict[str, Any] = {}
        if settings.shared_cache is not None:
            _require_redis()
            # built on first use (redis is imported then); answers are fresh for cache_ttl
            http_options["shared_settings"] = settings.shared_cache
            http_options["shared_fresh_for"] = settings.cache_ttl * 60.0
        if session is not None:  # the host's own session (its proxies, auth, adapters)
            http_options["transport"] = RequestsTransport(session)
        http = HttpClient(
            timeout=settings.timeout.as_tuple(),
            per_host_limit=settings.per_host_limit,
            **http_options,
        )
        extra: dict[str, Any] = {} if clock is None else {"clock": clock}
        self._context = Context(
            settings=settings,
            registry=Registry.build(pm),
            plugin_manager=pm,
            http=http,
            data_folder=folder,
            host=host if host is not None else DefaultHost(),
            emit=SafeSink(events) if events is not None else no_events,
            **extra,
        )
        self._checks = CheckRunner(self._context)
        self._updates = UpdateRunner(self._context, self._checks)

    @classmethod
    def from_yaml(cls, path: Union[str, os.PathLike[str]], **kwargs: Any) -> Manager:
        """A Manager for an OctoPrint ``config.yaml`` or a bare ``softwareupdate`` section."""
        return cls(Settings.from_yaml(path), **kwargs)

    @property
    def settings(self) -> Settings:
        return self._context.settings

    @property
    def data_folder(self) -> Path:
        return self._context.data_folder

    @property
    def http(self) -> HttpClient:
        return self._context.http

    @property
    def registry(self) -> Registry:
        """The check types and update methods known to this Manager (built-ins and plugins)."""
        return self._context.registry

    def check(self, targets: Optional[Iterable[str]] = None, *, force: bool = False) -> CheckReport:
        """Check ``targets`` (default: all) for updates, using the cache unless ``force``."""
        if not force:
            return self._checks.check(targets, force=force)
        # a forced round takes answers obtained after it began, also from other farm hosts
        with self.http.forced(self.http.clock()):
            return self._checks.check(targets, force=force)

    def update(
        self, targets: Optional[Iterable[str]] = None, *, force: bool = False
    ) -> UpdateReport:
        """Apply available updates to ``targets`` (default: all); blocks until done."""
        return self._updates.update(targets, force=force)

    def plan_update(
        self, targets: Optional[Iterable[str]] = None, *, force: bool = False
    ) -> UpdateReport:
        """What :meth:`update` would do, without changing anything (the CLI's ``--dry-run``)."""
        return self._updates.plan(targets, force=force)

    def cancel_queued_update(self) -> bool:
        """Cancel an update round waiting for the host to become idle; True if one was."""
        return self._updates.cancel_queue()

    def effective_checks(self) -> dict[str, dict[str, Any]]:
        """Every target's check config after defaults, plugins, overlays and user settings."""
        return self._checks.effective_checks()

    def config_problems(self) -> dict[str, str]:
        """Configured targets that cannot be checked or are ignored: target -> reason."""
        return self._checks.config_problems()

    def validate(self) -> dict[str, str]:
        """Every problem of the configuration: target -> message (empty when all is well).

        Runs exactly the parsers the rounds run (each target's check type and update method
        ``parse_config``, after defaults, plugins, overlays and state are layered), reports
        unknown check types and update methods, and checks the settings an update round
        reads (a wrong one is keyed by its setting name).
        """
        return self._updates.validate()

    def release_channels(self, target: str) -> ReleaseChannels:
        """The release channels ``target`` offers and the one it follows."""
        return self._checks.release_channels(target)

    def set_release_channel(self, target: str, channel: str) -> None:
        """Follow ``channel`` (a branch id of the target's channels) from now on."""
        self._checks.set_release_channel(target, channel)

    def update_log(self) -> list[UpdateLogEntry]:
        """The persisted update log, oldest first, without entries past ``updatelog_cutoff``."""
        return self._updates.update_log()

    def skip(self, target: str, version: str) -> None:
        """Hide ``version`` of ``target`` until a newer version appears."""
        self._checks.skip(target, version)

    def unskip(self, target: str) -> None:
        """Show ``target``'s skipped version again."""
        self._checks.unskip(target)

    def close(self) -> None:
        """Release the HTTP connections."""
        self._context.http.close()

    def __enter__(self) -> Manager:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _require_redis() -> None:
    """Say clearly when ``shared_cache`` is set but the redis package is missing."""
    import importlib.util

    if importlib.util.find_spec("redis") is None:
        raise ConfigurationInvalid(
            "needs the redis package: pip install 'softwareupdate-core[redis]'",
            key="shared_cache",
        )
