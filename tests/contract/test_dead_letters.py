"""DeadLetters: park a body with its reason, peek without consuming, send back to the stream's queue."""

from __future__ import annotations

from collections.abc import Callable

from chalicelib.messages import Stream
from chalicelib.ports import DeadLetters


def test_a_parked_body_is_listed_with_its_reason(dead_letters: DeadLetters) -> None:
    dead_letters.park("events", "not json", "cannot be parsed: Expecting value")

    (letter,) = dead_letters.peek("events", 10)

    assert (letter.body, letter.reason) == ("not json", "cannot be parsed: Expecting value")


def test_peeking_leaves_the_bodies_parked(dead_letters: DeadLetters) -> None:
    for n in range(3):
        dead_letters.park("events", f"body-{n}", "bad")

    first = dead_letters.peek("events", 10)
    again = dead_letters.peek("events", 10)

    assert (
        sorted(letter.body for letter in first)
        == sorted(letter.body for letter in again)
        == [
            "body-0",
            "body-1",
            "body-2",
        ]
    )


def test_streams_have_their_own_dead_letters(dead_letters: DeadLetters) -> None:
    dead_letters.park("imports", "chunk", "bad")

    assert dead_letters.peek("events", 10) == []
    assert [letter.body for letter in dead_letters.peek("imports", 10)] == ["chunk"]


def test_a_redrive_sends_each_body_back_once_and_empties_the_queue(
    dead_letters: DeadLetters, requeued: Callable[[Stream], list[str]]
) -> None:
    for n in range(12):
        dead_letters.park("events", f"body-{n}", "bad")

    assert dead_letters.redrive("events", 100) == 12

    assert dead_letters.peek("events", 100) == []
    assert sorted(requeued("events")) == sorted(f"body-{n}" for n in range(12))


def test_a_redrive_moves_at_most_its_limit(dead_letters: DeadLetters, requeued: Callable[[Stream], list[str]]) -> None:
    for n in range(5):
        dead_letters.park("imports", f"chunk-{n}", "bad")

    assert dead_letters.redrive("imports", 2) == 2

    assert len(dead_letters.peek("imports", 100)) == 3
    assert len(requeued("imports")) == 2
