"""Documents of one kind in their own small partition of the meta table, ``(pk=<kind>, sk=<id>)``, so listing them
is one Query: each item holds the document as compressed JSON in ``body``, beside ``rev`` for the optimistic
update and ``createdAt`` to order the listing. The adapters (``templates.py``, ``widgets.py``, ``workflows.py``)
keep only how their document packs, unpacks and names its id, revision and creation time."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Generic, NamedTuple, TypeVar

from chalicelib.errors import Conflict, NotFound

if TYPE_CHECKING:  # the fakes share ``Head`` without loading botocore
    from chalicelib.storage.dynamo import Table
    from chalicelib.storage.items import Item

D = TypeVar("D")


class Head(NamedTuple):
    """What the item keeps of a document outside its body."""

    id: str
    revision: int
    created_at: str


class Documents(Generic[D]):
    """The documents of partition ``pk``; ``noun`` names one in error messages (``"Template"``)."""

    def __init__(
        self,
        table: Table,
        pk: str,
        noun: str,
        head: Callable[[D], Head],
        pack: Callable[[D], bytes],
        unpack: Callable[[bytes], D],
    ) -> None:
        self.table = table
        self.pk = pk
        self.noun = noun
        self.head = head
        self.pack = pack
        self.unpack = unpack

    def _item(self, doc: D) -> Item:
        doc_id, revision, created_at = self.head(doc)
        return {"pk": self.pk, "sk": doc_id, "rev": revision, "createdAt": created_at, "body": self.pack(doc)}

    def create(self, doc: D) -> None:
        """Conflict: a document with its id exists."""
        try:
            self.table.put(self._item(doc), "attribute_not_exists(sk)")
        except Conflict as exc:
            raise Conflict(f"{self.noun} {self.head(doc).id!r} already exists") from exc

    def get(self, doc_id: str) -> D | None:
        item = self.table.get({"pk": self.pk, "sk": doc_id})
        return self.unpack(bytes(item["body"])) if item else None

    def all(self) -> list[D]:
        """Every document, oldest first (a document saved a moment ago is listed: the read is consistent)."""
        items = list(self.table.query_all("pk = :pk", {":pk": self.pk}, consistent=True))
        items.sort(key=lambda i: (i["createdAt"], i["sk"]))
        return [self.unpack(bytes(i["body"])) for i in items]

    def replace(self, doc: D, expected_revision: int) -> None:
        """Overwrite the stored document if it is at ``expected_revision``. NotFound: none with its id; Conflict:
        it is at another revision."""
        try:
            self.table.replace(self._item(doc), 0, "attribute_exists(sk) AND rev = :rev", {":rev": expected_revision})
        except Conflict as exc:
            doc_id = self.head(doc).id
            stored = self.get(doc_id)
            if stored is None:
                raise NotFound(f"{self.noun} {doc_id!r} does not exist") from exc
            raise Conflict(
                f"{self.noun} {doc_id!r} changed: it is at revision {self.head(stored).revision}, "
                f"not {expected_revision}"
            ) from exc

    def delete(self, doc_id: str) -> None:
        """NotFound: none with that id."""
        try:
            self.table.delete({"pk": self.pk, "sk": doc_id}, condition="attribute_exists(sk)")
        except Conflict as exc:
            raise NotFound(f"{self.noun} {doc_id!r} does not exist") from exc
