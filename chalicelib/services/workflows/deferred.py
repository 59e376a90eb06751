"""Journey messages held by send hours: kept as due entries (the campaigns' due list, swept every minute) and sent
again when the contact's hours open, through the same ledger key, so they go out once."""

from __future__ import annotations

from chalicelib.messages import WorkflowSendMsg
from chalicelib.ports import Ports
from chalicelib.services.messaging import send as sending


def schedule(ports: Ports, request: sending.SendRequest, at: str) -> None:
    message = WorkflowSendMsg(
        contactKey=request.contact_key,
        templateId=request.template_id,
        origin=request.origin,
        step=request.step,
        transactional=request.transactional,
        data=request.data,
        event=request.event,
        hours=list(request.hours) if request.hours else None,
    )
    ports.campaigns.schedule(at, f"{request.origin}#{request.step}", message.body())


def run_send(ports: Ports, message: WorkflowSendMsg) -> None:
    """Send a held journey message now (or hold it again when the hours closed meanwhile)."""
    request = sending.SendRequest(
        contact_key=message.contactKey,
        template_id=message.templateId,
        origin=message.origin,
        step=message.step,
        transactional=message.transactional,
        data=message.data,
        event=message.event,
        base_url=ports.settings.public_url,
        hours=(message.hours[0], message.hours[1]) if message.hours else None,
    )
    result = sending.send(ports, request)
    if result.deferred_until is not None:
        schedule(ports, request, result.deferred_until)
