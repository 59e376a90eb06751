"""The suppression list in the meta table: ``(pk="suppressed#<digest>", sk="suppressed")`` with the time it was added.

One partition per digest, not one for the whole list (as API keys have): the events consumer reads the digests
of every identifier in each batch, so the reads spread over the table instead of heating one partition. Only
digests are stored (``contacts/identifiers.digest``): the list can tell whether an identifier was erased, never
which identifiers were.
"""

from __future__ import annotations

from collections.abc import Collection

from chalicelib.storage.dynamo import Table

_PK = "suppressed#"
_SK = "suppressed"


def _key(digest: str) -> dict[str, str]:
    return {"pk": _PK + digest, "sk": _SK}


class DynamoSuppressions:
    def __init__(self, table: Table) -> None:
        self.table = table

    def suppress(self, digests: Collection[str], at: str) -> None:
        unique = sorted(set(digests))
        if unique:
            self.table.batch_put([{**_key(d), "at": at} for d in unique])

    def suppressed(self, digests: Collection[str]) -> set[str]:
        unique = sorted(set(digests))
        if not unique:
            return set()
        return {item["pk"][len(_PK) :] for item in self.table.batch_get([_key(d) for d in unique])}

    def lift(self, digests: Collection[str]) -> None:
        unique = sorted(set(digests))
        if unique:
            self.table.batch_delete([_key(d) for d in unique])
