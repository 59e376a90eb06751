"""The publisher's side of the contract: a publisher, and what each stream's consumer receives from it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from chalicelib.messages import QueueMessage, Stream
from chalicelib.ports import Publisher


@dataclass
class Queues:
    """A publisher and what a consumer of each stream receives from it (taken off the stream)."""

    publisher: Publisher
    receive: Callable[[Stream], list[QueueMessage]]
