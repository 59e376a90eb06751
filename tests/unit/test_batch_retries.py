"""Unprocessed batch items are retried with backoff inside the adapter, and give up as Retryable."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.errors import Retryable
from chalicelib.storage.dynamo import BATCH_ATTEMPTS, Table, backoff
from chalicelib.storage.items import Meter


class Throttling:
    """A stand-in DynamoDB client whose batch calls leave the first item unprocessed ``times`` times."""

    def __init__(self, times: int) -> None:
        self.times = times
        self.calls: list[int] = []

    def batch_write_item(self, RequestItems: dict[str, Any]) -> dict[str, Any]:  # noqa: N803
        (requests,) = RequestItems.values()
        self.calls.append(len(requests))
        if self.times:
            self.times -= 1
            return {"UnprocessedItems": {"t": requests[:1]}}
        return {}

    def batch_get_item(self, RequestItems: dict[str, Any]) -> dict[str, Any]:  # noqa: N803
        keys = RequestItems["t"]["Keys"]
        self.calls.append(len(keys))
        if self.times:
            self.times -= 1
            return {"Responses": {"t": keys[1:]}, "UnprocessedKeys": {"t": {"Keys": keys[:1]}}}
        return {"Responses": {"t": keys}}


def table(client: Throttling, sleeps: list[float]) -> Table:
    return Table(client, "t", meter=Meter(), sleep=sleeps.append)  # type: ignore[arg-type]


def test_unprocessed_writes_are_resent_alone_after_a_backoff():
    sleeps: list[float] = []
    client = Throttling(times=2)
    table(client, sleeps).batch_put([{"pk": "a"}, {"pk": "b"}, {"pk": "c"}])
    assert client.calls == [3, 1, 1] and len(sleeps) == 2


def test_unprocessed_keys_are_fetched_again_after_a_backoff():
    sleeps: list[float] = []
    client = Throttling(times=1)
    found = table(client, sleeps).batch_get([{"pk": "a"}, {"pk": "b"}])
    assert sorted(i["pk"] for i in found) == ["a", "b"] and len(sleeps) == 1


def test_writes_left_unprocessed_every_time_are_retryable():
    client = Throttling(times=BATCH_ATTEMPTS)
    with pytest.raises(Retryable):
        table(client, []).batch_delete([{"pk": "a"}])
    assert len(client.calls) == BATCH_ATTEMPTS


def test_backoff_grows_and_is_capped():
    assert all(0 <= backoff(n) <= min(2.0, 0.05 * 2**n) for n in range(1, 12) for _ in range(20))
