"""The ready-made behaviour triggers: each a named recipe whose parameters (validated, with defaults) produce an
ordinary workflow JSON, the segments it starts from (if any) and its default email. Nothing here runs a trigger:
the workflow does, like any other, and stays editable once enabled.

A trigger's workflow carries the tags ``trigger`` and ``trigger:<id>``, so enabling the same trigger again finds
it rather than making another.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ValidationError

from chalicelib.catalog.alerts import BACK_IN_STOCK, PRICE_DROPPED
from chalicelib.errors import ErrorDetail, InvalidInput
from chalicelib.triggers.params import (
    CART,
    ORDER,
    AbandonedBrowse,
    AbandonedCart,
    AbandonedCategory,
    AbandonedSearch,
    Params,
    PostPurchase,
    ProductAlert,
    Reactivation,
    RegularDemand,
    tag,
)
from chalicelib.validation import details_from
from chalicelib.workflows.blocks import Duration


@dataclass(frozen=True)
class Recipe:
    """What enabling a trigger makes: its workflow, the segments it reads (``POST /v1/segments`` bodies with
    ids), and the template it sends (``template_id``; ``default_template`` when the trigger has one)."""

    workflow: dict[str, Any]
    template_id: str
    channel: str
    segments: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class Trigger:
    id: str
    name: str
    description: str
    params: type[Params]
    build: Callable[[Any], Recipe]
    default_template: str  # the template id used when templateId is not given

    def parse(self, data: Any) -> Params:
        """The parameters ``data`` gives (defaults for the rest), or InvalidInput naming each bad one."""
        if data is None:
            data = {}
        if not isinstance(data, dict):
            raise InvalidInput("The parameters must be a JSON object", [ErrorDetail("$", "must be an object")])
        try:
            return self.params.model_validate(data)
        except ValidationError as exc:
            raise InvalidInput(f"The {self.id} parameters are invalid", details_from(exc)) from exc

    def recipe(self, data: Any) -> Recipe:
        return self.build(self.parse(data))

    def parameters(self) -> list[dict[str, Any]]:
        """Each parameter: its name, default (as JSON) and what it means."""
        defaults = self.params()
        shown: dict[str, Any] = {"templateId": self.default_template}
        for name in self.params.model_fields:
            value = getattr(defaults, name)
            if isinstance(value, BaseModel):
                shown.setdefault(name, value.model_dump(mode="json", by_alias=True, exclude_defaults=True))
            else:
                shown.setdefault(name, value)
        return [
            {"name": name, "default": shown[name], "description": info.description or ""}
            for name, info in self.params.model_fields.items()
        ]


def _settings(params: Params, stop: list[dict[str, Any]], goal_days: int | None = None) -> dict[str, Any]:
    settings: dict[str, Any] = {
        "reentry": {"mode": "oncePer", "days": params.frequencyDays} if params.frequencyDays else {"mode": "every"},
        "stopWhen": stop,
    }
    if goal_days:
        settings["goal"] = {"event": ORDER, "within": {"days": goal_days}}
    if params.sendHours is not None:
        settings["sendHours"] = params.sendHours.model_dump(by_alias=True)
    return settings


def _send(params: Params, template_id: str) -> dict[str, Any]:
    return {"type": "sendMessage", "channel": params.channel, "template": template_id, "next": "done"}


def _template(params: Params, default: str) -> str:
    return params.templateId or default


def _duration(value: Duration) -> dict[str, int]:
    return value.model_dump(exclude_defaults=True)


def _abandoned_cart(params: AbandonedCart) -> Recipe:
    template_id = _template(params, "trigger-abandoned-cart")
    stop: list[dict[str, Any]] = [{"event": ORDER}] if params.stopOn == "anyOrder" else []
    workflow = {
        "name": "Abandoned cart",
        "tags": ["trigger", tag("abandonedCart")],
        "trigger": {
            "event": CART,
            "where": [{"property": "cart_id", "op": "isSet"}, {"property": "products", "op": "isSet"}],
        },
        "settings": _settings(params, stop, params.goalDays),
        "start": "wait-order",
        "blocks": {
            "wait-order": {
                "type": "waitForEvent",
                "event": ORDER,
                "match": {"cart_id": "{{ trigger.properties.cart_id }}"},
                "timeout": _duration(params.delay),
                "next": {"event": "done", "timeout": "remind"},
            },
            "remind": _send(params, template_id),
            "done": {"type": "end"},
        },
    }
    return Recipe(workflow, template_id, params.channel)


def _wait_then_send(params: Params, name: str, trigger_id: str, event: dict[str, Any], template_id: str) -> Recipe:
    """A journey that waits ``params.delay``, ended early by a cart or an order, and then sends."""
    delay: Duration = params.delay  # type: ignore[attr-defined]
    workflow = {
        "name": name,
        "tags": ["trigger", tag(trigger_id)],
        "trigger": event,
        "settings": _settings(params, [{"event": CART}, {"event": ORDER}], 3),
        "start": "wait",
        "blocks": {
            "wait": {"type": "wait", "duration": _duration(delay), "next": "remind"},
            "remind": _send(params, template_id),
            "done": {"type": "end"},
        },
    }
    return Recipe(workflow, template_id, params.channel)


def _abandoned_browse(params: AbandonedBrowse) -> Recipe:
    event = {"event": "Product Viewed", "where": [{"property": "product_id", "op": "isSet"}]}
    template_id = _template(params, "trigger-abandoned-browse")
    return _wait_then_send(params, "Abandoned browse", "abandonedBrowse", event, template_id)


def _abandoned_search(params: AbandonedSearch) -> Recipe:
    event = {"event": "Products Searched", "where": [{"property": "found", "op": "eq", "value": False}]}
    template_id = _template(params, "trigger-abandoned-search")
    return _wait_then_send(params, "Abandoned search", "abandonedSearch", event, template_id)


def reactivation_segment(inactive_days: int) -> dict[str, Any]:
    return {
        "id": f"trigger-inactive-{inactive_days}d",
        "name": f"Inactive customers: no order for {inactive_days} days",
        "tags": ["trigger", tag("reactivation")],
        "rule": {
            "all": [
                {"orders": "count", "op": "gte", "value": 1},
                {"orders": "lastOrderAt", "ago": {"olderThan": {"days": inactive_days}}},
            ]
        },
    }


def _reactivation(params: Reactivation) -> Recipe:
    segment = reactivation_segment(params.inactiveDays)
    template_id = _template(params, "trigger-reactivation")
    workflow = {
        "name": "Reactivation",
        "tags": ["trigger", tag("reactivation")],
        "trigger": {"segment": segment["id"]},
        "settings": _settings(params, [{"order": True}], 30),
        "start": "remind",
        "blocks": {"remind": _send(params, template_id), "done": {"type": "end"}},
    }
    return Recipe(workflow, template_id, params.channel, [segment])


def _post_purchase(params: PostPurchase) -> Recipe:
    template_id = _template(params, "trigger-post-purchase")
    workflow = {
        "name": "Post-purchase cross-sell",
        "tags": ["trigger", tag("postPurchase")],
        "trigger": {"event": ORDER, "where": [{"property": "products", "op": "isSet"}]},
        "settings": _settings(params, []),
        "start": "wait",
        "blocks": {
            "wait": {"type": "wait", "duration": _duration(params.delay), "next": "cross-sell"},
            "cross-sell": _send(params, template_id),
            "done": {"type": "end"},
        },
    }
    return Recipe(workflow, template_id, params.channel)


def _abandoned_category(params: AbandonedCategory) -> Recipe:
    event = {"event": "Product List Viewed", "where": [{"property": "category", "op": "isSet"}]}
    template_id = _template(params, "trigger-abandoned-category")
    return _wait_then_send(params, "Abandoned category", "abandonedCategory", event, template_id)


def _regular_demand(params: RegularDemand) -> Recipe:
    template_id = _template(params, "trigger-regular-demand")
    workflow = {
        "name": "Regular demand",
        "tags": ["trigger", tag("regularDemand")],
        "trigger": {"event": "Reorder Due", "where": [{"property": "product_id", "op": "isSet"}]},
        "settings": _settings(params, [{"event": ORDER}], 7),
        "start": "remind",
        "blocks": {"remind": _send(params, template_id), "done": {"type": "end"}},
    }
    return Recipe(workflow, template_id, params.channel)


def _product_alert(params: ProductAlert, name: str, trigger_id: str, event: str, template_id: str) -> Recipe:
    """A journey on a product alert event (``services/interest.py`` publishes them to the contacts who viewed,
    carted or wishlisted the product lately, never to one who bought it since): an optional wait, then the email
    with the product; an order ends it."""
    blocks: dict[str, Any] = {"remind": _send(params, template_id), "done": {"type": "end"}}
    if params.delay is not None:
        blocks["wait"] = {"type": "wait", "duration": _duration(params.delay), "next": "remind"}
    workflow = {
        "name": name,
        "tags": ["trigger", tag(trigger_id)],
        "trigger": {"event": event, "where": [{"property": "product_id", "op": "isSet"}]},
        "settings": _settings(params, [{"event": ORDER}], 3),
        "start": "wait" if params.delay is not None else "remind",
        "blocks": blocks,
    }
    return Recipe(workflow, template_id, params.channel)


def _price_drop(params: ProductAlert) -> Recipe:
    template_id = _template(params, "trigger-price-drop")
    return _product_alert(params, "Price drop", "priceDrop", PRICE_DROPPED, template_id)


def _back_in_stock(params: ProductAlert) -> Recipe:
    template_id = _template(params, "trigger-back-in-stock")
    return _product_alert(params, "Back in stock", "backInStock", BACK_IN_STOCK, template_id)


def _trigger(
    trigger_id: str, name: str, description: str, params: type[Params], build: Callable[[Any], Recipe], default: str
) -> Trigger:
    return Trigger(trigger_id, name, description, params, build, default)


TRIGGERS: dict[str, Trigger] = {
    t.id: t
    for t in (
        _trigger(
            "abandonedCart",
            "Abandoned cart",
            "A cart with products and no order within the delay gets one reminder with the cart's products and six "
            "suggestions; an order ends the journey.",
            AbandonedCart,
            _abandoned_cart,
            "trigger-abandoned-cart",
        ),
        _trigger(
            "abandonedBrowse",
            "Abandoned browse",
            "A product viewed, and no cart or order within the delay: one email with the product and suggestions.",
            AbandonedBrowse,
            _abandoned_browse,
            "trigger-abandoned-browse",
        ),
        _trigger(
            "abandonedSearch",
            "Abandoned search",
            "A search that found nothing, and no cart or order within the delay: personal recommendations.",
            AbandonedSearch,
            _abandoned_search,
            "trigger-abandoned-search",
        ),
        _trigger(
            "abandonedCategory",
            "Abandoned category",
            "A category page viewed, and no cart or order within the delay: one email with the category's "
            "bestsellers, topped up with personal recommendations.",
            AbandonedCategory,
            _abandoned_category,
            "trigger-abandoned-category",
        ),
        _trigger(
            "reactivation",
            "Reactivation of inactive customers",
            "A customer who has ordered before enters the inactive segment (no order for inactiveDays): one email "
            "with personal recommendations; an order ends the journey.",
            Reactivation,
            _reactivation,
            "trigger-reactivation",
        ),
        _trigger(
            "postPurchase",
            "Post-purchase cross-sell",
            "An order, then after the delay one email with products bought together with it.",
            PostPurchase,
            _post_purchase,
            "trigger-post-purchase",
        ),
        _trigger(
            "priceDrop",
            "Price drop",
            "A product's price drops: each contact who viewed, carted or wishlisted it in the last 30 days and has not "
            "bought it since gets one email with the product after the delay; an order ends the journey.",
            ProductAlert,
            _price_drop,
            "trigger-price-drop",
        ),
        _trigger(
            "backInStock",
            "Back in stock",
            "A product comes back in stock: each contact who viewed, carted or wishlisted it in the last 30 days and "
            "has not bought it since gets one email with the product after the delay; an order ends the journey.",
            ProductAlert,
            _back_in_stock,
            "trigger-back-in-stock",
        ),
        _trigger(
            "regularDemand",
            "Regular demand",
            "A product the customer buys regularly (the median gap between their purchases of it) is expected "
            "within two days and not bought since: one reminder with the product; an order ends the journey.",
            RegularDemand,
            _regular_demand,
            "trigger-regular-demand",
        ),
    )
}
