"""Provider callbacks: SES events through an SNS HTTP(S) subscription (``docs/consent.md``)."""

from __future__ import annotations

from chalice.app import Blueprint
from pydantic import BaseModel, Field

from chalicelib.api.http import Call, api_route
from chalicelib.deps import ports
from chalicelib.services.messaging import callbacks

bp = Blueprint(__name__)
TAG = "Callbacks"


class CallbackAccepted(BaseModel):
    outcome: str = Field(description="`confirmed`, `recorded`, `duplicate` (already applied) or `ignored`")


@api_route(
    bp,
    "/v1/callbacks/ses",
    "POST",
    auth="none",
    tag=TAG,
    response=CallbackAccepted,
    content_types=("application/json", "text/plain"),
    summary="SES events through SNS: the SNS signature is verified; bounces and complaints suppress the address",
)
def ses_callback(call: Call) -> CallbackAccepted:
    return CallbackAccepted(outcome=callbacks.receive_sns(ports(), call.body))
