"""Merging one known contact into another: pure rules over the two records.

The target's values win: its profile attributes and additional fields are kept, the other's fill only what the
target lacks; channels are the union (by type and value, the target's first); aggregates and the folded-events
record add up; the other's merged profiles, anonymous ids and links become the target's. The other becomes a
tombstone: an alias of the target that keeps everything it held until the target lists the merge, so a crash
between the two writes is rolled forward from it (``services/consumer/merging.py`` makes the writes).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from chalicelib.contacts import aggregates, keys
from chalicelib.contacts.identifiers import FINDABLE, key_of
from chalicelib.contacts.record import KIND_ALIAS, KIND_CONTACT, ContactRecord

MAX_CHAIN = 5  # aliases of aliases followed to find where a merged contact went


def tombstone(source: ContactRecord, target_key: str) -> ContactRecord:
    """``source`` as an alias of ``target_key`` that still holds its data (it is folded from this copy)."""
    alias = copy.deepcopy(source)
    alias.kind, alias.merged_into = KIND_ALIAS, target_key
    return alias


def pointed_at(alias: ContactRecord, target_key: str) -> ContactRecord:
    """An alias (an anonymous id, a merged profile or contact) re-pointed at ``target_key``."""
    moved = copy.deepcopy(alias)
    moved.merged_into = target_key
    return moved


def chain_to(source: ContactRecord, target_key: str, load: Callable[[str], ContactRecord | None]) -> list[str] | None:
    """The keys from ``source`` to ``target_key`` when ``source`` may be merged into it: ``[source]`` for a live
    contact or a tombstone pointing at the target, ``[source, ...]`` through aliases when it was merged into a
    contact that was then merged into the target; None when it went somewhere else (or is not a contact)."""
    if source.kind == KIND_CONTACT:
        return [source.key]
    chain, rec = [source.key], source
    for _hop in range(MAX_CHAIN):
        if rec.kind != KIND_ALIAS or not rec.merged_into or not keys.is_known(rec.key):
            return None
        if rec.merged_into == target_key:
            return chain
        following = load(rec.merged_into)
        if following is None:
            return None
        chain.append(following.key)
        rec = following
    return None


def links_needed(source: ContactRecord, target: ContactRecord) -> list[str]:
    """Keys of the source's email and phone that the target will not hold (it has its own): each becomes a link
    to the target, so events naming only the old address still find the merged contact."""
    needed = []
    for attr in FINDABLE:
        value, mine = source.profile.get(attr), target.profile.get(attr)
        if isinstance(value, str) and value and mine and mine != value:
            needed.append(key_of(attr, value))
    return needed


def fold_contact(rec: ContactRecord, source: ContactRecord, entry: dict[str, Any], links: list[str]) -> None:
    """Fold a merged known contact (or its tombstone) into ``rec`` in place, and record the merge."""
    rec.aggs = aggregates.merge(rec.aggs or aggregates.empty(), source.aggs or aggregates.empty())
    rec.folded.absorb(source.folded)
    for attr, value in source.profile.items():
        rec.profile.setdefault(attr, copy.deepcopy(value))
    for name, value in source.fields.items():
        rec.fields.setdefault(name, copy.deepcopy(value))
    seen = {(c.get("type"), c.get("value")) for c in rec.channels}
    for channel in source.channels:
        if (channel.get("type"), channel.get("value")) not in seen:
            rec.channels.append(copy.deepcopy(channel))
            seen.add((channel.get("type"), channel.get("value")))
    for key in [*source.merged, source.key, *links]:
        if key != rec.key and key not in rec.merged:
            rec.merged.append(key)
    rec.merge_history.append(entry)
