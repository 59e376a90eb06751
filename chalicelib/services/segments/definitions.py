"""List and segment definitions: create, read, change and delete, with the checks a rule needs (every list and
segment it names exists, no segment depends on itself through ``inSegment``)."""

from __future__ import annotations

from collections.abc import Iterable

from chalicelib.clock import iso
from chalicelib.errors import Conflict, ErrorDetail, InvalidInput, NotFound
from chalicelib.ports import Ports
from chalicelib.segments import rules
from chalicelib.segments.models import Generation, SegmentDef, SegmentKind
from chalicelib.services.ids import new_id
from chalicelib.services.segments import builds
from chalicelib.services.segments.registry import REGISTRY


def get(ports: Ports, segment_id: str, kind: SegmentKind) -> SegmentDef:
    found = ports.segments.segment(segment_id)
    if found is None or found.kind != kind:
        raise NotFound(f"No {kind} {segment_id!r}")
    return found


def listing(ports: Ports, kind: SegmentKind, tag: str | None = None) -> list[SegmentDef]:
    """Every definition of the kind, oldest first; with ``tag``, those carrying it."""
    return [d for d in ports.segments.segments() if d.kind == kind and (tag is None or tag in d.tags)]


def create_list(ports: Ports, body: rules.ListIn) -> SegmentDef:
    now = iso(ports.clock.now())
    definition = SegmentDef(
        id=_new_id(ports, body.id, body.name),
        kind="list",
        name=body.name,
        tags=tuple(body.tags),
        description=body.description,
        created_at=now,
        updated_at=now,
    )
    ports.segments.create_segment(definition)
    _invalidate()
    return definition


def update_list(ports: Ports, list_id: str, body: rules.ListIn) -> SegmentDef:
    """Rename, re-tag or re-describe a list (its id never changes)."""
    current = get(ports, list_id, "list")
    if body.id is not None and body.id != list_id:
        raise InvalidInput("A list's id cannot change", [ErrorDetail("id", f"must be {list_id!r} or absent")])
    changed = current.with_(
        name=body.name,
        tags=tuple(body.tags),
        description=body.description,
        revision=current.revision + 1,
        updated_at=iso(ports.clock.now()),
    )
    ports.segments.replace_segment(changed, current.revision)
    return changed


def checked_rule(
    ports: Ports, body: rules.SegmentIn, segment_id: str | None
) -> tuple[rules.Condition, rules.Condition | None]:
    """The body's rule and exclusion parsed, with every list and segment they name known and no cycle."""
    errors: list[ErrorDetail] = []
    parsed: list[rules.Condition | None] = []
    for name, data in (("rule", body.rule), ("exclude", body.exclude)):
        if data is None:
            parsed.append(None)
            continue
        try:
            parsed.append(rules.parse_condition(data, name))
        except InvalidInput as exc:
            errors.extend(exc.details)
            parsed.append(None)
    if errors:
        raise InvalidInput("The segment's rule is invalid", errors)
    rule, exclude = parsed
    assert rule is not None
    known = {d.id: d for d in ports.segments.segments()}
    errors += _references(rule, "rule", known) + (_references(exclude, "exclude", known) if exclude else [])
    if errors:
        raise InvalidInput("The segment's rule names lists or segments that do not exist", errors)
    if segment_id is not None:
        _refuse_cycle(segment_id, _segments_named(rule, exclude), known)
    return rule, exclude


def _references(condition: rules.Condition, path: str, known: dict[str, SegmentDef]) -> list[ErrorDetail]:
    errors: list[ErrorDetail] = []
    for leaf_path, leaf in _leaf_paths(condition, path):
        if isinstance(leaf, rules.ListCondition):
            found = known.get(leaf.inList)
            if found is None or found.kind != "list":
                errors.append(ErrorDetail(f"{leaf_path}.inList", f"no list {leaf.inList!r}"))
        elif isinstance(leaf, rules.SegmentCondition):
            found = known.get(leaf.inSegment)
            if found is None or found.kind != "segment":
                errors.append(ErrorDetail(f"{leaf_path}.inSegment", f"no segment {leaf.inSegment!r}"))
    return errors


def _leaf_paths(condition: rules.Condition, path: str) -> Iterable[tuple[str, rules.Leaf]]:
    if isinstance(condition, rules.AllGroup | rules.AnyGroup):
        key = "all" if isinstance(condition, rules.AllGroup) else "any"
        for i, child in enumerate(rules.children(condition)):
            yield from _leaf_paths(child, f"{path}.{key}[{i}]")
    elif isinstance(condition, rules.NotGroup):
        yield from _leaf_paths(condition.not_, f"{path}.not")
    else:
        yield path, condition


def _segments_named(rule: rules.Condition, exclude: rules.Condition | None) -> set[str]:
    found = rules.leaves(rule) + (rules.leaves(exclude) if exclude else [])
    return {leaf.inSegment for leaf in found if isinstance(leaf, rules.SegmentCondition)}


def depends_on(definition: SegmentDef) -> set[str]:
    """The segments a stored segment's rule names (``inSegment``)."""
    if definition.rule is None:
        return set()
    rule = rules.parse_condition(definition.rule, "rule")
    exclude = rules.parse_condition(definition.exclude, "exclude") if definition.exclude else None
    return _segments_named(rule, exclude)


def _refuse_cycle(segment_id: str, named: set[str], known: dict[str, SegmentDef]) -> None:
    """InvalidInput when following ``inSegment`` from ``named`` leads back to ``segment_id``."""
    path: dict[str, str | None] = dict.fromkeys(named)
    todo = list(named)
    while todo:
        current = todo.pop()
        if current == segment_id:
            chain = [current]
            step = path.get(current)
            while step is not None:
                chain.append(step)
                step = path.get(step)
            cycle = " -> ".join([segment_id, *reversed(chain)])
            raise InvalidInput(
                "The rule makes the segment depend on itself",
                [ErrorDetail("rule", f"inSegment cycle: {cycle}")],
            )
        found = known.get(current)
        for nxt in depends_on(found) if found else set():
            if nxt not in path:
                path[nxt] = current
                todo.append(nxt)


def dependents(ports: Ports, segment_id: str) -> list[str]:
    """Segments whose rule names this list or segment."""
    out = []
    for d in ports.segments.segments():
        if d.kind == "segment" and d.rule is not None:
            rule = rules.parse_condition(d.rule, "rule")
            exclude = rules.parse_condition(d.exclude, "exclude") if d.exclude else None
            for leaf in rules.leaves(rule) + (rules.leaves(exclude) if exclude else []):
                if segment_id in (getattr(leaf, "inList", None), getattr(leaf, "inSegment", None)):
                    out.append(d.id)
                    break
    return out


def delete(ports: Ports, segment_id: str, kind: SegmentKind) -> None:
    """Remove a definition and its memberships; refused (409) while another segment's rule names it."""
    current = get(ports, segment_id, kind)
    users = dependents(ports, segment_id)
    if users:
        raise Conflict(
            f"The {kind} {segment_id!r} is named by other segments; change their rules first",
            [ErrorDetail("id", f"used by {', '.join(users)}")],
        )
    ports.segments.delete_segment(segment_id)
    _invalidate()
    for number in {current.generation, *([current.building] if current.building is not None else [])}:
        ports.memberships.drop(Generation(segment_id, number))


def _new_id(ports: Ports, wanted: str | None, name: str) -> str:
    return new_id(wanted, name, lambda i: ports.segments.segment(i) is not None, "segment", "a list or segment")


def create_segment(ports: Ports, body: rules.SegmentIn) -> SegmentDef:
    """Save a dynamic segment and start computing its first generation (generation 0, empty, serves meanwhile)."""
    segment_id = _new_id(ports, body.id, body.name)
    rule, exclude = checked_rule(ports, body, segment_id)
    now = iso(ports.clock.now())
    definition = SegmentDef(
        id=segment_id,
        kind="segment",
        name=body.name,
        tags=tuple(body.tags),
        description=body.description,
        rule=rules.dump(rule),
        exclude=rules.dump(exclude) if exclude else None,
        active=body.active,
        generation=0,
        building=1,
        created_at=now,
        updated_at=now,
    )
    ports.segments.create_segment(definition)
    builds.start(ports, definition)
    return definition


def replace_segment(ports: Ports, segment_id: str, body: rules.SegmentIn, expected_revision: int | None) -> SegmentDef:
    """Change a segment. A new rule or exclusion starts a new generation; the current one serves until it is
    complete. ``expected_revision`` (the client's ``If-Match``) refuses a change made on a stale copy."""
    current = get(ports, segment_id, "segment")
    if body.id is not None and body.id != segment_id:
        raise InvalidInput("A segment's id cannot change", [ErrorDetail("id", f"must be {segment_id!r} or absent")])
    if expected_revision is not None and expected_revision != current.revision:
        raise Conflict(
            f"The segment changed since revision {expected_revision}; it is at revision {current.revision}",
            [ErrorDetail("revision", "is stale")],
        )
    rule, exclude = checked_rule(ports, body, segment_id)
    new_rule, new_exclude = rules.dump(rule), rules.dump(exclude) if exclude else None
    recompute = (new_rule, new_exclude) != (current.rule, current.exclude) or (body.active and not current.active)
    building = current.building
    if recompute:
        building = max(current.generation, current.building or 0) + 1
    changed = current.with_(
        name=body.name,
        tags=tuple(body.tags),
        description=body.description,
        rule=new_rule,
        exclude=new_exclude,
        active=body.active,
        building=building,
        revision=current.revision + 1,
        updated_at=iso(ports.clock.now()),
    )
    ports.segments.replace_segment(changed, current.revision)
    if recompute:
        if current.building is not None:  # a computation of the previous rule is superseded
            ports.memberships.drop(Generation(segment_id, current.building))
        builds.start(ports, changed)
    _invalidate()
    return changed


def recompute(ports: Ports, segment_id: str) -> SegmentDef:
    """Compute the segment again from every contact (a new generation; the current one serves meanwhile)."""
    current = get(ports, segment_id, "segment")
    if current.building is not None:
        return current  # one is running
    changed = current.with_(
        building=current.generation + 1, revision=current.revision + 1, updated_at=iso(ports.clock.now())
    )
    ports.segments.replace_segment(changed, current.revision)
    builds.start(ports, changed)
    return changed


def _invalidate() -> None:
    REGISTRY.invalidate()
