"""Serving recommendations from the precomputed lists: for a product, a cart, a category or a contact, narrowed by
the request's filters and answered as product cards (the API, orbit.js' on-site blocks, and templates' product
blocks through ``for_template``).

A contact's own models read their recent events (``HISTORY_EVENTS`` newest): ``personal`` goes through the
stored viewed-together and bought-together lists of what they touched (bestsellers for a contact with no
history; one batched read), ``recentlyViewed`` is their views, newest first.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from chalicelib.catalog.models import Product
from chalicelib.contacts.record import KIND_ALIAS
from chalicelib.messaging.context import MAX_PRODUCTS
from chalicelib.ports import Ports
from chalicelib.recommendations import filters as narrowing
from chalicelib.recommendations import models
from chalicelib.recommendations.filters import Filters
from chalicelib.recommendations.interactions import Interaction, from_events
from chalicelib.recommendations.models import Scored

HISTORY_EVENTS = 200  # a contact's newest events the personal models read
CANDIDATES = 50  # products taken from the lists before filtering (the rebuild keeps as many per list)
EVERYTHING = "*"
PRODUCT_MODELS = ("viewedTogether", "boughtTogether", "similar", "alternatives")  # need a product or a cart
CONTACT_MODELS = ("personal", "recentlyViewed")  # need a contact


@dataclass(frozen=True)
class Ask:
    """What a recommendation request is about: a model and what it needs (``contact`` is a contact key)."""

    model: str
    contact: str | None = None
    product: str | None = None
    cart: tuple[str, ...] = ()
    category: str | None = None
    filters: Filters = field(default_factory=Filters)


def category_key(category: str | None) -> str:
    return f"cat:{category}" if category else EVERYTHING


def resolve(ports: Ports, contact_key: str) -> str | None:
    """The key of the contact ``contact_key`` names now (an alias's target), or None when nobody has it."""
    record = ports.contacts.load(contact_key)
    if record is not None and record.kind == KIND_ALIAS and record.merged_into:
        record = ports.contacts.load(record.merged_into)
    return record.key if record is not None else None


def history(ports: Ports, contact_key: str) -> list[Interaction]:
    """The contact's interactions in their newest ``HISTORY_EVENTS`` events, oldest first."""
    events, _ = ports.events.activity(contact_key, HISTORY_EVENTS)
    return from_events(reversed(events), contact_key=contact_key)


def merged(lists: Iterable[Sequence[Scored] | None], leave_out: Iterable[str] = ()) -> list[Scored]:
    """Several lists as one: each product's scores summed, highest first (ties by first seen), ``leave_out``
    dropped."""
    dropped = set(leave_out)
    totals: dict[str, float] = {}
    for found in lists:
        for scored in found or ():
            if scored.product_id not in dropped:
                totals[scored.product_id] = totals.get(scored.product_id, 0.0) + scored.score
    order = {pid: n for n, pid in enumerate(totals)}
    ranked = sorted(totals.items(), key=lambda pair: (-pair[1], order[pair[0]]))
    return [Scored(product_id=pid, score=score) for pid, score in ranked]


def _candidates(ports: Ports, ask: Ask, seen: list[Interaction]) -> list[Scored]:
    store = ports.recommendations
    if ask.model in PRODUCT_MODELS:
        anchors = [ask.product] if ask.product else list(ask.cart)
        return merged((store.get(ask.model, a) for a in anchors), leave_out=[*anchors, *ask.cart])
    if ask.model == "recentlyViewed":
        return models.recently_viewed(seen, CANDIDATES)
    if ask.model == "personal":
        touched = list(dict.fromkeys(i.product_id for i in reversed(seen)))[: models.MAX_SEEDS]
        wanted = [(m, pid) for pid in touched for m in models.RELATED_WEIGHTS]
        found = store.get_many([*wanted, ("bestsellers", EVERYTHING)])
        fallback = found.pop(("bestsellers", EVERYTHING), [])
        return models.personal(seen, models.related_lookup(found), fallback, CANDIDATES)
    return store.get(ask.model, category_key(ask.category)) or []


def card(product: Product) -> dict[str, Any]:
    """A product as a recommendation block shows it (money as decimal strings, absent parts null)."""
    return {
        "id": product.productId,
        "name": product.name,
        "url": str(product.url) if product.url else None,
        "image": str(product.image) if product.image else None,
        "price": str(product.price),
        "oldPrice": str(product.oldPrice) if product.oldPrice is not None else None,
        "currency": product.currency,
    }


def chosen(ports: Ports, ask: Ask) -> list[Product]:
    """The model's products for ``ask``, best first, filtered, at most ``ask.filters.limit``."""
    if ask.model not in models.MODELS:
        raise ValueError(f"unknown model {ask.model!r}")
    wants_history = ask.model in CONTACT_MODELS or ask.filters.exclude_purchased
    seen = history(ports, ask.contact) if ask.contact and wants_history else []
    found = _candidates(ports, ask, seen)
    if not found:
        return []
    catalog = {pid: stored.product for pid, stored in ports.catalog.get_many(s.product_id for s in found).items()}
    purchased = {i.product_id for i in seen if i.kind == "purchase"}
    return [catalog[s.product_id] for s in narrowing.apply(found, catalog, ask.filters, purchased)]


def recommend(
    ports: Ports,
    model: str,
    *,
    contact: str | None = None,
    product: str | None = None,
    cart: Sequence[str] = (),
    category: str | None = None,
    filters: Filters | None = None,
) -> list[dict[str, Any]]:
    """Product cards of ``model`` for a contact (key), a product, a cart or a category, narrowed by ``filters``.
    The caller checks that the model gets what it needs (``PRODUCT_MODELS`` a product or cart, ``CONTACT_MODELS``
    a contact); a list not built yet answers no products."""
    return [card(p) for p in chosen(ports, Ask(model, contact, product, tuple(cart), category, filters or Filters()))]


def template_product(product: Product) -> dict[str, Any]:
    """A product as a template's product block reads it (``messaging/context.py``: ``imageUrl``, and
    ``oldPrice`` beside)."""
    shown = card(product)
    shown["imageUrl"] = shown.pop("image")
    return {k: v for k, v in shown.items() if v is not None}


def for_template(
    ports: Ports, contact_key: str | None, cart_product_ids: Sequence[str] = (), *, category: str | None = None
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The six-plus-six product blocks of a send: the cart's products (as given, those in the catalog), and up to
    six recommended in stock and not bought yet: bought together with the cart, or the bestsellers of
    ``category`` (a category page viewed), topped up with the contact's personal ones (bestsellers without a
    contact or history)."""
    cart = list(dict.fromkeys(cart_product_ids))
    stored = ports.catalog.get_many(cart)
    products = [template_product(stored[pid].product) for pid in cart if pid in stored][:MAX_PRODUCTS]
    limit = Filters(exclude_purchased=True, exclude=tuple(cart), limit=MAX_PRODUCTS)
    found: list[Product] = []
    if cart:
        found = chosen(ports, Ask("boughtTogether", contact_key, cart=tuple(cart), filters=limit))
    elif category:
        found = chosen(ports, Ask("bestsellers", contact_key, category=category, filters=limit))
    if len(found) < MAX_PRODUCTS:
        taken = {p.productId for p in found}
        more = chosen(ports, Ask("personal", contact_key, filters=limit))
        found += [p for p in more if p.productId not in taken][: MAX_PRODUCTS - len(found)]
    return products, [template_product(p) for p in found]
