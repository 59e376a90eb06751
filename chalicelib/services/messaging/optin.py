"""Double opt-in: a subscribe request makes (or finds) the contact, marks the channel unconfirmed and sends a
confirmation message with a signed link; following the link subscribes the contact.

* The contact is found by the email (or phone) the way sends find one (``contacts.find``); when none holds it, a
  contact is made with the External ID ``sub_<digest of the address>`` (so two concurrent subscribes make one).
  A subscribe never writes over a known contact's profile (a public form could not change someone's name).
* Consent: a channel without an explicit ``subscribed`` entry becomes ``unsubscribed`` with ``reason``
  ``unconfirmed`` (segments and campaigns see it unsubscribed; transactional messages, the confirmation among them,
  may go). A channel already ``subscribed`` is left alone and gets no message (unless the request names
  categories it is not subscribed to: they wait for the link too); an address suppressed by a bounce or
  complaint gets none either. The answer is the same in every case, so the public endpoint tells nobody whether
  an address is known.
* The confirmation is a transactional send of the template ``double-opt-in-<channel>`` through the send path;
  when there is no such template a built-in one is stored under that id on first use (email: from
  ``no-reply@<the site's host>``). Its ledger key is (``double-opt-in``, the UTC day, contact, channel): however
  often the form is sent, at most one confirmation a day.
* The link ``/v1/subscribe/confirm/<token>`` carries the contact, the channel, the categories and an expiry
  (``CONFIRM_DAYS``), signed with a key derived from the stage's link secret; confirming sets the channel (and the
  categories) ``subscribed`` with ``source`` ``double-opt-in``. Confirming again changes nothing.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import json
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from chalicelib.contacts import keys
from chalicelib.contacts.models import ContactIn
from chalicelib.errors import Conflict, ErrorDetail, InvalidInput, NotFound, Permanent
from chalicelib.messaging import consent
from chalicelib.messaging.links import UNSUBSCRIBE, LinkClaims
from chalicelib.messaging.outbound import UNSUBSCRIBED
from chalicelib.messaging.templates import TemplateIn
from chalicelib.ports import Ports
from chalicelib.services import contacts, templates
from chalicelib.services.messaging import send as sending
from chalicelib.services.messaging.consent import set_consent, write_consent
from chalicelib.services.messaging.signing import signer

SOURCE = "double-opt-in"
UNCONFIRMED = consent.UNCONFIRMED
CONFIRM_DAYS = 7
CONFIRM_PATH = "/v1/subscribe/confirm/"
MAX_TOKEN = 2048
BUILT_IN: dict[str, dict[str, Any]] = {
    "email": {
        "subject": "Please confirm your subscription",
        "html": (
            "<p>Please confirm that you want to hear from us.</p>"
            '<p><a href="{{ vars.confirmUrl }}">Confirm my subscription</a></p>'
            "<p>If you did not ask for this, ignore this message: you will not be subscribed.</p>"
        ),
    },
    "sms": {"text": "Confirm your subscription: {{ vars.confirmUrl }}"},
}


@dataclass(frozen=True)
class SubscribeRequest:
    channel: str
    email: str | None = None
    phone: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    language: str | None = None
    categories: list[str] = field(default_factory=list)
    base_url: str = ""  # where the confirmation link points (``settings.public_url`` wins)
    site: str | None = None  # the form's origin (the built-in email's sender domain)


@dataclass(frozen=True)
class Subscribed:
    """What a subscribe did (kept from the public answer): the contact and the confirmation message, if any."""

    external_id: str
    message_id: str | None
    outcome: str  # ``sent``, ``repeated`` (today's confirmation was sent already), ``subscribed``, ``suppressed``


def subscribe(ports: Ports, request: SubscribeRequest) -> Subscribed:
    """Make or find the contact, mark the channel unconfirmed and send the confirmation (see the module doc)."""
    if request.channel not in BUILT_IN:
        raise InvalidInput("Double opt-in is by email or SMS", [ErrorDetail("channel", "must be email or sms")])
    found = contacts.find(ports, request.email, request.phone)[1]
    if found is None or not keys.is_known(found.key):
        attr = request.email or request.phone or ""
        external_id = "sub_" + hashlib.sha256(attr.strip().lower().encode("utf-8")).hexdigest()[:24]
        body = ContactIn.model_validate(
            {
                k: v
                for k, v in {
                    "email": request.email,
                    "phone": request.phone,
                    "firstName": request.first_name,
                    "lastName": request.last_name,
                    "languageCode": request.language,
                }.items()
                if v is not None
            }
        )
        found = contacts.upsert(ports, external_id, body)[0]
    external_id = keys.external_id(found.key) or ""
    if consent.suppressed(found.profile, found.channels, request.channel):
        return Subscribed(external_id, None, "suppressed")
    if consent.entry(found.profile, request.channel).get("status") == consent.SUBSCRIBED:
        held = consent.categories(found.profile)
        if all(held.get(c, {}).get("status") == consent.SUBSCRIBED for c in request.categories):
            return Subscribed(external_id, None, "subscribed")
        # a confirmed channel asking for more categories: they too wait for the link (the channel stays as it is)
    elif consent.entry(found.profile, request.channel).get("reason") != UNCONFIRMED:
        set_consent(ports, found.key, request.channel, UNSUBSCRIBED, SOURCE, reason=UNCONFIRMED)
    now = ports.clock.now()
    token = sign(
        ports, found.key, request.channel, request.categories, int((now + timedelta(days=CONFIRM_DAYS)).timestamp())
    )
    base = (ports.settings.public_url or request.base_url).rstrip("/")
    template_id = _template(ports, request.channel, request.site)
    sent = sending.send(
        ports,
        sending.SendRequest(
            contact_key=found.key,
            template_id=template_id,
            origin=SOURCE,
            step=now.date().isoformat(),
            transactional=True,
            data={"confirmUrl": f"{base}{CONFIRM_PATH}{token}"},
            language=request.language,
            base_url=request.base_url,
        ),
    )
    return Subscribed(external_id, sent.message.id, "repeated" if sent.repeated else "sent")


@dataclass(frozen=True)
class Confirmed:
    external_id: str
    channel: str


def confirm(ports: Ports, token: str) -> Confirmed:
    """Subscribe the token's contact; InvalidInput for a token Orbit did not sign or one that expired."""
    claims = verify(ports, token)
    if claims["until"] < ports.clock.now().timestamp():
        raise InvalidInput("This confirmation link has expired; subscribe again", [ErrorDetail("token", "expired")])
    channel = str(claims["channel"])
    key = str(claims["contact"])

    def change(profile: dict[str, Any], now: str) -> dict[str, Any] | None:
        current = dict(profile)
        stored = consent.entry(current, channel)
        if stored.get("reason") in consent.SUPPRESSING:
            return None  # a bounce or complaint since: the address stays suppressed
        if stored.get("status") != consent.SUBSCRIBED:
            current["consent"] = consent.with_status(current, channel, consent.SUBSCRIBED, now, SOURCE)
        wanted = {str(c): consent.SUBSCRIBED for c in claims["categories"]}
        if wanted:
            current["consent"] = consent.with_categories(current, wanted, now, SOURCE)
        return current.get("consent") if current.get("consent") != profile.get("consent") else None

    record = write_consent(ports, key, change)
    if record is None:
        raise NotFound("The contact of this link no longer exists")
    return Confirmed(keys.external_id(record.key) or "", channel)


def _template(ports: Ports, channel: str, site: str | None) -> str:
    """The confirmation template's id, storing the built-in one when there is none."""
    template_id = f"double-opt-in-{channel}"
    if ports.templates.template(template_id) is not None:
        return template_id
    content = dict(BUILT_IN[channel])
    if channel == "email":
        host = urlsplit(site or "").hostname or urlsplit(ports.settings.public_url).hostname
        if not host or host in ("localhost", "127.0.0.1"):
            raise Permanent(f"Create the template {template_id!r}: the built-in one needs the site's domain")
        content["from"] = f"no-reply@{host}"
    body = TemplateIn.model_validate(
        {"id": template_id, "name": "Double opt-in confirmation", "channel": channel, "content": content}
    )
    with contextlib.suppress(Conflict):  # created concurrently: the stored one stands
        templates.create(ports, body)
    return template_id


# --- tokens ---------------------------------------------------------------------------------------------------


def _key(ports: Ports) -> bytes:
    """A key for confirmation tokens derived from the stage's link secret (never the secret itself)."""
    derived = signer(ports).sign(LinkClaims(UNSUBSCRIBE, "double-opt-in-key", "", "", 0))
    return hashlib.sha256(f"optin:{derived}".encode()).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def sign(ports: Ports, contact_key: str, channel: str, categories: list[str], until: int) -> str:
    claims = {"contact": contact_key, "channel": channel, "categories": categories, "until": until}
    payload = _b64(json.dumps(claims, separators=(",", ":"), ensure_ascii=False).encode("utf-8"))
    mac = hmac.new(_key(ports), payload.encode("ascii"), hashlib.sha256).digest()[:20]
    return f"{payload}.{_b64(mac)}"


def verify(ports: Ports, token: str) -> dict[str, Any]:
    bad = InvalidInput("This confirmation link is not valid", [ErrorDetail("token", "is not a link Orbit made")])
    if len(token) > MAX_TOKEN or token.count(".") != 1:
        raise bad
    payload, mac_text = token.split(".")
    mac = hmac.new(_key(ports), payload.encode("ascii"), hashlib.sha256).digest()[:20]
    if not hmac.compare_digest(_b64(mac), mac_text):
        raise bad
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except ValueError as exc:
        raise bad from exc
    if not isinstance(claims, dict) or not isinstance(claims.get("categories"), list):
        raise bad
    return claims
