"""The parameters every ready-made trigger takes, validated with their defaults: what a marketer sets when enabling
one (``GET /v1/triggers`` lists them), and the names of the events the recipes read."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from chalicelib.workflows.blocks import Duration, Strict
from chalicelib.workflows.model import SendHours

Channel = Literal["email", "sms", "mobilepush", "webpush", "appinbox", "viber", "telegram"]
TEMPLATE_ID = r"^[a-z0-9][a-z0-9_-]{0,63}$"
ORDER = "Order Completed"
CART = "Cart Updated"


def tag(trigger_id: str) -> str:
    """The tag that marks the workflow a trigger made."""
    return f"trigger:{trigger_id}"


class Params(Strict):
    """What every trigger takes."""

    templateId: str = Field(
        default="", pattern=r"^$|" + TEMPLATE_ID, description="The template to send; absent: the trigger's default"
    )
    channel: Channel = Field(default="email", description="The channel of the template")
    sender: str | None = Field(
        default=None,
        min_length=3,
        max_length=320,
        description='The default email\'s "from" ("Shop <shop@example.com>"); needed only to create it',
    )
    frequencyDays: int | None = Field(
        default=7, ge=1, le=3650, description="At most one journey per contact within these days (null: no limit)"
    )
    sendHours: SendHours | None = Field(
        default=None, description='{"from": "09:00", "to": "21:00"} in the contact\'s time zone (null: any hour)'
    )


class AbandonedCart(Params):
    delay: Duration = Field(
        default=Duration(hours=1), description="How long a cart waits for its order before the reminder"
    )
    stopOn: Literal["anyOrder", "sameCart"] = Field(
        default="anyOrder",
        description="anyOrder: any completed order ends the journey; sameCart: only the order of this cart",
    )
    goalDays: int = Field(default=3, ge=1, le=365, description="An order within these days counts as the goal")


class AbandonedBrowse(Params):
    delay: Duration = Field(
        default=Duration(hours=2), description="How long after the view to wait for a cart or an order"
    )


class AbandonedSearch(Params):
    delay: Duration = Field(default=Duration(minutes=30), description="How long after a search with no results to wait")


class Reactivation(Params):
    frequencyDays: int | None = Field(
        default=90, ge=1, le=3650, description="At most one journey per contact within these days (null: no limit)"
    )
    inactiveDays: int = Field(
        default=90, ge=1, le=3650, description="Customers whose last order is older than this are reactivated"
    )


class PostPurchase(Params):
    frequencyDays: int | None = Field(
        default=14, ge=1, le=3650, description="At most one journey per contact within these days (null: no limit)"
    )
    delay: Duration = Field(default=Duration(days=3), description="How long after the order to send the cross-sell")


class AbandonedCategory(Params):
    delay: Duration = Field(
        default=Duration(hours=2), description="How long after the category view to wait for a cart or an order"
    )


class RegularDemand(Params):
    frequencyDays: int | None = Field(
        default=14, ge=1, le=3650, description="At most one journey per contact within these days (null: no limit)"
    )


class ProductAlert(Params):
    delay: Duration | None = Field(
        default=Duration(hours=1),
        description="How long after the change to wait (an order meanwhile ends the journey; null: send at once)",
    )
