"""The blocks of a workflow: one model per ``type``, each naming the block(s) that follow it.

A block's ``next`` is one block id, or, for blocks with branches, an object naming one per branch:
``waitForEvent`` (``event``, ``timeout``), ``condition`` (``yes``, ``no``), ``webhook`` (``ok``, ``error``; a plain id
sends both to it), ``split`` (each branch names its own). Values written as text may be jinja2 expressions over
``contact``, ``trigger`` and ``vars`` (``{{ trigger.properties.cart_id }}``), evaluated in the sandbox when the block
runs.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from chalicelib.segments.conditions import Channel, PropertyFilter

ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,47}$"
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MAX_WAIT_DAYS = 365  # Step Functions Standard runs an execution for at most a year
_TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Duration(Strict):
    """An amount of time: any of days, hours and minutes (together more than zero, at most a year)."""

    days: int = Field(default=0, ge=0, le=MAX_WAIT_DAYS)
    hours: int = Field(default=0, ge=0, le=24 * MAX_WAIT_DAYS)
    minutes: int = Field(default=0, ge=0, le=24 * 60 * MAX_WAIT_DAYS)

    @property
    def seconds(self) -> int:
        return ((self.days * 24 + self.hours) * 60 + self.minutes) * 60

    @model_validator(mode="after")
    def _positive(self) -> Duration:
        if self.seconds <= 0:
            raise ValueError("give days, hours or minutes (more than zero in all)")
        if self.seconds > MAX_WAIT_DAYS * 86400:
            raise ValueError(f"must be at most {MAX_WAIT_DAYS} days")
        return self


def check_time(text: str) -> str:
    if not _TIME.match(text):
        raise ValueError("must be a time HH:MM (00:00-23:59)")
    return text


class Until(Strict):
    """The next moment at ``time`` (on ``weekday`` when given) in the contact's time zone."""

    time: str
    weekday: Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"] | None = None

    _time = field_validator("time")(check_time)


class UntilDate(Strict):
    """The moment a date or time names, read from a contact field (``fields.renewal``) or a trigger event property
    (``properties.delivery_date``), moved by ``offsetDays`` (negative: before it); a date alone means ``time`` in the
    contact's time zone. A date already past continues at once."""

    field: str | None = Field(default=None, min_length=1, max_length=100)
    property: str | None = Field(default=None, min_length=1, max_length=200)
    offsetDays: int = Field(default=0, ge=-MAX_WAIT_DAYS, le=MAX_WAIT_DAYS)
    time: str = "09:00"

    _time = field_validator("time")(check_time)

    @model_validator(mode="after")
    def _one(self) -> UntilDate:
        if (self.field is None) == (self.property is None):
            raise ValueError("give either field or property")
        return self


class Wait(Strict):
    """Pause the journey: for a duration, until a weekday and time, or until a date from the contact or the trigger."""

    type: Literal["wait"]
    duration: Duration | None = None
    until: Until | None = None
    untilDate: UntilDate | None = None
    next: str

    @model_validator(mode="after")
    def _one(self) -> Wait:
        given = [k for k in ("duration", "until", "untilDate") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of duration, until, untilDate")
        return self


class EventBranches(Strict):
    event: str
    timeout: str


class WaitForEvent(Strict):
    """Pause until the contact does ``event`` (matching ``where`` and, for each ``match`` property, the value its
    expression gives, such as the same cart id), or until ``timeout`` passes."""

    type: Literal["waitForEvent"]
    event: str = Field(min_length=1, max_length=100)
    where: list[PropertyFilter] = Field(default_factory=list, max_length=10)
    match: dict[str, str] = Field(default_factory=dict, max_length=1, description="One correlation property")
    timeout: Duration
    next: EventBranches


class YesNo(Strict):
    yes: str
    no: str


LastMessage = Literal["sent", "delivered", "opened", "clicked"]


class Condition(Strict):
    """Branch on a segment rule over the contact (``rule``), on filters over ``trigger`` and ``vars`` (``where``,
    properties spelled ``trigger.properties.total`` or ``vars.plan``), or on what became of the last message this
    journey sent (``lastMessage``)."""

    type: Literal["condition"]
    rule: Any = None  # the segment rule language; parsed by workflows.model so errors carry their path
    where: list[PropertyFilter] | None = Field(default=None, min_length=1, max_length=10)
    lastMessage: LastMessage | None = None
    next: YesNo

    @model_validator(mode="after")
    def _one(self) -> Condition:
        given = [k for k in ("rule", "where", "lastMessage") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of rule, where, lastMessage")
        return self


class Branch(Strict):
    weight: int = Field(ge=1, le=100)
    next: str


class Split(Strict):
    """Send each contact down one branch at random, in proportion to the weights."""

    type: Literal["split"]
    branches: list[Branch] = Field(min_length=2, max_length=10)


class SendMessage(Strict):
    type: Literal["sendMessage"]
    channel: Channel
    template: str = Field(min_length=1, max_length=64)
    transactional: bool = False
    next: str


class AvoidRepeat(Strict):
    days: int = Field(ge=1, le=MAX_WAIT_DAYS)


class OneFromMany(Strict):
    """Send one variant from a pool (listed templates, or every template of the channel carrying ``tag``), chosen by
    a bandit that favours the best click rate and does not repeat a variant to a contact within ``avoidRepeat``."""

    type: Literal["oneFromMany"]
    channel: Channel
    templates: list[str] | None = Field(default=None, min_length=2, max_length=20)
    tag: str | None = Field(default=None, min_length=1, max_length=50)
    avoidRepeat: AvoidRepeat | None = None
    next: str

    @model_validator(mode="after")
    def _one(self) -> OneFromMany:
        if (self.templates is None) == (self.tag is None):
            raise ValueError("give either templates or tag")
        return self


class UpdateContact(Strict):
    """Set fields (values may be expressions) and add to numeric ones (``fields.<name>``, or a standard field for
    ``set``)."""

    type: Literal["updateContact"]
    set: dict[str, Any] = Field(default_factory=dict, max_length=20)
    increment: dict[str, float] = Field(default_factory=dict, max_length=20)
    next: str

    @model_validator(mode="after")
    def _some(self) -> UpdateContact:
        if not self.set and not self.increment:
            raise ValueError("give set or increment")
        bad = [f for f in self.increment if not f.startswith("fields.")]
        if bad:
            raise ValueError(f"increment applies to additional fields (fields.<name>), not {', '.join(bad)}")
        return self


class ListChange(Strict):
    type: Literal["addToList", "removeFromList"]
    list: str = Field(min_length=1, max_length=64)
    next: str


class OkError(Strict):
    ok: str
    error: str


class Webhook(Strict):
    """Call an HTTPS URL with a templated body; its JSON answer is kept in ``vars[saveAs]`` for later blocks.
    Private and loopback addresses are refused unless the stage allows them."""

    type: Literal["webhook"]
    url: str = Field(min_length=9, max_length=2000)
    method: Literal["GET", "POST", "PUT", "PATCH"] = "POST"
    headers: dict[str, str] = Field(default_factory=dict, max_length=20)
    body: Any = None
    saveAs: str | None = Field(default=None, pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,39}$")
    next: str | OkError

    @field_validator("url")
    @classmethod
    def _https(cls, url: str) -> str:
        if not url.startswith("https://") and "{{" not in url.split("/")[0]:
            raise ValueError("must be an https:// URL")
        return url


class GenerateEvent(Strict):
    """Record an event on the contact (it may start or stop other workflows)."""

    type: Literal["generateEvent"]
    event: str = Field(min_length=1, max_length=100)
    properties: dict[str, Any] = Field(default_factory=dict, max_length=50)
    next: str


class End(Strict):
    type: Literal["end"]


Block = (
    Wait
    | WaitForEvent
    | Condition
    | Split
    | SendMessage
    | OneFromMany
    | UpdateContact
    | ListChange
    | Webhook
    | GenerateEvent
    | End
)
BLOCK_TYPES: dict[str, type[BaseModel]] = {
    "wait": Wait,
    "waitForEvent": WaitForEvent,
    "condition": Condition,
    "split": Split,
    "sendMessage": SendMessage,
    "oneFromMany": OneFromMany,
    "updateContact": UpdateContact,
    "addToList": ListChange,
    "removeFromList": ListChange,
    "webhook": Webhook,
    "generateEvent": GenerateEvent,
    "end": End,
}
PAUSES = (Wait, WaitForEvent)  # the blocks a journey stops at between task runs


def exits(block: Block) -> list[tuple[str, str]]:
    """(branch name, next block id) of every way out of ``block``; the branch is ``next`` for a single exit."""
    if isinstance(block, End):
        return []
    if isinstance(block, Split):
        return [(f"branch{i + 1}", b.next) for i, b in enumerate(block.branches)]
    nxt = block.next
    if isinstance(nxt, str):
        return [("next", nxt)]
    return [(name, target) for name, target in nxt.model_dump().items()]
