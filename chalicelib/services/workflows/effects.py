"""What each acting block does when a journey runs it, and which branch it leaves by.

Every effect is safe to run again when Step Functions retries a task (a crash, a throttled call):

* sends go through the send ledger keyed by (journey, step, block), so a retry sends nothing twice;
* ``updateContact`` sets are idempotent; its increments are claimed in the same ledger first, so a retry never adds
  twice (a crash between the claim and the write loses that one increment: at most once, never twice);
* list changes are idempotent; generated events carry an id made from the journey step, so the event log keeps one;
* webhooks carry an ``Idempotency-Key`` header of the journey step for the receiver to dedupe by.
"""

from __future__ import annotations

import json
import random
from datetime import timedelta
from typing import Any

from chalicelib.clock import iso
from chalicelib.contacts import keys
from chalicelib.contacts.models import ContactIn
from chalicelib.errors import NotFound, OrbitError, Permanent
from chalicelib.events.models import Event, Identity, content_id
from chalicelib.messages import EventMsg
from chalicelib.messaging.ledger import Claim, LedgerKey
from chalicelib.messaging.outbound import new_message_id
from chalicelib.ports import Ports
from chalicelib.services import contacts
from chalicelib.services.messaging import send as sending
from chalicelib.services.segments import lists
from chalicelib.services.workflows import deferred
from chalicelib.services.workflows.scope import BlockFailed, Scope
from chalicelib.workflows import bandit
from chalicelib.workflows.blocks import (
    GenerateEvent,
    ListChange,
    OneFromMany,
    SendMessage,
    Split,
    UpdateContact,
    Webhook,
)
from chalicelib.workflows.model import Workflow

Outcome = tuple[str, str, dict[str, Any]]  # (branch, next block, detail for the history)


def split(block: Split, scope: Scope, rng: random.Random) -> Outcome:
    total = sum(b.weight for b in block.branches)
    pick = rng.uniform(0, total)
    for i, branch in enumerate(block.branches):
        pick -= branch.weight
        if pick <= 0:
            return f"branch{i + 1}", branch.next, {}
    return f"branch{len(block.branches)}", block.branches[-1].next, {}


def send_message(
    ports: Ports, workflow: Workflow, block_id: str, block: SendMessage, scope: Scope, template_id: str
) -> Outcome:
    """Send ``template_id`` to the journey's contact (the ledger key is the journey step); a message that fails
    (no consent, no address, a template that does not render) is recorded on the message and the journey goes on."""
    request = sending.SendRequest(
        contact_key=scope.contact.key,
        template_id=template_id,
        origin=scope.origin,
        step=scope.step_key(block_id),
        transactional=block.transactional,
        data=dict(scope.vars),
        event=(scope.resumed or {}).get("properties") or scope.trigger.get("properties") or {},
        base_url=ports.settings.public_url,
        hours=workflow.settings.sendHours.hours if workflow.settings.sendHours else None,
    )
    try:
        result = sending.send(ports, request)
    except NotFound as exc:
        raise BlockFailed(exc.message) from exc
    message = result.message
    if result.deferred_until is not None:
        deferred.schedule(ports, request, result.deferred_until)
    scope.last = {"messageId": message.id, "channel": message.channel, "templateId": template_id}
    detail = {"messageId": message.id, "templateId": template_id, "status": message.status}
    if message.failure:
        detail["failure"] = message.failure
    if result.deferred_until:
        detail["deferredUntil"] = result.deferred_until
    return "next", block.next, detail


def one_from_many(
    ports: Ports, workflow: Workflow, block_id: str, block: OneFromMany, scope: Scope, rng: random.Random
) -> Outcome:
    if block.templates is not None:
        candidates = list(block.templates)
    else:
        candidates = sorted(
            t.id for t in ports.templates.templates() if block.tag in t.tags and t.channel == block.channel
        )
    if not candidates:
        raise BlockFailed(f"no {block.channel} template carries the tag {block.tag!r}")
    stats = ports.journeys.variants(scope.workflow_id, block_id)
    recent = ports.journeys.recent_variants(scope.workflow_id, block_id, scope.contact.key)
    not_since = iso(scope.now - timedelta(days=block.avoidRepeat.days)) if block.avoidRepeat else None
    chosen = bandit.choose(candidates, stats, recent, not_since, rng)
    plain = SendMessage(type="sendMessage", channel=block.channel, template=chosen, next=block.next)
    branch, target, detail = send_message(ports, workflow, block_id, plain, scope, chosen)
    if detail.get("status") == "sent":
        ports.journeys.variant_sent(scope.workflow_id, block_id, chosen, scope.contact.key, iso(scope.now))
    return branch, target, detail | {"variant": chosen}


def update_contact(ports: Ports, block_id: str, block: UpdateContact, scope: Scope) -> Outcome:
    external_id = keys.external_id(scope.contact.key)
    assert external_id is not None, "journeys run for known contacts"
    values = scope.expand(block.set, f"blocks.{block_id}.set")
    patch: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    for name, value in values.items():
        if name.startswith("fields."):
            extra[name.removeprefix("fields.")] = value
        else:
            patch[name] = value
    if block.increment and _claim(ports, scope, block_id, "increment"):
        held = scope.contact.fields
        for name, by in block.increment.items():
            field_name = name.removeprefix("fields.")
            current = held.get(field_name)
            base = current if isinstance(current, int | float) and not isinstance(current, bool) else 0
            total = base + by
            extra[field_name] = int(total) if float(total).is_integer() else total
    if extra:
        patch["fields"] = extra
    try:
        body = ContactIn.model_validate(patch)
        contacts.upsert(ports, external_id, body)
    except OrbitError as exc:
        raise BlockFailed(f"the contact could not be updated: {exc.message}") from exc
    except ValueError as exc:
        raise BlockFailed(f"the contact could not be updated: {exc}") from exc
    return "next", block.next, {"updated": sorted(values) + sorted(block.increment)}


def _claim(ports: Ports, scope: Scope, block_id: str, what: str) -> bool:
    """True for the first attempt at this journey step's ``what`` (the send ledger, channel ``what``)."""
    now = scope.now
    key = LedgerKey(scope.origin, scope.step_key(block_id), scope.contact.key, what)
    candidate = Claim(key, new_message_id(int(now.timestamp() * 1000)), iso(now))
    return ports.messages.claim(candidate).message_id == candidate.message_id


def change_list(ports: Ports, block: ListChange, scope: Scope) -> Outcome:
    external_id = keys.external_id(scope.contact.key)
    assert external_id is not None
    try:
        if block.type == "addToList":
            outcome = lists.add_members(ports, block.list, [external_id], scope.now)
        else:
            outcome = lists.remove_members(ports, block.list, [external_id], scope.now)
    except NotFound as exc:
        raise BlockFailed(exc.message) from exc
    if outcome.errors:
        raise BlockFailed(outcome.errors[0].message)
    return "next", block.next, {"list": block.list, "changed": outcome.changed}


def generate_event(ports: Ports, block_id: str, block: GenerateEvent, scope: Scope) -> Outcome:
    external_id = keys.external_id(scope.contact.key)
    assert external_id is not None
    properties = scope.expand(block.properties, f"blocks.{block_id}.properties")
    event = Event(
        eventId=content_id("wf-", {"execution": scope.execution, "step": scope.step_key(block_id)}),
        type=block.event,
        identity=Identity(externalId=external_id),
        timestamp=scope.now,
        receivedAt=scope.now,
        properties=properties | {"workflowId": scope.workflow_id},
        source="workflows",
    )
    ports.publisher.publish([EventMsg(event=event)])
    return "next", block.next, {"eventId": event.eventId}


def webhook(ports: Ports, block_id: str, block: Webhook, scope: Scope) -> Outcome:
    """Call the URL; a 2xx leaves by ``ok`` (its JSON answer in ``vars[saveAs]``), anything else by ``error`` (a
    transient failure is retried by Step Functions first)."""
    ok, error = (block.next, block.next) if isinstance(block.next, str) else (block.next.ok, block.next.error)
    url = str(scope.expand(block.url, f"blocks.{block_id}.url"))
    headers = {str(k): str(v) for k, v in scope.expand(block.headers, f"blocks.{block_id}.headers").items()}
    headers["Idempotency-Key"] = f"{scope.execution}:{scope.step_key(block_id)}"
    body: bytes | None = None
    if block.body is not None and block.method != "GET":
        expanded = scope.expand(block.body, f"blocks.{block_id}.body")
        body = expanded.encode() if isinstance(expanded, str) else json.dumps(expanded).encode()
        headers.setdefault("Content-Type", "application/json")
    try:
        status, answer = ports.webhooks.call(block.method, url, body, headers)
    except Permanent as exc:
        if not isinstance(block.next, str):
            return "error", error, {"error": exc.message}
        raise BlockFailed(exc.message) from exc
    if 200 <= status < 300:
        if block.saveAs:
            scope.vars[block.saveAs] = answer
        return "ok" if not isinstance(block.next, str) else "next", ok, {"status": status}
    return ("error" if not isinstance(block.next, str) else "next"), error, {"status": status}
