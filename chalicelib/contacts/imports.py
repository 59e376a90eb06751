"""Bulk contact import models: the request (up to 3,000 rows), its acceptance, and its status."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

MAX_ROWS = 3000


class ImportRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    contacts: list[dict[str, Any]] = Field(min_length=1, max_length=MAX_ROWS)


class ImportAccepted(BaseModel):
    importId: str
    total: int
    statusUrl: str


class RowError(BaseModel):
    index: int
    externalId: str | None = None
    errors: list[dict[str, str]]


class ImportStatus(BaseModel):
    importId: str
    status: str = Field(description="PROCESSING or FINISHED")
    total: int
    processed: int
    succeeded: int
    failed: int
    createdAt: str
    errors: list[RowError]
