"""In-memory ``CampaignStore``: campaigns change only from the status expected, a mark records one outcome once,
due entries come back earliest first until dropped."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from dataclasses import replace
from typing import Any

from chalicelib.errors import Conflict, NotFound
from chalicelib.messaging.campaigns import Campaign, CampaignStatus

_SETTABLE = {"status", "generation", "fanned_out", "updated_at"}


class FakeCampaignStore:
    def __init__(self) -> None:
        self.stored: dict[str, Campaign] = {}
        self.marks: dict[tuple[str, str], tuple[str, str | None]] = {}
        self.entries: dict[str, str] = {}
        self._lock = threading.RLock()

    def create(self, campaign: Campaign) -> None:
        with self._lock:
            if campaign.id in self.stored:
                raise Conflict(f"Campaign {campaign.id!r} exists")
            self.stored[campaign.id] = replace(campaign, progress=dict(campaign.progress))

    def campaign(self, campaign_id: str) -> Campaign | None:
        with self._lock:
            found = self.stored.get(campaign_id)
            return replace(found, progress=dict(found.progress)) if found else None

    def campaigns(self) -> list[Campaign]:
        with self._lock:
            return [c for i in sorted(self.stored) if (c := self.campaign(i))]

    def update(self, campaign_id: str, expected: CampaignStatus, changes: Mapping[str, Any]) -> Campaign:
        if set(changes) - _SETTABLE:
            raise ValueError(f"cannot set {sorted(set(changes) - _SETTABLE)} on a campaign")
        with self._lock:
            found = self.stored.get(campaign_id)
            if found is None:
                raise NotFound(f"Campaign {campaign_id!r} does not exist")
            if found.status != expected:
                raise Conflict(f"Campaign {campaign_id!r} is {found.status}, not {expected}")
            self.stored[campaign_id] = replace(found, **changes)
            return self.campaign(campaign_id)  # type: ignore[return-value]

    def record(self, campaign_id: str, mark: str, outcome: str, message_id: str | None = None, n: int = 1) -> bool:
        with self._lock:
            if (campaign_id, mark) in self.marks:
                return False
            self.marks[(campaign_id, mark)] = (outcome, message_id)
            found = self.stored.get(campaign_id)
            if found is not None:
                found.progress[outcome] = found.progress.get(outcome, 0) + n
            return True

    def outcomes(self, campaign_id: str) -> Iterator[tuple[str, str, str | None]]:
        with self._lock:
            found = [
                (mark, outcome, mid)
                for (cid, mark), (outcome, mid) in sorted(self.marks.items())
                if cid == campaign_id and not mark.startswith("page:")
            ]
        yield from found

    def schedule(self, at: str, key: str, body: str) -> None:
        with self._lock:
            self.entries.setdefault(f"{at}#{key}", body)

    def due(self, until: str, limit: int) -> list[tuple[str, str]]:
        with self._lock:
            return [(e, self.entries[e]) for e in sorted(self.entries) if e.split("#", 1)[0] <= until][:limit]

    def done(self, entry: str) -> None:
        with self._lock:
            self.entries.pop(entry, None)
