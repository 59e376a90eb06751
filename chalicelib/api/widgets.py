"""On-site widgets API: subscription pop-ups, banners and in-app messages (secret key), and the placements a page
view gets, fetched by orbit.js with the site key (docs/widgets.md)."""

from __future__ import annotations

from typing import Any

from chalice.app import Blueprint, Response
from pydantic import BaseModel, Field

from chalicelib.api.http import Call, api_route
from chalicelib.deps import ports
from chalicelib.errors import ErrorDetail, InvalidInput
from chalicelib.messaging.placements import MAX_PATH, Widget, WidgetIn
from chalicelib.services.messaging import widgets
from chalicelib.validation import parse

bp = Blueprint(__name__)
TAG = "Widgets"
CACHE_SECONDS = 60
MAX_REMEMBERED = 50
MAX_ANONYMOUS_ID = 200


class WidgetOut(WidgetIn):
    id: str
    revision: int = Field(description="Send it back as `If-Match` on PUT to refuse a change made on a stale copy")
    createdAt: str
    updatedAt: str


class WidgetsOut(BaseModel):
    items: list[WidgetOut] = Field(description="Oldest first")


class WidgetDeleted(BaseModel):
    id: str
    deleted: bool = True


class PlacementsOut(BaseModel):
    items: list[dict[str, Any]] = Field(
        description="The widgets this page view gets: `id`, `kind`, `delaySeconds`, `exitIntent`, and `title`, "
        "`text`, `linkText`, `linkUrl` (popup, banner), `content` (inapp: the template rendered for the visitor), "
        "`form` (`fields`, `category`, `submitText`, `successText`)"
    )


def shown(widget: Widget) -> WidgetOut:
    return WidgetOut.model_validate(widget.model_dump())


@api_route(
    bp, "/v1/widgets", "POST", auth="secret", tag=TAG, body=WidgetIn, response=WidgetOut, status=201,
    summary="Create an on-site widget: a subscription pop-up, a banner or an in-app message, with display rules",
)  # fmt: skip
def create_widget(call: Call) -> WidgetOut:
    return shown(widgets.create(ports(), parse(WidgetIn, call.body)))


@api_route(bp, "/v1/widgets", "GET", auth="secret", tag=TAG, response=WidgetsOut, summary="Every widget, oldest first")
def list_widgets(call: Call) -> WidgetsOut:
    return WidgetsOut(items=[shown(w) for w in widgets.listing(ports())])


@api_route(bp, "/v1/widgets/{id}", "GET", auth="secret", tag=TAG, response=WidgetOut, summary="One widget")
def get_widget(call: Call) -> WidgetOut:
    return shown(widgets.get(ports(), call.params["id"]))


@api_route(
    bp, "/v1/widgets/{id}", "PUT", auth="secret", tag=TAG, body=WidgetIn, response=WidgetOut,
    summary="Replace a widget (`If-Match: <revision>` refuses a change made on a stale copy with 409)",
)  # fmt: skip
def replace_widget(call: Call) -> WidgetOut:
    body = parse(WidgetIn, call.body)
    return shown(widgets.replace(ports(), call.params["id"], body, call.expected_revision()))


@api_route(bp, "/v1/widgets/{id}", "DELETE", auth="secret", tag=TAG, response=WidgetDeleted, summary="Delete a widget")
def delete_widget(call: Call) -> WidgetDeleted:
    widgets.delete(ports(), call.params["id"])
    return WidgetDeleted(id=call.params["id"])


def _remembered(call: Call) -> tuple[dict[str, float], frozenset[str]]:
    """``shown=<id>:<epoch seconds>,...`` and ``submitted=<id>,...`` (orbit.js' localStorage), or a 400 naming
    the parameter."""
    shown: dict[str, float] = {}
    for part in filter(None, (call.query("shown") or "").split(",")[:MAX_REMEMBERED]):
        widget_id, _, at = part.partition(":")
        try:
            shown[widget_id] = float(at)
        except ValueError:
            raise InvalidInput(
                "shown is invalid", [ErrorDetail("shown", "must be id:seconds pairs, comma-separated")]
            ) from None
    submitted = frozenset(filter(None, (call.query("submitted") or "").split(",")[:MAX_REMEMBERED]))
    return shown, submitted


@api_route(
    bp, "/v1/placements", "GET", auth="site", tag=TAG, response=PlacementsOut, cors=True,
    query={
        "path": "The page's path (required)",
        "anonymousId": "orbit.js' anonymous id: the visitor (a contact it was merged into sees their own content)",
        "shown": "id:epoch-seconds pairs, comma-separated: when this browser last showed each widget",
        "submitted": "Widget ids whose form this browser sent, comma-separated",
    },
    summary="The widgets a page view gets (site key, Basic auth), an inapp template rendered for the visitor",
)  # fmt: skip
def get_placements(call: Call) -> Response:
    path = call.query("path")
    if not path or not path.startswith("/") or len(path) > MAX_PATH:
        raise InvalidInput(
            "path is invalid", [ErrorDetail("path", f"must start with / (at most {MAX_PATH} characters)")]
        )
    anonymous_id = call.query("anonymousId")
    if anonymous_id is not None and len(anonymous_id) > MAX_ANONYMOUS_ID:
        raise InvalidInput(
            "anonymousId is invalid", [ErrorDetail("anonymousId", f"must be at most {MAX_ANONYMOUS_ID} characters")]
        )
    shown_at, submitted = _remembered(call)
    view = widgets.PageView(path, anonymous_id, shown_at, submitted)
    found = PlacementsOut(items=widgets.placements(ports(), view))
    return Response(
        body=found.model_dump(mode="json"),
        status_code=200,
        headers={"Cache-Control": f"private, max-age={CACHE_SECONDS}"},
    )
