"""Representative workflows: the issue's abandoned cart, a five-message welcome series with a split, and a
one-from-many campaign. Golden tests pin their States Language; the end-to-end journeys run them."""

from __future__ import annotations

from typing import Any

TASK_ARN = "arn:aws:lambda:us-east-1:123456789012:function:orbit-test-workflow_task"

ABANDONED_CART: dict[str, Any] = {
    "name": "Abandoned cart",
    "tags": ["cart"],
    "trigger": {"event": "Cart Updated", "where": [{"property": "cart_id", "op": "isSet"}]},
    "settings": {
        "reentry": {"mode": "oncePer", "days": 7},
        "stopWhen": [{"event": "Order Completed"}],
        "goal": {"event": "Order Completed", "within": {"days": 3}},
        "sendHours": {"from": "09:00", "to": "21:00"},
    },
    "start": "wait-purchase",
    "blocks": {
        "wait-purchase": {
            "type": "waitForEvent",
            "event": "Order Completed",
            "match": {"cart_id": "{{ trigger.properties.cart_id }}"},
            "timeout": {"hours": 1},
            "next": {"event": "done", "timeout": "remind"},
        },
        "remind": {"type": "sendMessage", "channel": "email", "template": "abandoned-cart", "next": "done"},
        "done": {"type": "end"},
    },
}

WELCOME_SERIES: dict[str, Any] = {
    "name": "Welcome series",
    "tags": ["onboarding"],
    "trigger": {"event": "Signed Up"},
    "settings": {"reentry": {"mode": "once"}},
    "start": "welcome",
    "blocks": {
        "welcome": {"type": "sendMessage", "channel": "email", "template": "welcome-1", "next": "day1"},
        "day1": {"type": "wait", "duration": {"days": 1}, "next": "tips"},
        "tips": {"type": "sendMessage", "channel": "email", "template": "welcome-2", "next": "day3"},
        "day3": {"type": "wait", "duration": {"days": 2}, "next": "split"},
        "split": {
            "type": "split",
            "branches": [{"weight": 50, "next": "story"}, {"weight": 50, "next": "offer"}],
        },
        "story": {"type": "sendMessage", "channel": "email", "template": "welcome-3a", "next": "day5"},
        "offer": {"type": "sendMessage", "channel": "email", "template": "welcome-3b", "next": "day5"},
        "day5": {"type": "wait", "duration": {"days": 2}, "next": "social"},
        "social": {"type": "sendMessage", "channel": "email", "template": "welcome-4", "next": "day7"},
        "day7": {"type": "wait", "until": {"weekday": "mon", "time": "10:00"}, "next": "opened"},
        "opened": {"type": "condition", "lastMessage": "opened", "next": {"yes": "thanks", "no": "nudge"}},
        "thanks": {"type": "updateContact", "set": {"fields.onboarded": "yes"}, "next": "end"},
        "nudge": {"type": "sendMessage", "channel": "email", "template": "welcome-5", "next": "end"},
        "end": {"type": "end"},
    },
}

ONE_FROM_MANY: dict[str, Any] = {
    "name": "Spring sale",
    "trigger": {"api": True},
    "start": "pick",
    "blocks": {
        "pick": {
            "type": "oneFromMany",
            "channel": "email",
            "tag": "spring",
            "avoidRepeat": {"days": 30},
            "next": "end",
        },
        "end": {"type": "end"},
    },
}

EXAMPLES = {"abandoned_cart": ABANDONED_CART, "welcome_series": WELCOME_SERIES, "one_from_many": ONE_FROM_MANY}
