"""Real-time membership agrees with a from-scratch evaluation after every step: events arriving in batches,
out of order and redelivered, profiles changing, the segment created before or after the data, and time moving
forward with the sweep running. The oracle (``segment_oracle.py``) reads only the raw events each contact sent."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chalicelib.events.models import Event
from chalicelib.segments.rules import parse_condition
from tests.properties import segment_oracle as oracle
from tests.properties.test_segment_rules import a_message_leaf, an_event_leaf
from tests.unit.segments.world import World

CONTACTS = ("ann", "bob", "eve")
NOW = World().clock.now()
TYPES = ["Product Viewed", "Page Viewed", "Message Clicked", "Login"]
SIMPLE = st.builds(
    lambda type_, unit, n: {"event": type_, "within": {unit: n}},
    st.sampled_from(TYPES),
    st.sampled_from(["days", "hours"]),
    st.integers(min_value=1, max_value=4),
)
LEAVES = st.one_of(
    SIMPLE,
    SIMPLE,
    SIMPLE,
    an_event_leaf(NOW).filter(lambda leaf: "between" not in leaf),
    an_event_leaf(NOW).filter(lambda leaf: "between" not in leaf),
    a_message_leaf,
    st.just({"field": "email", "op": "isSet"}),
)
RULES = st.recursive(
    LEAVES,
    lambda kids: st.one_of(
        st.lists(kids, min_size=1, max_size=3).map(lambda k: {"all": k}),
        st.lists(kids, min_size=1, max_size=3).map(lambda k: {"any": k}),
        kids.map(lambda k: {"not": k}),
    ),
    max_leaves=4,
)
AN_EVENT = st.tuples(
    st.sampled_from(TYPES),
    st.integers(min_value=0, max_value=3 * 86400) | st.integers(min_value=0, max_value=10 * 86400),  # before now
    st.sampled_from([None, "Shoes", "Hats"]),
    st.none() | st.integers(min_value=0, max_value=60),
    st.sampled_from([None, "email", "sms"]),
)
STEP = st.one_of(
    st.tuples(st.just("events"), st.sampled_from(CONTACTS), st.lists(AN_EVENT, min_size=1, max_size=6)),
    st.tuples(st.just("redeliver"), st.just(None), st.just(None)),
    st.tuples(st.just("advance"), st.just(None), st.sampled_from([600, 3 * 3600, 86400, 3 * 86400, 8 * 86400])),
    st.tuples(st.just("email"), st.sampled_from(CONTACTS), st.booleans()),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(
    rule=RULES,
    exclude=st.none() | RULES,
    steps=st.lists(STEP, min_size=1, max_size=7),
    created_at_step=st.integers(min_value=0, max_value=7),
    seed=st.integers(min_value=0, max_value=2**16),
)
def test_membership_matches_a_from_scratch_evaluation_after_every_step(
    rule: dict[str, Any], exclude: dict[str, Any] | None, steps: list[Any], created_at_step: int, seed: int
) -> None:
    rng = random.Random(seed)
    world = World()
    sent: dict[str, list[Event]] = {c: [] for c in CONTACTS}
    emails: dict[str, str | None] = dict.fromkeys(CONTACTS)
    for c in CONTACTS:
        world.contact(c)
    parsed_rule = parse_condition(rule, "rule")
    parsed_exclude = parse_condition(exclude, "exclude") if exclude else None
    created = False
    last_batch: list[Event] = []
    for n, (kind, who, what) in enumerate([*steps, ("check", None, None)]):
        if n == created_at_step or (not created and kind == "check"):
            world.segment(rule, exclude=exclude)
            created = True
        if kind == "events":
            batch = [
                world.event(
                    who,
                    type_,
                    at=world.clock.now() - timedelta(seconds=ago),
                    **{k: v for k, v in (("category", category), ("price", price), ("channel", channel)) if v},
                )
                for type_, ago, category, price, channel in what
            ]
            rng.shuffle(batch)
            assert world.send(*batch) == []
            sent[who] += batch
            last_batch = batch
        elif kind == "redeliver" and last_batch:
            assert world.send(*last_batch, redelivered=True) == []
        elif kind == "advance":
            world.advance(seconds=what)
            world.sweep()
        elif kind == "email":
            emails[who] = f"{who}@example.com" if what else None
            world.contact(who, email=emails[who])
        if created:
            now = world.clock.now()
            expected = {
                c
                for c in CONTACTS
                if oracle.member(
                    parsed_rule,
                    parsed_exclude,
                    oracle.World(
                        profile={"email": emails[c]} if emails[c] else {},
                        fields={},
                        field_types={},
                        events=sent[c],
                        orders=[],
                        external_id=c,
                    ),
                    now,
                )
            }
            assert world.members() == expected, (n, kind)
