"""The one announcement of a changed contact: ``(before, after, new events)``, and who listens to it.

The consumer announces after every successful contact write, once per contact per batch; the contact
use cases announce API upserts, imports and deletions the same way. Real-time segments, trigger
matching and journeys waiting for an event subscribe at the composition root. A listener that fails is
logged and skipped: the write it describes has happened and is not undone.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from chalicelib.contacts.record import ContactRecord
from chalicelib.events.models import Event

log = logging.getLogger("orbit.changes")


@dataclass(frozen=True)
class ContactChanged:
    """A contact as it was and as it is now (None: it did not exist / was deleted), and the events
    this write folded into it (never a duplicate it held already).

    ``change_id`` (contact key, creation time and the version written) is stable: a consumer that crashed after a write
    and before announcing it announces it again when its records are redelivered (``replayed``: then
    ``before`` is unknown and ``after`` is the contact as stored now). Listeners that must act once
    remember the change ids they handled.
    """

    before: ContactRecord | None
    after: ContactRecord | None
    events: tuple[Event, ...] = ()
    version: int | None = None  # the version written; ``after.version`` unless given
    replayed: bool = False

    @property
    def key(self) -> str:
        rec = self.after or self.before
        assert rec is not None, "a change has a before or an after"
        return rec.key

    @property
    def change_id(self) -> str:
        rec = self.after or self.before
        assert rec is not None, "a change has a before or an after"
        if self.after is None:
            return f"{rec.key}@{rec.created_at}#deleted"
        written = self.version if self.version is not None else self.after.version
        return f"{rec.key}@{rec.created_at}#v{written}"


Listener = Callable[[ContactChanged], None]


class ListenerFailed(Exception):
    """A critical listener failed: the change is stored but not fully acted on. The consumer fails the
    change's records, and their redelivery announces the change again (``replayed``)."""


@dataclass
class ContactChanges:
    """Subscribers to contact changes, called in the order they subscribed. A critical listener's failure is
    raised (after every listener ran) as ``ListenerFailed``; any other's is logged and skipped."""

    listeners: list[Listener] = field(default_factory=list)
    critical: set[int] = field(default_factory=set)  # ids of the critical listeners

    def subscribe(self, listener: Listener, critical: bool = False) -> Listener:
        self.listeners.append(listener)
        if critical:
            self.critical.add(id(listener))
        return listener

    def announce(self, change: ContactChanged) -> None:
        failed: list[str] = []
        for listener in self.listeners:
            try:
                listener(change)
            except Exception as exc:
                log.exception("contact-change listener %s failed for %s", _name(listener), change.key)
                if id(listener) in self.critical:
                    failed.append(f"{_name(listener)}: {exc}")
        if failed:
            raise ListenerFailed("; ".join(failed))


def _name(listener: Listener) -> str:
    return getattr(listener, "__qualname__", None) or type(listener).__name__
