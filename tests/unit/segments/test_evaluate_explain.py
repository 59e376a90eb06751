"""Groups, exclusion, memberships, channels, and the explanation: paths, values, data used, moments."""

from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.contacts import aggregates
from tests.unit.segments.support import NOW, contact, event, verdict

DAY = timedelta(days=1)


def seen(*days_ago: int):
    record = contact(profile={"email": "ann@example.com"})
    for n, days in enumerate(days_ago):
        aggregates.fold_event(record.aggs, event("Login", NOW - days * DAY, n=n), 90, NOW)
    return record


LOGGED_IN_3_DAYS = {"event": "Login", "within": {"days": 3}}  # the login of 2 days ago leaves on 28 November
LOGGED_IN_5_DAYS = {"event": "Login", "within": {"days": 5}}  # ... on 30 November
LEAVES_3, LEAVES_5 = datetime(2026, 11, 28, tzinfo=UTC), datetime(2026, 11, 30, tzinfo=UTC)


def test_the_explanation_names_every_condition_by_its_path():
    rule = {"all": [{"field": "email", "op": "isSet"}, {"any": [{"not": {"inList": "vip"}}, {"inSegment": "s"}]}]}
    found = verdict(rule, seen(), exclude={"any": [{"inList": "blocked"}]})
    paths = []

    def walk(node):
        paths.append(node.path)
        for child in node.children:
            walk(child)

    for tree in found.explanation:
        walk(tree)
    assert paths == [
        "rule",
        "rule.all[0]",
        "rule.all[1]",
        "rule.all[1].any[0]",
        "rule.all[1].any[0].not",
        "rule.all[1].any[1]",
        "exclude",
        "exclude.any[0]",
    ]


def test_as_dict_is_the_explain_apis_json():
    found = verdict(LOGGED_IN_3_DAYS, seen(2))
    assert found.explanation[0].as_dict() == {
        "path": "rule",
        "condition": {"event": "Login", "within": {"days": 3}},
        "value": True,
        "used": {
            "event": "Login",
            "count": 1,
            "from": "2026-11-25T00:00:00.000Z",
            "to": "2026-11-28T00:00:00.000Z",
            "source": "counters",
        },
        "nextChange": "2026-11-28T00:00:00.000Z",
        "children": [],
    }


def test_a_group_explains_its_kind_and_children():
    found = verdict({"all": [{"inList": "vip"}]}, lists=frozenset({"vip"}))
    tree = found.explanation[0]
    assert (tree.kind, tree.value, tree.children[0].kind, tree.children[0].used) == (
        "all",
        True,
        "inList",
        {"list": "vip"},
    )


def test_an_excluded_contact_is_not_a_member():
    found = verdict(
        {"field": "email", "op": "isSet"},
        seen(),
        exclude={"inSegment": "unsubscribed"},
        segments=frozenset({"unsubscribed"}),
    )
    assert (found.member, found.explanation[0].value, found.explanation[1].value) == (False, True, True)


def test_a_true_all_may_change_when_its_first_child_does():
    found = verdict({"all": [LOGGED_IN_3_DAYS, LOGGED_IN_5_DAYS]}, seen(2))
    assert (found.member, found.next_change) == (True, LEAVES_3)


def test_a_true_any_may_change_only_once_every_true_child_has():
    found = verdict({"any": [LOGGED_IN_3_DAYS, LOGGED_IN_5_DAYS]}, seen(2))
    assert (found.member, found.next_change) == (True, LEAVES_5)


def test_a_true_any_with_a_child_true_for_good_never_changes_with_time():
    found = verdict({"any": [LOGGED_IN_3_DAYS, {"field": "email", "op": "isSet"}]}, seen(2))
    assert (found.member, found.next_change) == (True, None)


def test_not_keeps_its_childs_moment():
    found = verdict({"not": LOGGED_IN_3_DAYS}, seen(2))
    assert (found.member, found.next_change) == (False, LEAVES_3)


def test_an_exclusion_that_time_ends_makes_the_contact_a_member_then():
    found = verdict({"field": "email", "op": "isSet"}, seen(2), exclude=LOGGED_IN_3_DAYS)
    assert (found.member, found.next_change) == (False, LEAVES_3)


@pytest.mark.parametrize(
    ("channel", "profile", "channels", "available"),
    [
        ("email", {"email": "a@b.c"}, [], True),
        ("sms", {"email": "a@b.c"}, [], False),
        ("viber", {"phone": "+380501234567"}, [], True),
        ("telegram", {"phone": "+380501234567"}, [], False),
        ("webpush", {}, [{"type": "webpush", "value": "sub", "active": True}], True),
        ("webpush", {}, [{"type": "webpush", "value": "sub", "active": False}], False),
    ],
)
def test_a_channel_is_available_with_its_address_or_an_active_identifier(channel, profile, channels, available):
    rule = {"channel": channel, "status": "available"}
    assert verdict(rule, contact(profile=profile, channels=channels)).member is available


def test_an_unsubscribed_channel_is_available_but_not_subscribed():
    record = contact(profile={"email": "a@b.c", "consent": {"email": {"status": "unsubscribed"}}})
    assert verdict({"channel": "email", "status": "unsubscribed"}, record).member
    assert not verdict({"channel": "email", "status": "subscribed"}, record).member


def test_an_unavailable_channel_is_neither_subscribed_nor_unsubscribed():
    record = contact(profile={"consent": {"email": {"status": "unsubscribed"}}})
    assert not verdict({"channel": "email", "status": "unsubscribed"}, record).member
    assert verdict({"channel": "email", "status": "unavailable"}, record).member
