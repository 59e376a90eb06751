"""In-memory ``ContactMerges`` over a ``FakeContactStore``: the alias write and the target check under one lock."""

from __future__ import annotations

from chalicelib.contacts.record import ContactRecord
from chalicelib.errors import Conflict
from chalicelib.ports import ContactMerges
from tests.fakes.contacts import FakeContactStore


class FakeContactMerges:
    def __init__(self, contacts: FakeContactStore) -> None:
        self.contacts = contacts

    def retire(self, alias: ContactRecord, old: ContactRecord, target: ContactRecord) -> None:
        with self.contacts._lock:
            stored = self.contacts.records.get(target.key)
            if stored is None or stored.version != target.version:
                raise Conflict("The item changed or already exists")
            self.contacts.save(alias, old)  # conditional on old's version; raises Conflict, writing nothing


_: ContactMerges = FakeContactMerges(FakeContactStore())
