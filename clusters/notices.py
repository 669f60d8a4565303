"""A port for telling people: an app below `missions` writes its notices through here without
knowing the outbox.

`commitments` may not import `missions`, where the outbox lives (missions.models.Notification,
written by missions.services.notices). So `missions` registers the writer once, at start-up
(`notice_writer`, from missions.services.commitments, imported by MissionsConfig.ready), and
the lower apps call `notify(users, event, subject, body)` inside the transaction of what the
notice tells of: it commits or rolls back with it, and the e-mail goes after commit.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.core.exceptions import ImproperlyConfigured

# (users, event, subject, body) -> the pks of the notices written now.
Writer = Callable[[Iterable, str, str, str], list[int]]

_writer: Writer | None = None


def notice_writer(writer: Writer) -> Writer:
    """Register the function that writes notices (one writer: the last registered wins)."""
    global _writer
    _writer = writer
    return writer


def notify(users: Iterable, event: str, subject: str, body: str) -> list[int]:
    """Tell each of `users` of `event`, in the app and by e-mail, once per user and event: a
    second call for the same event writes nothing more. Call it inside the transaction of
    what it tells of. Returns the pks of the notices written now."""
    if _writer is None:
        # Losing a notice silently would be worse than refusing the change it tells of.
        raise ImproperlyConfigured(
            "No notice writer is registered: install the missions app (its ready() registers "
            "missions.services.commitments)."
        )
    return _writer(users, event, subject, body)
