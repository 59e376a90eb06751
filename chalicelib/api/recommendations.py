"""Recommendations API: a model's products for a contact, a product, a cart or a category (secret key), and the
same for orbit.js' on-site blocks with the site key, the visitor named by the anonymous id only
(docs/recommendations.md)."""

from __future__ import annotations

from chalice.app import Blueprint, Response
from pydantic import BaseModel, Field

from chalicelib.api.http import Call, api_route
from chalicelib.contacts import keys
from chalicelib.deps import ports
from chalicelib.errors import ErrorDetail, InvalidInput, NotFound
from chalicelib.recommendations.filters import Filters
from chalicelib.recommendations.models import MODELS
from chalicelib.services.recommendations import serve

bp = Blueprint(__name__)
TAG = "Recommendations"
MAX_LIMIT = 50
MAX_CART = 50
MAX_ID = 200
MAX_LISTED = 20  # categories or attributes one filter names
SITE_CACHE_SECONDS = 60
BOOLEANS = {"true": True, "false": False, "1": True, "0": False}

COMMON_QUERY = {
    "model": f"One of {', '.join(MODELS)} (required)",
    "productId": "The product viewed (viewedTogether, boughtTogether, similar, alternatives)",
    "cart": "Product ids in the cart, comma-separated: their lists merged, the cart's products left out",
    "category": "A top-level category (bestsellers, trending); left out: the whole catalog",
    "limit": f"Products to answer, 1 to {MAX_LIMIT} (default 6)",
    "inStock": "true (default): only products in stock; false: any",
    "excludePurchased": "true: leave out what the contact bought (default false)",
    "includeCategories": "Only products in one of these categories, comma-separated",
    "excludeCategories": "No products in these categories, comma-separated",
    "attributes": "name:value pairs, comma-separated, each the product must have (e.g. color:red,brand:Acme)",
}


class ProductCard(BaseModel):
    id: str
    name: str
    url: str | None
    image: str | None
    price: str = Field(description='As the catalog has it: "59.90"')
    oldPrice: str | None
    currency: str | None


class RecommendationsOut(BaseModel):
    model: str
    items: list[ProductCard] = Field(description="Best first; fewer (even none) when the lists are not built yet")


def _listed(call: Call, name: str, most: int) -> tuple[tuple[str, ...], list[ErrorDetail]]:
    raw = call.query(name) or ""
    values = tuple(dict.fromkeys(v.strip() for v in raw.split(",") if v.strip()))
    if len(values) > most or any(len(v) > MAX_ID for v in values):
        return (), [ErrorDetail(name, f"must be at most {most} comma-separated values of up to {MAX_ID} characters")]
    return values, []


def _boolean(call: Call, name: str, default: bool) -> tuple[bool, list[ErrorDetail]]:
    raw = call.query(name)
    if raw is None:
        return default, []
    if raw.lower() not in BOOLEANS:
        return default, [ErrorDetail(name, "must be true or false")]
    return BOOLEANS[raw.lower()], []


def _limit(call: Call) -> tuple[int, list[ErrorDetail]]:
    raw = call.query("limit")
    try:
        value = int(raw) if raw is not None else 6
    except ValueError:
        value = 0
    if not 1 <= value <= MAX_LIMIT:
        return 6, [ErrorDetail("limit", f"must be an integer from 1 to {MAX_LIMIT}")]
    return value, []


def _attributes(call: Call) -> tuple[dict[str, str], list[ErrorDetail]]:
    pairs, problems = _listed(call, "attributes", MAX_LISTED)
    found: dict[str, str] = {}
    for pair in pairs:
        name, colon, value = pair.partition(":")
        if not colon or not name.strip() or not value.strip():
            return {}, [ErrorDetail("attributes", "must be name:value pairs, comma-separated")]
        found[name.strip()] = value.strip()
    return found, problems


def _ask(call: Call, person: str) -> serve.Ask:
    """The request's model, anchors and filters, or one 400 naming every bad parameter. ``person`` is the query
    parameter naming the contact (``externalId`` or ``anonymousId``); the contact is resolved by the caller."""
    problems: list[ErrorDetail] = []
    model = call.query("model")
    if model not in MODELS:
        problems.append(ErrorDetail("model", f"must be one of {', '.join(MODELS)}"))
    cart, bad = _listed(call, "cart", MAX_CART)
    problems += bad
    product = call.query("productId") or None
    if product is not None and len(product) > MAX_ID:
        problems.append(ErrorDetail("productId", f"must be at most {MAX_ID} characters"))
    if model in serve.PRODUCT_MODELS and product is None and not cart:
        problems.append(ErrorDetail("productId", f"is required for {model} (or give cart)"))
    if model in serve.CONTACT_MODELS and not call.query(person):
        problems.append(ErrorDetail(person, f"is required for {model}"))
    if len(call.query(person) or "") > MAX_ID:
        problems.append(ErrorDetail(person, f"must be at most {MAX_ID} characters"))
    category = call.query("category") or None
    if category is not None and len(category) > MAX_ID:
        problems.append(ErrorDetail("category", f"must be at most {MAX_ID} characters"))
    limit, bad = _limit(call)
    problems += bad
    in_stock, bad = _boolean(call, "inStock", True)
    problems += bad
    exclude_purchased, bad = _boolean(call, "excludePurchased", False)
    problems += bad
    include, bad = _listed(call, "includeCategories", MAX_LISTED)
    problems += bad
    exclude, bad = _listed(call, "excludeCategories", MAX_LISTED)
    problems += bad
    attributes, bad = _attributes(call)
    problems += bad
    if problems:
        raise InvalidInput("The recommendation request is invalid", problems)
    filters = Filters(in_stock, exclude_purchased, include, exclude, attributes, (), limit)
    return serve.Ask(str(model), None, product, cart, category, filters)


def _answer(ask: serve.Ask, contact: str | None) -> RecommendationsOut:
    items = serve.recommend(
        ports(),
        ask.model,
        contact=contact,
        product=ask.product,
        cart=ask.cart,
        category=ask.category,
        filters=ask.filters,
    )
    return RecommendationsOut(model=ask.model, items=[ProductCard.model_validate(i) for i in items])


@api_route(
    bp, "/v1/recommendations", "GET", auth="secret", tag=TAG, response=RecommendationsOut,
    query={**COMMON_QUERY, "externalId": "The contact (personal, recentlyViewed; excludePurchased for any model)"},
    summary="A recommendation model's products for a contact, a product, a cart or a category, filtered",
)  # fmt: skip
def get_recommendations(call: Call) -> RecommendationsOut:
    ask = _ask(call, "externalId")
    external_id = call.query("externalId")
    contact = serve.resolve(ports(), keys.known(external_id)) if external_id else None
    if external_id and contact is None:
        raise NotFound("No such contact", [ErrorDetail("externalId", "no contact has this External ID")])
    return _answer(ask, contact)


@api_route(
    bp, "/v1/track/recommendations", "GET", auth="site", tag=TAG, response=RecommendationsOut, cors=True,
    query={**COMMON_QUERY, "anonymousId": "orbit.js' anonymous id: the visitor (personal, recentlyViewed)"},
    summary="Recommendations for an on-site block (site key, Basic auth), the visitor named by the anonymous id",
)  # fmt: skip
def get_site_recommendations(call: Call) -> Response:
    ask = _ask(call, "anonymousId")
    anonymous_id = call.query("anonymousId")
    # an unknown visitor is no error: their personal block is the bestsellers, their recently viewed empty
    contact = serve.resolve(ports(), keys.anonymous(anonymous_id)) if anonymous_id else None
    found = _answer(ask, contact)
    return Response(
        body=found.model_dump(mode="json"),
        status_code=200,
        headers={"Cache-Control": f"private, max-age={SITE_CACHE_SECONDS}"},
    )
