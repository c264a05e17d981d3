"""The click application behind the ``softwareupdate`` command (see :mod:`.cli`).

Start-up matters on small machines, so this module imports only click at load time; the
Manager (and with it requests, pluggy and yaml) is imported inside the commands that need it.
Expected errors (:class:`~softwareupdate_core.exceptions.SoftwareUpdateError`) end the command
with one line on stderr and exit status 1; ``--debug`` adds the traceback.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, NoReturn, Optional

import click

from .._version import __version__

if TYPE_CHECKING:
    from ..manager import Manager
    from ..protocols import EventSink

#: ``check --exit-code`` exits with this status when an update is available.
EXIT_UPDATES_AVAILABLE = 10


class CliError(click.ClickException):
    """An error shown as one line on stderr; exit status 1."""

    exit_code = 1


class _Group(click.Group):
    """Turns library errors into one line on stderr (a traceback only with ``--debug``)."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException):
            raise
        except Exception as exc:
            _fail(ctx, exc)


def _fail(ctx: click.Context, exc: Exception) -> NoReturn:
    from ..exceptions import SoftwareUpdateError
    from ..redact import redact_text
    from ..remote_values import clean_text

    state = ctx.find_object(_State)
    if state is not None and state.debug:
        import traceback

        text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        sys.stderr.write(redact_text(text))
    if isinstance(exc, SoftwareUpdateError):
        raise CliError(redact_text(clean_text(str(exc)))) from exc
    message = redact_text(clean_text(f"{exc}"))
    raise CliError(
        f"unexpected {type(exc).__name__}: {message} (run with --debug for the traceback)"
    ) from exc


class _State:
    """The group options, handed to every command."""

    def __init__(self, config: Optional[str], data_folder: Optional[str], debug: bool) -> None:
        self.config = config
        self.data_folder = data_folder
        self.debug = debug
        #: The host's own target, learnt from the settings when a Manager is made.
        self.host_target: Optional[str] = None

    def manager(self, events: Optional[EventSink] = None) -> Manager:
        """A Manager for ``--config`` (or the built-in default) and ``--data-folder``."""
        import logging

        from ..redact import RedactingFilter

        before = list(logging.getLogger().handlers)
        logging.basicConfig(
            level=logging.DEBUG if self.debug else logging.WARNING,
            format="%(levelname)s %(name)s: %(message)s",
        )
        for handler in logging.getLogger().handlers:
            # our stderr handler shows every line (urllib3's request lines too) masked
            if handler not in before:
                handler.addFilter(RedactingFilter())
        from ..config.settings import Settings
        from ..manager import Manager

        settings = Settings.from_yaml(self.config) if self.config else Settings.default()
        self.host_target = settings.host_target
        return Manager(settings, data_folder=self.data_folder, events=events)


def _known_targets(manager: Manager, targets: Sequence[str]) -> Optional[list[str]]:
    """``targets`` as a list (None for all), after checking every name is configured."""
    if not targets:
        return None
    known = manager.effective_checks()
    unknown = [t for t in targets if t not in known]
    if unknown:
        names = ", ".join(repr(t) for t in unknown)
        hint = ", ".join(sorted(known)) or "none"
        plural = "s" if len(unknown) > 1 else ""
        raise CliError(f"unknown target{plural} {names} (configured: {hint})")
    return list(dict.fromkeys(targets))


def _echo_lines(lines: Iterable[str], *, err: bool = False) -> None:
    for line in lines:
        click.echo(line, err=err)


def _echo_json(data: Mapping[str, Any]) -> None:
    import json

    click.echo(json.dumps(data, indent=2, default=str))


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config",
    "config",
    metavar="PATH",
    help="A YAML file: a bare softwareupdate section or a whole OctoPrint config.yaml. "
    "Without it the built-in default checks pip and softwareupdate-core.",
)
@click.option(
    "--data-folder",
    metavar="PATH",
    help="Where the version cache, update log and state are kept "
    "(default: the platform's user data folder).",
)
@click.option("--debug", is_flag=True, help="Log debug output and show tracebacks of errors.")
@click.version_option(__version__, prog_name="softwareupdate")
@click.pass_context
def cli(ctx: click.Context, config: Optional[str], data_folder: Optional[str], debug: bool) -> None:
    """Find out which components have newer versions, and update them."""
    ctx.obj = _State(config, data_folder, debug)


@cli.command()
@click.option("--force", is_flag=True, help="Ignore cached answers and ask every source again.")
@click.option("--only-new", is_flag=True, help="Show only targets with an update available.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option(
    "--exit-code",
    is_flag=True,
    help=f"Exit with status {EXIT_UPDATES_AVAILABLE} when an update is available.",
)
@click.argument("targets", nargs=-1)
@click.pass_obj
def check(
    state: _State,
    force: bool,
    only_new: bool,
    as_json: bool,
    exit_code: bool,
    targets: tuple[str, ...],
) -> None:
    """Check for updates (all targets, or only the TARGETS given).

    Cached answers are used while they are fresh; --force asks again. The exit status is
    0, or 1 when a check failed; with --exit-code it is 10 when an update is available.
    """
    from ..config.settings import DEFAULT_HOST_TARGET
    from .render import ProgressLine, check_lines

    progress = ProgressLine(sys.stderr, enabled=None if not as_json else False)
    with state.manager(events=progress) as manager:
        _say_if_disabled(manager)
        selected = _known_targets(manager, targets)
        try:
            report = manager.check(selected, force=force)
        finally:
            progress.clear()
    if as_json:
        data = report.as_dict()
        if only_new:  # the same targets the text shows: updates, and failed checks
            data["information"] = {
                name: entry
                for name, entry in data["information"].items()
                if report.targets[name].update_available or report.targets[name].error
            }
        _echo_json(data)
    else:
        host = state.host_target or DEFAULT_HOST_TARGET
        _echo_lines(check_lines(report, only_new=only_new, host_target=host))
    if exit_code and report.update_available:
        sys.exit(EXIT_UPDATES_AVAILABLE)
    if any(s.error and not s.stale for s in report.targets.values()):
        sys.exit(1)


def _say_if_disabled(manager: Any) -> None:
    """Say plainly (on stderr) why nothing is checked when the host's config disables it."""
    reason = manager.settings.disabled_reason
    if reason:
        click.echo(f"Note: {reason}.", err=True)


class _UpdateOutput:
    """The event sink of ``update``: streams updater output and per-target progress.

    Call lines are marked with ``$``, stderr output goes to stderr; with ``--json`` every
    line goes to stderr so stdout holds only the report.
    """

    def __init__(self, *, quiet_stdout: bool) -> None:
        self._to_stderr = quiet_stdout
        self._lock = threading.Lock()
        self._total = 0
        self._index = 0

    def __call__(self, name: str, payload: Mapping[str, Any]) -> None:
        from .. import events

        with self._lock:
            if name == events.UPDATE_STARTED:
                order = [str(t) for t in payload.get("targets") or ()]
                self._total = len(order)
                self._index = 0
                self._say("Planned order: " + ", ".join(order))
            elif name == events.UPDATE_QUEUED:
                self._say("Waiting for the host to become idle before updating ...")
            elif name == events.UPDATE_TARGET_STARTED:
                self._index += 1
                total = max(self._total, self._index)
                self._say(
                    f"[{self._index}/{total}] Updating {payload.get('target')} "
                    f"({payload.get('from_version') or 'unknown'} -> "
                    f"{payload.get('to_version') or 'unknown'})"
                )
            elif name == events.UPDATE_LOG_LINE:
                self._log_line(str(payload.get("stream") or ""), str(payload.get("line", "")))
            elif name == events.RESTARTING:
                self._say(f"Restarting ({payload.get('kind')}) ...")
            elif name == events.RESTART_FAILED:
                click.echo(
                    f"Restart ({payload.get('kind')}) failed: {payload.get('reason')}", err=True
                )

    def _say(self, text: str) -> None:
        from ..remote_values import clean_text

        click.echo(clean_text(text), err=self._to_stderr)

    def _log_line(self, stream: str, line: str) -> None:
        from ..remote_values import clean_text

        line = clean_text(line)
        if stream == "stderr":
            click.echo(f"    {line}", err=True)
        elif stream == "call":
            self._say(f"  $ {line}")
        else:
            self._say(f"    {line}")


@cli.command()
@click.option("--force", is_flag=True, help="Update even targets that are up to date.")
@click.option("--dry-run", is_flag=True, help="Show what would be updated; change nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.argument("targets", nargs=-1)
@click.pass_obj
def update(
    state: _State, force: bool, dry_run: bool, as_json: bool, targets: tuple[str, ...]
) -> None:
    """Apply available updates (to all targets, or only the TARGETS given).

    Targets are updated one at a time in the planned order; each updater's output is shown
    as it runs. The exit status is 1 when an update or a target's check failed, or the round
    was refused.
    """
    from .render import interrupted_lines, plan_lines, result_lines

    output = _UpdateOutput(quiet_stdout=as_json)
    with state.manager(events=output) as manager:
        _say_if_disabled(manager)
        selected = _known_targets(manager, targets)
        if dry_run:
            report = manager.plan_update(selected, force=force)
        else:  # one check round: the round's own plan is shown as it starts
            report = manager.update(selected, force=force)
    if as_json:
        _echo_json(report.as_dict())
    else:
        _echo_lines(interrupted_lines(report))
        if dry_run or report.refused or not report.order:
            _echo_lines(plan_lines(report))
        else:
            click.echo("")
            _echo_lines(result_lines(report))
    if not report.success:  # refused, or a selected target's check or update failed
        sys.exit(1)


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print the entries as JSON.")
@click.pass_obj
def log(state: _State, as_json: bool) -> None:
    """Show the update log, oldest entry first."""
    from .render import log_lines

    with state.manager() as manager:
        entries = manager.update_log()
    if as_json:
        import json

        click.echo(json.dumps([e.as_dict() for e in entries], indent=2))
    else:
        _echo_lines(log_lines(entries))


@cli.command()
@click.argument("target")
@click.argument("channel", required=False)
@click.pass_obj
def channels(state: _State, target: str, channel: Optional[str]) -> None:
    """Show the release channels of TARGET, or switch it to CHANNEL."""
    from .render import channel_lines

    with state.manager() as manager:
        _known_targets(manager, [target])
        if channel is not None:
            available = manager.release_channels(target)
            ids = [c.branch for c in available.available]
            if channel not in ids:
                raise CliError(
                    f"{target} has no release channel {channel!r} "
                    f"(available: {', '.join(ids) or 'none'})"
                )
            manager.set_release_channel(target, channel)
            click.echo(f"{target} now follows the release channel {channel!r}.")
        _echo_lines(channel_lines(target, manager.release_channels(target)))


@cli.group()
def config() -> None:
    """Show or validate the configuration."""


@config.command("show")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of YAML.")
@click.pass_obj
def config_show(state: _State, as_json: bool) -> None:
    """Show the effective checks (after plugins and overlays), secrets masked."""
    from .render import mask_credentials, mask_secrets

    with state.manager() as manager:
        data = {
            "source": manager.settings.source or "built-in defaults",
            "data_folder": str(manager.data_folder),
            "credentials": mask_credentials(manager.settings.credentials.as_dict()),
            "checks": mask_secrets(manager.effective_checks()),
        }
        shared = manager.settings.shared_cache
        if shared is not None:  # the Redis password shown as ***
            data["shared_cache"] = {"url": shared.display_url, "prefix": shared.prefix}
    if as_json:
        _echo_json(data)
        return
    import yaml

    click.echo(yaml.safe_dump(data, sort_keys=False, default_flow_style=False).rstrip())


@config.command("validate")
@click.pass_obj
def config_validate(state: _State) -> None:
    """Check the configuration with the parsers the rounds run; exit 1 on any problem."""
    import logging

    loading = logging.getLogger("softwareupdate_core.config.loading")
    level = loading.level
    loading.setLevel(logging.ERROR)  # its warnings are printed below, once, as lines
    try:
        manager = state.manager()
    finally:
        loading.setLevel(level)
    _echo_lines(f"warning: {text}" for text in manager.settings.warnings)
    with manager:
        checks = manager.effective_checks()
        found = manager.validate()
    problems = [why for _name, why in sorted(found.items())]
    if problems:
        _echo_lines(problems, err=True)
        raise CliError(f"{len(problems)} problem{'s' if len(problems) > 1 else ''} found")
    source = manager.settings.source or "built-in defaults"
    plural = "check" if len(checks) == 1 else "checks"
    click.echo(f"Configuration OK ({source}): {len(checks)} {plural}.")
