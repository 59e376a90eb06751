"""One contract suite, two implementations: every test here runs against the in-memory fake (``fake``) and
against the adapter on a fresh moto account (``aws``, from the ``stores`` fixture).

A test takes the port it checks (``contacts``, ``events``, ``orders``, ``keys``, ``fields``, ``imports``,
``catalog``, ``queues``, ``dead_letters``) and only talks to it through the port's methods.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from chalicelib.clock import FixedClock
from chalicelib.messages import QueueMessage, Stream, parse_message
from chalicelib.ports import (
    Catalog,
    ContactStore,
    DeadLetters,
    EventLog,
    FieldStore,
    ImportJobStore,
    KeyStore,
    OrderStore,
    Ports,
)
from tests.contract.queues import Queues
from tests.fakes import FakePublisher, fake_ports


@pytest.fixture(params=["fake", "aws"])
def wired(request: pytest.FixtureRequest, clock: FixedClock) -> Ports:
    """The ports of one implementation: the fakes, or the adapters on moto."""
    if request.param == "fake":
        return fake_ports(clock=clock)
    stores: Ports = request.getfixturevalue("stores")
    return stores


@pytest.fixture
def contacts(wired: Ports) -> ContactStore:
    return wired.contacts


@pytest.fixture
def events(wired: Ports) -> EventLog:
    return wired.events


@pytest.fixture
def orders(wired: Ports) -> OrderStore:
    return wired.orders


@pytest.fixture
def keys(wired: Ports) -> KeyStore:
    return wired.keys


@pytest.fixture
def fields(wired: Ports) -> FieldStore:
    return wired.fields


@pytest.fixture
def imports(wired: Ports) -> ImportJobStore:
    return wired.imports


@pytest.fixture
def catalog(wired: Ports) -> Catalog:
    return wired.catalog


@pytest.fixture
def queues(wired: Ports) -> Queues:
    publisher = wired.publisher
    if isinstance(publisher, FakePublisher):
        return Queues(publisher, publisher.drain)

    from chalicelib import aws

    sqs = aws.sqs()
    names: dict[Stream, str] = {"events": wired.settings.events_queue, "imports": wired.settings.imports_queue}

    def receive(stream: Stream) -> list[QueueMessage]:
        url = sqs.get_queue_url(QueueName=names[stream])["QueueUrl"]
        received: list[QueueMessage] = []
        while True:
            out = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0)
            messages = out.get("Messages", [])
            if not messages:
                return received
            for message in messages:
                received.append(parse_message(message["Body"]))
                sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])

    return Queues(publisher, receive)


@pytest.fixture
def dead_letters(wired: Ports) -> DeadLetters:
    return wired.dead_letters


@pytest.fixture
def requeued(wired: Ports) -> Callable[[Stream], list[str]]:
    """The raw bodies waiting on a stream's queue (taken off it): where a redrive sends dead letters."""
    publisher = wired.publisher
    if isinstance(publisher, FakePublisher):

        def taken(stream: Stream) -> list[str]:
            bodies, publisher.raw[stream] = publisher.raw[stream], []
            return bodies

        return taken

    from chalicelib import aws

    sqs = aws.sqs()
    names: dict[Stream, str] = {"events": wired.settings.events_queue, "imports": wired.settings.imports_queue}

    def received(stream: Stream) -> list[str]:
        url = sqs.get_queue_url(QueueName=names[stream])["QueueUrl"]
        bodies: list[str] = []
        while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
            for message in messages:
                bodies.append(message["Body"])
                sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        return bodies

    return received
