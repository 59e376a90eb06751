"""The default email of each trigger: a subject, a short text and two product blocks (``products``: the cart's,
the viewed or the ordered products; ``recommended``: suggestions), each at most six products."""

from __future__ import annotations

from typing import Any

_CARD = (
    '<td style="padding:8px;vertical-align:top;width:33%">'
    '<a href="{{ p.url }}">{% if p.imageUrl %}<img src="{{ p.imageUrl }}" alt="{{ p.name }}" width="160"><br>'
    "{% endif %}{{ p.name }}</a><br><b>{{ p.price }} {{ p.currency }}</b></td>"
)


def _block(name: str, heading: str) -> str:
    return (
        f"{{% if {name} %}}<h2>{heading}</h2><table><tr>"
        f"{{% for p in {name} %}}{_CARD}{{% if loop.index is divisibleby 3 %}}</tr><tr>{{% endif %}}{{% endfor %}}"
        "</tr></table>{% endif %}"
    )


_SUGGESTED = _block("recommended", "You may also like")

# trigger id -> (subject, opening paragraph, heading of the trigger products; None: no block of them)
_WORDS: dict[str, tuple[str, str, str | None]] = {
    "abandonedCart": (
        "{{ contact.firstName | default('Hi') }}, your cart is waiting",
        "You left these in your cart. They are still there when you want them.",
        "Your cart",
    ),
    "abandonedBrowse": (
        "Still thinking it over?",
        "You looked at this a little while ago. Here it is again, with a few more we think you'll like.",
        "You viewed",
    ),
    "abandonedSearch": (
        "We found something for you",
        "We couldn't find what you searched for, but these might be just right.",
        None,
    ),
    "reactivation": (
        "We miss you, {{ contact.firstName | default('friend') }}",
        "It has been a while. Here is what we picked for you.",
        None,
    ),
    "abandonedCategory": (
        "Picked from the category you browsed",
        "You were looking around a little while ago. These are the favourites there.",
        None,
    ),
    "regularDemand": (
        "Time to stock up, {{ contact.firstName | default('friend') }}?",
        "By our count you will be running out soon. Here it is, ready to order again.",
        "Your regular",
    ),
    "postPurchase": (
        "Goes well with your order",
        "Thank you for your order. These go well with what you bought.",
        "You bought",
    ),
    "priceDrop": (
        "A price just dropped",
        "Something you looked at costs less now.",
        "Now for less",
    ),
    "backInStock": (
        "It's back in stock",
        "Something you looked at is available again. It may not stay long.",
        "Back in stock",
    ),
}


def default_email(trigger_id: str, template_id: str, sender: str) -> dict[str, Any]:
    """The default email template of ``trigger_id`` (a ``POST /v1/templates`` body) with id ``template_id``."""
    subject, opening, heading = _WORDS[trigger_id]
    html = (
        "<html><body><p>{{ contact.firstName | default('Hello') }},</p>"
        f"<p>{opening}</p>" + (_block("products", heading) if heading else "") + _SUGGESTED + "</body></html>"
    )
    return {
        "id": template_id,
        "name": f"{trigger_id} (default)",
        "channel": "email",
        "tags": ["trigger", f"trigger:{trigger_id}"],
        "content": {"from": sender, "subject": subject, "html": html},
    }
