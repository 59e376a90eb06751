"""QueueStatus: what waits on each stream's queue and what is parked on its dead-letter queue, read without
taking anything off either."""

from __future__ import annotations

from chalicelib.ports import Ports
from tests.contract.test_publisher import event_msg, import_msg


def test_empty_queues_report_nothing_waiting(wired: Ports) -> None:
    for stream in ("events", "imports"):
        state = wired.queue_status.status(stream)

        assert (state.depth, state.in_flight, state.dead_letters) == (0, 0, 0)


def test_published_messages_are_counted_on_their_stream(wired: Ports) -> None:
    wired.publisher.publish([event_msg(n) for n in range(3)] + [import_msg(0)])

    events, imports = wired.queue_status.status("events"), wired.queue_status.status("imports")

    assert (events.depth, events.in_flight, events.dead_letters) == (3, 0, 0)
    assert (imports.depth, imports.dead_letters) == (1, 0)


def test_parked_messages_are_counted_and_stay_parked(wired: Ports) -> None:
    wired.dead_letters.park("imports", "not json", "cannot be parsed")
    wired.dead_letters.park("imports", "{}", "unknown kind")

    first = wired.queue_status.status("imports")
    second = wired.queue_status.status("imports")

    assert first.dead_letters == second.dead_letters == 2
    assert first.depth == 0
    assert len(wired.dead_letters.peek("imports", 10)) == 2  # looking took nothing off
