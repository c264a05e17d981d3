"""Event names sent to the host's event sink, with the payload each carries."""

from __future__ import annotations

from typing import Final

#: An update succeeded. Payload: ``{target, from_version, to_version}``.
UPDATE_SUCCEEDED: Final = "plugin_softwareupdate_update_succeeded"
#: An update failed. Payload: ``{target, from_version, to_version}`` (plus ``reason``).
UPDATE_FAILED: Final = "plugin_softwareupdate_update_failed"

#: A check round started. Payload: ``{targets: [names], force: bool}``.
CHECK_STARTED: Final = "plugin_softwareupdate_check_started"
#: One target was checked. Payload: ``{target, done: int, total: int}``.
CHECK_PROGRESS: Final = "plugin_softwareupdate_check_progress"
#: A check round finished. Payload: ``{targets: [names], update_available: bool}``.
CHECK_FINISHED: Final = "plugin_softwareupdate_check_finished"

#: An update round started. Payload: ``{targets: [names in order]}``.
UPDATE_STARTED: Final = "plugin_softwareupdate_update_started"
#: An update round was queued because the host is busy. Payload: ``{targets}``.
UPDATE_QUEUED: Final = "plugin_softwareupdate_update_queued"
#: A queued update round was cancelled. Payload: ``{targets}``.
UPDATE_QUEUE_CANCELLED: Final = "plugin_softwareupdate_update_queue_cancelled"
#: One target's update begins. Payload: ``{target, from_version, to_version}``.
UPDATE_TARGET_STARTED: Final = "plugin_softwareupdate_update_target_started"
#: Output of an updater. Payload: ``{target, stream, line}``; stream is call/stdout/stderr/message.
UPDATE_LOG_LINE: Final = "plugin_softwareupdate_update_log_line"
#: An update round finished. Payload: ``{success: bool, results: {target: bool}}``.
UPDATE_FINISHED: Final = "plugin_softwareupdate_update_finished"

#: A restart is needed but no command is configured. Payload: ``{kind}``.
RESTART_MANUALLY: Final = "plugin_softwareupdate_restart_manually"
#: The restart command is about to run. Payload: ``{kind}``.
RESTARTING: Final = "plugin_softwareupdate_restarting"
#: The restart command failed. Payload: ``{kind, reason}``.
RESTART_FAILED: Final = "plugin_softwareupdate_restart_failed"

ALL_EVENTS: Final = (
    UPDATE_SUCCEEDED,
    UPDATE_FAILED,
    CHECK_STARTED,
    CHECK_PROGRESS,
    CHECK_FINISHED,
    UPDATE_STARTED,
    UPDATE_QUEUED,
    UPDATE_QUEUE_CANCELLED,
    UPDATE_TARGET_STARTED,
    UPDATE_LOG_LINE,
    UPDATE_FINISHED,
    RESTART_MANUALLY,
    RESTARTING,
    RESTART_FAILED,
)
