"""A workflow as a marketer writes it: what starts a journey, the settings every journey follows, and the blocks.

:func:`parse_workflow` reads the public JSON (docs/workflows.md) and raises ``InvalidInput`` naming every bad part
by its path (``blocks.remind.template``, ``settings.reentry.days``); graph checks are ``workflows.graph``'s.
Property filters accept the segment rule language's operators and the spelled-out ones (``equals``,
``notEquals``, ``oneOf``, ``notOneOf``).
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import Field, ValidationError, field_validator, model_validator

from chalicelib.errors import ErrorDetail, InvalidInput
from chalicelib.segments.conditions import Condition as Rule
from chalicelib.segments.conditions import PropertyFilter
from chalicelib.segments.rule_tree import parse_condition
from chalicelib.validation import TimeZoneName, details_from
from chalicelib.workflows.blocks import (
    BLOCK_TYPES,
    ID_PATTERN,
    Block,
    Condition,
    Duration,
    Strict,
    check_time,
)

MAX_BLOCKS = 100
OP_ALIASES = {"equals": "eq", "notEquals": "ne", "oneOf": "in", "notOneOf": "notIn"}
_ID = re.compile(ID_PATTERN)


class Schedule(Strict):
    """Every day (or every ``weekday``) at ``time`` in ``timeZone``, for each member of ``segment``."""

    segment: str = Field(min_length=1, max_length=64)
    time: str
    weekday: Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"] | None = None
    timeZone: TimeZoneName = "UTC"

    _time = field_validator("time")(check_time)


class FieldChange(Strict):
    """A contact field changing (to ``to`` when given)."""

    field: str = Field(min_length=1, max_length=100)
    to: Any = None


class Trigger(Strict):
    """What starts a journey: exactly one of an event (with property filters), entering a segment, a field change,
    a schedule over a segment's members, or an API call (``{"api": true}``)."""

    event: str | None = Field(default=None, min_length=1, max_length=100)
    where: list[PropertyFilter] = Field(default_factory=list, max_length=10)
    segment: str | None = Field(default=None, min_length=1, max_length=64, description="Entering this segment")
    fieldChange: FieldChange | None = None
    schedule: Schedule | None = None
    api: bool | None = None

    @property
    def kind(self) -> str:
        return next(k for k in ("event", "segment", "fieldChange", "schedule", "api") if getattr(self, k))

    @model_validator(mode="after")
    def _one(self) -> Trigger:
        given = [k for k in ("event", "segment", "fieldChange", "schedule", "api") if getattr(self, k)]
        if len(given) != 1:
            raise ValueError("give exactly one of event, segment, fieldChange, schedule, api")
        if self.where and self.event is None:
            raise ValueError("where applies to an event trigger")
        return self


class Reentry(Strict):
    """Whether a contact may start the journey again: ``every`` time, only ``once``, or ``oncePer`` ``days``."""

    mode: Literal["every", "once", "oncePer"] = "every"
    days: int | None = Field(default=None, ge=1, le=3650)

    @model_validator(mode="after")
    def _days(self) -> Reentry:
        if (self.mode == "oncePer") != (self.days is not None):
            raise ValueError("days goes with mode oncePer, and only with it")
        return self


class StopRule(Strict):
    """End a contact's journey when they do ``event`` (matching ``where``), enter ``segment``, or place an order."""

    event: str | None = Field(default=None, min_length=1, max_length=100)
    where: list[PropertyFilter] = Field(default_factory=list, max_length=10)
    segment: str | None = Field(default=None, min_length=1, max_length=64)
    order: bool | None = None

    @model_validator(mode="after")
    def _one(self) -> StopRule:
        given = [k for k in ("event", "segment", "order") if getattr(self, k)]
        if len(given) != 1:
            raise ValueError("give exactly one of event, segment, order")
        if self.where and self.event is None:
            raise ValueError("where applies to an event rule")
        return self


class Goal(Strict):
    """The conversion a journey aims at: ``event`` within ``within`` of the journey's start, counted once per
    journey."""

    event: str = Field(min_length=1, max_length=100)
    where: list[PropertyFilter] = Field(default_factory=list, max_length=10)
    within: Duration


class SendHours(Strict):
    """Local hours (in the contact's time zone) the journey's messages may go out, on the hour: ``09:00`` to
    ``21:00``; ``22:00`` to ``08:00`` spans midnight. A message due outside them waits for the next allowed hour."""

    from_: str = Field(alias="from", pattern=r"^([01]\d|2[0-3]):00$")
    to: str = Field(pattern=r"^([01]\d|2[0-4]):00$")

    @property
    def hours(self) -> tuple[int, int]:
        return int(self.from_[:2]), int(self.to[:2])

    @model_validator(mode="after")
    def _order(self) -> SendHours:
        if self.hours[0] == self.hours[1] % 24:
            raise ValueError("from and to must differ")
        return self


class Settings(Strict):
    reentry: Reentry = Field(default_factory=Reentry)
    skipIfInside: bool = True
    stopWhen: list[StopRule] = Field(default_factory=list, max_length=10)
    goal: Goal | None = None
    sendHours: SendHours | None = None


class Workflow(Strict):
    """A validated workflow definition (no graph checks yet: ``workflows.graph.check``)."""

    name: str = Field(min_length=1, max_length=200)
    tags: list[str] = Field(default_factory=list, max_length=20)
    trigger: Trigger
    settings: Settings = Field(default_factory=Settings)
    start: str
    blocks: dict[str, Block]
    rules: dict[str, Rule] = Field(default_factory=dict, exclude=True)  # condition blocks' parsed rules


def parse_workflow(data: Any) -> Workflow:
    """The workflow ``data`` describes, or ``InvalidInput`` naming every bad part."""
    if not isinstance(data, dict):
        raise InvalidInput("The workflow must be a JSON object", [ErrorDetail("", "must be an object")])
    data = _aliased(data)
    errors: list[ErrorDetail] = []
    blocks_data = data.get("blocks")
    blocks: dict[str, Block] = {}
    rules: dict[str, Rule] = {}
    if not isinstance(blocks_data, dict) or not blocks_data:
        errors.append(ErrorDetail("blocks", "must be an object of blocks by id, with at least one"))
    elif len(blocks_data) > MAX_BLOCKS:
        errors.append(ErrorDetail("blocks", f"has {len(blocks_data)} blocks; at most {MAX_BLOCKS}"))
    else:
        for block_id, body in blocks_data.items():
            parsed = _block(block_id, body, errors)
            if parsed is not None:
                blocks[block_id] = parsed
                if isinstance(parsed, Condition) and parsed.rule is not None:
                    try:
                        rules[block_id] = parse_condition(parsed.rule, f"blocks.{block_id}.rule")
                    except InvalidInput as exc:
                        errors.extend(exc.details)
    rest = {k: v for k, v in data.items() if k != "blocks"}
    try:
        shell = Workflow.model_validate(rest | {"blocks": {}})
    except ValidationError as exc:
        errors.extend(details_from(exc))
        shell = None
    if errors or shell is None:
        raise InvalidInput("The workflow is invalid", errors)
    return shell.model_copy(update={"blocks": blocks, "rules": rules})


def _block(block_id: str, body: Any, errors: list[ErrorDetail]) -> Block | None:
    path = f"blocks.{block_id}"
    if not _ID.match(block_id):
        errors.append(ErrorDetail(path, "a block id is 1-48 letters, digits, _ or -, starting with a letter or digit"))
        return None
    if not isinstance(body, dict):
        errors.append(ErrorDetail(path, "must be an object"))
        return None
    kind = body.get("type")
    model = BLOCK_TYPES.get(kind) if isinstance(kind, str) else None
    if model is None:
        errors.append(ErrorDetail(f"{path}.type", "must be one of " + ", ".join(BLOCK_TYPES)))
        return None
    try:
        return model.model_validate(body)  # type: ignore[return-value]
    except ValidationError as exc:
        errors.extend(details_from(exc, path))
        return None


def _aliased(data: Any) -> Any:
    """``data`` with every property filter's spelled-out operator (``equals``) turned into the rule language's
    (``eq``), leaving segment rules (which have their own spellings) as they are."""
    if isinstance(data, dict):
        out = {}
        for key, value in data.items():
            if key == "rule":
                out[key] = value
            elif key == "where" and isinstance(value, list):
                out[key] = [_op(f) for f in value]
            else:
                out[key] = _aliased(value)
        return out
    if isinstance(data, list):
        return [_aliased(v) for v in data]
    return data


def _op(item: Any) -> Any:
    if isinstance(item, dict) and item.get("op") in OP_ALIASES:
        return item | {"op": OP_ALIASES[item["op"]]}
    return item


def dump_workflow(workflow: Workflow) -> dict[str, Any]:
    """The workflow as public JSON (unset options left out)."""
    out = workflow.model_dump(mode="json", by_alias=True, exclude_defaults=True, exclude={"rules", "blocks"})
    out["trigger"] = workflow.trigger.model_dump(mode="json", by_alias=True, exclude_defaults=True)
    out["start"] = workflow.start
    out["blocks"] = {
        block_id: block.model_dump(mode="json", by_alias=True, exclude_defaults=True) | {"type": block.type}
        for block_id, block in workflow.blocks.items()
    }
    return out
