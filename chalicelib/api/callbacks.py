"""Provider callbacks: SES events through an SNS HTTP(S) subscription (``docs/consent.md``), the Telegram bot's
webhook and Viber's callbacks (``docs/providers.md``, Telegram and Viber)."""

from __future__ import annotations

from chalice.app import Blueprint
from pydantic import BaseModel, Field

from chalicelib.api.http import Call, api_route
from chalicelib.deps import ports
from chalicelib.services.messaging import callbacks, chat_callbacks, chat_links

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


class ChatCallbackAccepted(BaseModel):
    outcome: str = Field(
        description="`linked`, `expired` (an expired link code), `subscribed`, `unsubscribed`, `recorded`, "
        "`duplicate` (already applied) or `ignored`"
    )


class TelegramWebhook(BaseModel):
    url: str = Field(description="The webhook URL to give setWebhook (empty when the stage has no public URL)")
    secretToken: str = Field(description="The secret_token to give setWebhook; Telegram sends it back on each update")


@api_route(
    bp,
    "/v1/callbacks/telegram",
    "POST",
    auth="none",
    tag=TAG,
    response=ChatCallbackAccepted,
    summary="The Telegram bot's webhook: X-Telegram-Bot-Api-Secret-Token must be the stage's webhook secret",
)
def telegram_callback(call: Call) -> ChatCallbackAccepted:
    secret = call.request.headers.get("x-telegram-bot-api-secret-token")
    return ChatCallbackAccepted(outcome=chat_callbacks.telegram_update(ports(), secret, call.body))


@api_route(
    bp,
    "/v1/callbacks/telegram/webhook",
    "GET",
    auth="secret",
    tag=TAG,
    response=TelegramWebhook,
    summary="The URL and secret token to register with the Telegram Bot API's setWebhook",
)
def telegram_webhook(call: Call) -> TelegramWebhook:
    wired = ports()
    base = wired.settings.public_url.rstrip("/")
    return TelegramWebhook(
        url=f"{base}/v1/callbacks/telegram" if base else "", secretToken=chat_links.telegram_webhook_secret(wired)
    )


@api_route(
    bp,
    "/v1/callbacks/viber",
    "POST",
    auth="none",
    tag=TAG,
    response=ChatCallbackAccepted,
    summary="Viber callbacks: X-Viber-Content-Signature must be the body's HMAC-SHA256 under the bot's auth token",
)
def viber_callback(call: Call) -> ChatCallbackAccepted:
    body = call.request.raw_body or b""
    raw = body.encode() if isinstance(body, str) else body
    signature = call.request.headers.get("x-viber-content-signature")
    return ChatCallbackAccepted(outcome=chat_callbacks.viber_callback(ports(), raw, signature, call.body))
