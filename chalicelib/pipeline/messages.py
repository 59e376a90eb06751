"""Queue message bodies (versioned). Consumers ignore unknown fields so producers can grow."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from chalicelib.events.models import Event
from chalicelib.identity.commands import AliasCommand, IdentifyCommand


class _Msg(BaseModel):
    model_config = ConfigDict(extra="ignore")
    v: Literal[1] = 1


class EventMsg(_Msg):
    kind: Literal["event"] = "event"
    event: Event


class OrderMsg(_Msg):
    kind: Literal["order"] = "order"
    order: dict[str, Any]
    receivedAt: str


class IdentifyMsg(_Msg):
    kind: Literal["identify"] = "identify"
    command: IdentifyCommand


class AliasMsg(_Msg):
    kind: Literal["alias"] = "alias"
    command: AliasCommand


class MergeMsg(_Msg):
    """Fold provisional profiles (unknown email/phone) into a contact created later."""

    kind: Literal["merge"] = "merge"
    into: str
    sources: list[str]


class ImportRow(BaseModel):
    index: int
    externalId: str
    contact: dict[str, Any]


class ImportMsg(_Msg):
    kind: Literal["import"] = "import"
    importId: str
    chunk: int
    rows: list[ImportRow]


Message = Annotated[EventMsg | OrderMsg | IdentifyMsg | AliasMsg | MergeMsg | ImportMsg, Field(discriminator="kind")]


class Envelope(BaseModel):
    message: Message


def parse_message(
    body: dict[str, Any],
) -> EventMsg | OrderMsg | IdentifyMsg | AliasMsg | MergeMsg | ImportMsg:
    return Envelope.model_validate({"message": body}).message


def dump(message: _Msg) -> dict[str, Any]:
    return message.model_dump(mode="json", exclude_none=True)
