"""The questions a journey asks about its contact: a condition block's answer, and whether a stop rule was met
since the journey started (asked at the start and after every wait)."""

from __future__ import annotations

from datetime import datetime

from chalicelib.clock import iso
from chalicelib.contacts import aggregates
from chalicelib.contacts.record import ContactRecord
from chalicelib.ports import Ports
from chalicelib.segments.evaluate import evaluate
from chalicelib.services.segments import membership
from chalicelib.services.segments.registry import REGISTRY
from chalicelib.services.workflows.scope import Scope
from chalicelib.workflows.blocks import Condition
from chalicelib.workflows.matching import passes
from chalicelib.workflows.model import StopRule, Workflow


def condition(ports: Ports, workflow: Workflow, block_id: str, block: Condition, scope: Scope) -> bool:
    if block.where is not None:
        return passes(block.where, {"trigger": scope.trigger, "vars": scope.vars, "contact": scope.card})
    if block.lastMessage is not None:
        return last_message(ports, scope, block.lastMessage)
    rule = workflow.rules[block_id]
    snapshot = REGISTRY.snapshot(ports)
    states = membership.stored_states(ports, scope.contact.key)
    facts = membership.facts_for(ports, snapshot, scope.contact, states, scope.now)
    return evaluate(rule, None, facts).member


def last_message(ports: Ports, scope: Scope, activity: str) -> bool:
    """Whether the journey's last message was sent / delivered / opened / clicked (False when it sent none)."""
    if not scope.last:
        return False
    message = ports.messages.message(str(scope.last.get("messageId")))
    if message is None:
        return False
    if activity == "sent":
        return message.status == "sent"
    counters = message.counters or {}
    if activity == "opened":  # a click means it was opened, even when the pixel was blocked
        return counters.get("opened", 0) > 0 or counters.get("clicked", 0) > 0
    return counters.get(activity, 0) > 0


def stop_met(ports: Ports, workflow: Workflow, record: ContactRecord, scope: Scope) -> str | None:
    """The first stop rule met since the journey started, described; None when none is."""
    started = datetime.fromisoformat(scope.started_at)
    trigger_id = scope.trigger.get("eventId")
    for index, rule in enumerate(workflow.settings.stopWhen):
        if _met(ports, rule, record, started, trigger_id):
            return f"settings.stopWhen[{index}]"
    return None


def _met(ports: Ports, rule: StopRule, record: ContactRecord, started: datetime, trigger_id: str | None) -> bool:
    if rule.event is not None:
        for event in ports.events.since(record.key, started):
            if event.type == rule.event and event.eventId != trigger_id and passes(rule.where, event.properties):
                return True
        return False
    if rule.segment is not None:
        states = membership.stored_states(ports, record.key)
        return any(g.segment_id == rule.segment and s.member for g, s in states.items())
    last = aggregates.summary(record.aggs or aggregates.empty(), started).get("lastOrderAt")
    return isinstance(last, str) and last >= iso(started)
