"""Helpers for plugin authors and the built-ins: run a command with logged output, fill templates.

Commands are always argument lists run without a shell; a string is split with
:func:`shlex.split`, so remote values substituted into it stay single, inert arguments.
File writes and locks live in :mod:`softwareupdate_core.store.documents`.
"""

from __future__ import annotations

import contextlib
import contextvars
import inspect
import os
import shlex
import signal
import string
import subprocess
import sys
import threading
from collections.abc import Iterator, Mapping, Sequence
from typing import IO, Any, Callable, Optional, Union

import attrs

from .exceptions import ScriptError
from .redact import redact_urls

#: ``log_cb(lines, prefix=None, stream=None)`` as the updaters call it.
LogCallback = Callable[..., None]
Command = Union[str, Sequence[str]]


def split_command(command: Command) -> list[str]:
    """Turn a configured command into an argument list, without any shell."""
    if isinstance(command, str):
        try:
            parts = shlex.split(command)
        except ValueError as exc:
            raise ValueError(f"cannot split command {command!r}: {exc}") from None
    else:
        parts = [str(p) for p in command]
    if not parts:
        raise ValueError("empty command")
    return parts


def render_command(command: Command, values: Mapping[str, str]) -> list[str]:
    """Split ``command`` first, then fill ``{placeholders}`` in each argument.

    Splitting before substituting keeps a substituted value inside its one argument,
    whatever spaces, quotes or semicolons it holds. A template that is not plain
    ``{name}`` fields (:func:`fill_template`) raises ValueError naming it.
    """
    return [_format(part, values) for part in split_command(command)]


def _format(template: str, values: Mapping[str, str]) -> str:
    try:
        return fill_template(template, values)
    except ValueError as exc:
        raise ValueError(f"bad placeholder in {redact_urls(template)!r}: {exc}") from None


def fill_template(template: str, values: Mapping[str, Optional[str]]) -> str:
    """Fill the plain ``{name}`` fields of ``template``; ``{{``/``}}`` are literal braces.

    Templates come from configs and remote overlays, so only the plain form is allowed: a
    format spec (``{name:>1500000000}`` would allocate gigabytes), a conversion (``!r``), an
    attribute (``.x``) or an index (``[0]``) raises ValueError, as do unbalanced braces. An
    unknown name stays as written (``{name}``); a value of None fills in as empty.
    """
    if "{" not in template and "}" not in template:
        return template
    try:
        parts = list(_FORMATTER.parse(template))
    except ValueError as exc:
        raise ValueError(str(exc)) from None
    out: list[str] = []
    for literal, field, spec, conversion in parts:
        out.append(literal)
        if field is None:
            continue
        if spec or conversion is not None or not field.isidentifier():
            shown = field + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "")
            raise ValueError(
                f"{{{shown[:40]}}} is not a plain {{name}} placeholder "
                "(no format spec, conversion, attribute or index)"
            )
        if field in values:
            out.append(values[field] or "")
        else:
            out.append("{" + field + "}")
    return "".join(out)


#: Only its ``parse`` is used (a pure function); the filling is :func:`fill_template`'s own.
_FORMATTER = string.Formatter()


def fill_placeholders(template: str, values: Mapping[str, Optional[str]]) -> str:
    """Fill ``{name}`` placeholders; unknown ones and malformed templates stay as written.

    For display texts (display name and version, release notes), where a stray brace must
    not hide the text: a template :func:`fill_template` refuses is shown literally.
    """
    try:
        return fill_template(template, values)
    except ValueError:
        return template


@attrs.frozen
class CommandResult:
    """Return code and collected output of a finished command."""

    args: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str


def run_command(
    command: Command,
    *,
    cwd: Optional[Union[str, os.PathLike[str]]] = None,
    log_cb: Optional[LogCallback] = None,
    timeout: Optional[float] = None,
    env: Optional[Mapping[str, str]] = None,
    check: bool = True,
    own_process_group: bool = False,
) -> CommandResult:
    """Run a command without a shell, streaming each output line to ``log_cb``.

    ``log_cb`` receives ``([line], stream="call"|"stdout"|"stderr")``. With ``check`` a
    non-zero exit raises :class:`ScriptError` carrying the output; a ``timeout`` (seconds)
    kills the command and raises ScriptError with return code -9. With ``own_process_group``
    (POSIX) the command runs in a new session and process group, so a signal meant for this
    process does not cut it off mid-way, and a timeout kills the whole group. Descriptors
    registered with :func:`inherited_by_commands` are passed on to the command.
    """
    args = split_command(command)
    if log_cb is not None:
        # the call line is shown and logged: credentials in URLs must not be
        log_cb([redact_urls(" ".join(shlex.quote(a) for a in args))], prefix=" ", stream="call")
    try:
        process = subprocess.Popen(
            args,
            cwd=os.fspath(cwd) if cwd is not None else None,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=None if env is None else dict(env),
            text=True,
            errors="replace",
            bufsize=1,
            **_process_options(own_process_group),
        )
    except OSError as exc:
        program = redact_urls(args[0])
        raise ScriptError(
            127, "", f"cannot run {program!r}: {exc.strerror or exc}", command=program
        ) from None

    collected: dict[str, list[str]] = {"stdout": [], "stderr": []}

    def pump(stream: IO[str], name: str) -> None:
        for line in stream:
            line = line.rstrip("\r\n")
            collected[name].append(line)
            if log_cb is not None:
                log_cb([line], prefix=">" if name == "stdout" else "!", stream=name)
        stream.close()

    assert process.stdout is not None and process.stderr is not None
    pumps = [
        threading.Thread(target=pump, args=(process.stdout, "stdout"), daemon=True),
        threading.Thread(target=pump, args=(process.stderr, "stderr"), daemon=True),
    ]
    for thread in pumps:
        thread.start()
    try:
        returncode = process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill(process, own_process_group)
        process.wait()
        returncode = -9
        collected["stderr"].append(f"killed after {timeout:g} seconds")
    for thread in pumps:
        thread.join(timeout=5)
    result = CommandResult(
        tuple(args), returncode, "\n".join(collected["stdout"]), "\n".join(collected["stderr"])
    )
    if check and returncode != 0:
        raise ScriptError(returncode, result.stdout, result.stderr, command=redact_urls(args[0]))
    return result


#: Descriptors the commands run in the current context inherit (see inherited_by_commands).
_INHERITED_FDS: contextvars.ContextVar[tuple[int, ...]] = contextvars.ContextVar(
    "softwareupdate_core_inherited_fds", default=()
)


@contextlib.contextmanager
def inherited_by_commands(*fds: int) -> Iterator[None]:
    """Let every :func:`run_command` in this context (thread) pass ``fds`` to its command.

    The update round hands its lock this way: a command that outlives a killed round keeps
    the update lock held until it ends, so no second round starts alongside it (POSIX).
    """
    token = _INHERITED_FDS.set(_INHERITED_FDS.get() + fds)
    try:
        yield
    finally:
        _INHERITED_FDS.reset(token)


def _process_options(own_process_group: bool) -> dict[str, Any]:
    if sys.platform == "win32":
        return {}
    options: dict[str, Any] = {"start_new_session": own_process_group}
    fds = _INHERITED_FDS.get()
    if fds:
        options["pass_fds"] = fds
    return options


def _kill(process: subprocess.Popen[str], own_process_group: bool) -> None:
    """Kill the command (its whole process group, when it has its own)."""
    if own_process_group and sys.platform != "win32":
        with contextlib.suppress(OSError):
            os.killpg(process.pid, signal.SIGKILL)
    with contextlib.suppress(OSError):
        process.kill()


def accepted_keywords(function: Callable[..., Any]) -> Optional[frozenset[str]]:
    """The keyword names ``function`` accepts; None when it takes ``**kwargs`` (any keyword).

    The inspection behind :class:`PluginCall`; call plugin code through that. A signature
    that cannot be inspected (some builtins) accepts no keywords: the oldest convention.
    """
    try:
        parameters = inspect.signature(function).parameters.values()
    except (TypeError, ValueError):
        return frozenset()
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters):
        return None
    named = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    return frozenset(p.name for p in parameters if p.kind in named)


def pick_keywords(offered: Mapping[str, Any], accepted: Optional[frozenset[str]]) -> dict[str, Any]:
    """The part of ``offered`` that a callable with :func:`accepted_keywords` ``accepted`` takes."""
    if accepted is None:
        return dict(offered)
    return {k: v for k, v in offered.items() if k in accepted}


@attrs.frozen
class PluginCall:
    """A plugin callable with the keywords it accepts, inspected once.

    The one adapter for plugin code written against an older signature: ``python_checker``
    and ``python_updater`` callables, third-party check types and updaters, and the OctoPrint
    integration all call through it. The library offers every keyword it has (``online``,
    ``credentials``, ``http``, ``log_cb``, ``force`` ...); the callable gets those it names,
    or all of them when it takes ``**kwargs``. Positional arguments are always passed. No
    ``TypeError`` retry: an error raised inside the callable is never taken for a signature
    mismatch.
    """

    function: Callable[..., Any]
    #: The keyword names it accepts; None when it takes ``**kwargs``.
    accepted: Optional[frozenset[str]]

    @classmethod
    def of(cls, function: Callable[..., Any]) -> PluginCall:
        """Inspect ``function``'s signature once."""
        return cls(function, accepted_keywords(function))

    def keywords(self, offered: Mapping[str, Any]) -> dict[str, Any]:
        """The part of ``offered`` this callable accepts."""
        return pick_keywords(offered, self.accepted)

    def problem(self, *args: Any, **offered: Any) -> Optional[str]:
        """Why calling with ``args`` (and the accepted ``offered``) cannot work, or None.

        For refusing an unusable plugin callable with a clear message before calling it; a
        signature that cannot be inspected counts as usable.
        """
        try:
            signature = inspect.signature(self.function)
        except (TypeError, ValueError):
            return None
        try:
            signature.bind(*args, **self.keywords(offered))
        except TypeError as exc:
            return str(exc)
        return None

    def __call__(self, *args: Any, **offered: Any) -> Any:
        """Call with ``args`` and the accepted part of ``offered``."""
        return self.function(*args, **self.keywords(offered))


def call_plugin(function: Callable[..., Any], /, *args: Any, **offered: Any) -> Any:
    """Call plugin code once through :class:`PluginCall` (inspecting its signature now)."""
    return PluginCall.of(function)(*args, **offered)
