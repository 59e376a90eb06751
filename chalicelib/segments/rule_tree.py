"""Reading and walking a rule tree: :func:`parse_condition` from JSON, :func:`dump` back to it, and
:func:`children` / :func:`leaves` to walk it.

:func:`parse_condition` raises ``InvalidInput`` whose details name each bad part by its path
(``rule.all[2].within.days``), since a union of models would bury the path under the names of the models it
tried.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ValidationError

from chalicelib.errors import ErrorDetail, InvalidInput
from chalicelib.segments.conditions import GROUPS, KINDS, LEAVES, AllGroup, AnyGroup, Condition, Leaf, NotGroup
from chalicelib.validation import details_from

MAX_DEPTH = 8
MAX_CONDITIONS = 100


def parse_condition(data: Any, path: str = "rule") -> Condition:
    """A condition tree from JSON, or ``InvalidInput`` naming every bad part by its path."""
    errors: list[ErrorDetail] = []
    counted = [0]
    parsed = _parse(data, path, 0, errors, counted)
    if counted[0] > MAX_CONDITIONS:
        errors.append(ErrorDetail(path, f"has {counted[0]} conditions; at most {MAX_CONDITIONS}"))
    if errors or parsed is None:
        raise InvalidInput("The rule is invalid", errors)
    return parsed


def _parse(data: Any, path: str, depth: int, errors: list[ErrorDetail], counted: list[int]) -> Condition | None:
    if not isinstance(data, dict):
        errors.append(ErrorDetail(path, "must be an object naming one of " + ", ".join(KINDS)))
        return None
    kinds = [k for k in KINDS if k in data]
    if "message" in kinds and "channel" in kinds:  # a message condition's channel is an option, not a kind
        kinds.remove("channel")
    if len(kinds) != 1:
        found = f"it names {', '.join(kinds)}" if kinds else "it names none"
        errors.append(ErrorDetail(path, f"must name exactly one of {', '.join(KINDS)}; {found}"))
        return None
    kind = kinds[0]
    if kind in GROUPS:
        if depth >= MAX_DEPTH:
            errors.append(ErrorDetail(path, f"nests deeper than {MAX_DEPTH} groups"))
            return None
        extra = sorted(set(data) - {kind})
        errors.extend(ErrorDetail(f"{path}.{k}", "is not a known field") for k in extra)
        return _group(kind, data[kind], f"{path}.{kind}", depth, errors, counted)
    counted[0] += 1
    try:
        return LEAVES[kind].model_validate(data)  # type: ignore[return-value]
    except ValidationError as exc:
        errors.extend(details_from(exc, path))
        return None


def _group(
    kind: str, body: Any, path: str, depth: int, errors: list[ErrorDetail], counted: list[int]
) -> Condition | None:
    if kind == "not":
        inner = _parse(body, path, depth + 1, errors, counted)
        return NotGroup.model_construct(not_=inner) if inner is not None else None
    if not isinstance(body, list) or not body:
        errors.append(ErrorDetail(path, "must be a non-empty list of conditions"))
        return None
    children = [_parse(c, f"{path}[{i}]", depth + 1, errors, counted) for i, c in enumerate(body)]
    if any(c is None for c in children):
        return None
    kept = [c for c in children if c is not None]
    return AllGroup.model_construct(all=kept) if kind == "all" else AnyGroup.model_construct(any=kept)


def dump(condition: Condition) -> dict[str, Any]:
    """The condition as JSON (its public spelling: ``not``, ``from``; unset options left out)."""
    if isinstance(condition, AllGroup):
        return {"all": [dump(c) for c in condition.all]}
    if isinstance(condition, AnyGroup):
        return {"any": [dump(c) for c in condition.any]}
    if isinstance(condition, NotGroup):
        return {"not": dump(condition.not_)}
    return condition.model_dump(mode="json", by_alias=True, exclude_defaults=True) | _kind_key(condition)


def _kind_key(condition: BaseModel) -> dict[str, Any]:
    """Defaults are left out, but the key naming the kind always stays (a message or channel leaf's)."""
    for key in LEAVES:
        if hasattr(condition, key):
            return {key: getattr(condition, key)}
    return {}


def children(condition: Condition) -> list[Condition]:
    if isinstance(condition, AllGroup):
        return list(condition.all)
    if isinstance(condition, AnyGroup):
        return list(condition.any)
    if isinstance(condition, NotGroup):
        return [condition.not_]
    return []


def leaves(condition: Condition) -> list[Leaf]:
    """Every leaf of the tree, depth first."""
    if isinstance(condition, AllGroup | AnyGroup | NotGroup):
        return [leaf for child in children(condition) for leaf in leaves(child)]
    return [condition]
