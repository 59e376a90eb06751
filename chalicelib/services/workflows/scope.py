"""What a running stretch knows and reads: the journey (contact, trigger, workflow), the contact's card, the
journey's variables and the last message it sent; and the expressions blocks write over them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from chalicelib.contacts.record import ContactRecord
from chalicelib.messaging.render import RenderError, render_text


class BlockFailed(Exception):
    """A block failed for good (its reason recorded); Step Functions catches it into the journey's failure."""


class JourneyStopped(Exception):
    """A stop rule was met, or the contact is gone; Step Functions ends the journey as stopped."""


@dataclass
class Scope:
    """One task run over one journey."""

    workflow_id: str
    revision: int
    execution: str
    seq: int
    contact: ContactRecord
    card: dict[str, Any]
    trigger: dict[str, Any]
    started_at: str
    now: datetime
    vars: dict[str, Any] = field(default_factory=dict)
    last: dict[str, Any] | None = None  # {"messageId", "channel", "templateId"} of the journey's last send
    resumed: dict[str, Any] | None = None  # the event that ended the last waitForEvent

    @property
    def origin(self) -> str:
        """The send ledger's origin for this journey's messages."""
        return f"wf:{self.workflow_id}:{self.execution}"

    def step_key(self, block_id: str) -> str:
        return f"{self.seq}:{block_id}"

    def variables(self) -> dict[str, Any]:
        """The names expressions read: ``contact`` (the card, with ``fields``), ``trigger``, ``vars``, ``event`` (the
        event that resumed the journey, else the trigger's properties)."""
        event = (self.resumed or {}).get("properties") if self.resumed else self.trigger.get("properties")
        return {"contact": self.card, "trigger": self.trigger, "vars": self.vars, "event": event or {}}

    def expand(self, value: Any, path: str) -> Any:
        """``value`` with every text rendered as a template over ``variables()`` (lists and objects walked);
        BlockFailed naming ``path`` when one does not render."""
        try:
            return _expand(value, self.variables(), path)
        except RenderError as exc:
            raise BlockFailed(str(exc)) from exc


def _expand(value: Any, variables: dict[str, Any], path: str) -> Any:
    if isinstance(value, str):
        return render_text(value, "text", variables, path)
    if isinstance(value, list):
        return [_expand(v, variables, f"{path}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, dict):
        return {k: _expand(v, variables, f"{path}.{k}") for k, v in value.items()}
    return value
