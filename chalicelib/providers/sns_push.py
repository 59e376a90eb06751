"""Mobile push through Amazon SNS platform endpoints (provider ``snspush``).

* ``ORBIT_SNS_PLATFORM_APPLICATION_ARN`` is the SNS platform application for Android (FCM, platform ``GCM``);
  ``ORBIT_SNS_APNS_APPLICATION_ARN`` optionally one for iOS (``APNS`` or ``APNS_SANDBOX``). A device token of 64
  hex digits is an APNs token and goes to the APNs application when one is set; any other token to the FCM one.
* The recipient is the contact's ``mobilepush`` identifier (its ``value``, the device token), as for ``fcm``.
  The sender never writes the contact: ``CreatePlatformEndpoint`` is idempotent for the same token, so the
  endpoint ARN is found again by the token and cached per process (token -> ARN).
* An endpoint SNS disabled (the platform reported the token, or someone turned it off) is re-enabled once per
  process and published to; found disabled again in the same process, the platform keeps refusing the token, and
  the send is Permanent with that reason. A publish SNS refuses with ``EndpointDisabled`` is Permanent too.
* The rendered push (``title``, ``body``, ``image``, ``deepLink``, ``data``) goes out with
  ``MessageStructure=json``: an FCM v1 message under ``GCM``, an ``aps`` alert under ``APNS``/``APNS_SANDBOX``,
  both with the template's ``data``, ``deepLink`` and ``orbitMessageId``. SNS's ``MessageId`` is the provider id
  (delivery status logs carry it back: ``services/messaging/sns_status.py``). Not idempotent.
"""

from __future__ import annotations

import json
import re
import threading
from typing import Any

from chalicelib.errors import Permanent
from chalicelib.messaging.outbound import Outgoing, SendResult
from chalicelib.providers.base import ProviderSender
from chalicelib.providers.secrets import Clients
from chalicelib.providers.ses import aws_failure
from chalicelib.settings import Settings

NAME = "snspush"
APNS_TOKEN = re.compile(r"^[0-9a-fA-F]{64}$")
# "Endpoint arn:aws:sns:...:endpoint/GCM/app/id already exists with the same Token, but different attributes."
EXISTING = re.compile(r"Endpoint (arn:[^ ]+) already exists")
PERMANENT_CODES = {
    "InvalidParameter",
    "InvalidParameterValue",
    "EndpointDisabled",
    "PlatformApplicationDisabled",
    "AuthorizationError",
    "ValidationError",
    "NotFound",
}


def platform_of(arn: str) -> str:
    """The platform an application or endpoint ARN names (``...:app/GCM/name`` -> ``GCM``)."""
    resource = arn.split(":", 5)[-1]
    parts = resource.split("/")
    return parts[1] if len(parts) > 2 else ""


def payload(message: Outgoing, platform: str) -> str:
    """The ``Message`` of a ``MessageStructure=json`` publish: ``default`` (the body) and the platform's payload."""
    content = message.content
    title, body, image = (str(content[k]) if content.get(k) else "" for k in ("title", "body", "image"))
    data = {str(k): str(v) for k, v in (content.get("data") or {}).items()}
    if content.get("deepLink"):
        data["deepLink"] = str(content["deepLink"])
    data["orbitMessageId"] = message.message_id
    structure: dict[str, str] = {"default": body or title}
    if platform.startswith("APNS"):
        alert = {k: v for k, v in (("title", title), ("body", body)) if v}
        aps: dict[str, Any] = {"alert": alert, "mutable-content": 1} if image else {"alert": alert}
        apns: dict[str, Any] = {"aps": aps, **data}
        if image:
            apns["image"] = image
        structure[platform] = json.dumps(apns)
    else:
        notification = {k: v for k, v in (("title", title), ("body", body), ("image", image)) if v}
        structure[platform or "GCM"] = json.dumps(
            {"fcmV1Message": {"message": {"notification": notification, "data": data}}}
        )
    return json.dumps(structure)


def _token(message: Outgoing) -> str:
    token = message.to.get("value")
    if not isinstance(token, str) or not token:
        raise Permanent("The message has no push token")
    return token


class SnsPushSender(ProviderSender):
    """``Sender`` for the mobilepush channel through SNS platform endpoints."""

    name = NAME

    def __init__(self, settings: Settings, clients: Clients) -> None:
        super().__init__(settings, clients)
        self._endpoints: dict[tuple[str, str], str] = {}  # (application ARN, token) -> endpoint ARN
        self._reenabled: set[str] = set()  # endpoint ARNs this process turned back on
        self._lock = threading.Lock()

    def application(self, token: str) -> str:
        """The platform application ``token`` belongs to (Permanent when the stage has none)."""
        if APNS_TOKEN.match(token) and self.settings.sns_apns_application_arn:
            return self.settings.sns_apns_application_arn
        if not self.settings.sns_platform_application_arn:
            raise Permanent("Set ORBIT_SNS_PLATFORM_APPLICATION_ARN for the snspush provider")
        return self.settings.sns_platform_application_arn

    def endpoint(self, application: str, token: str) -> str:
        """The enabled endpoint of ``token`` on ``application``, made or found by ``CreatePlatformEndpoint``."""
        sns = self.clients("sns")
        with self._lock:
            arn = self._endpoints.get((application, token))
        if arn is None:
            try:
                arn = str(sns.create_platform_endpoint(PlatformApplicationArn=application, Token=token)["EndpointArn"])
            except Exception as exc:
                # the token's endpoint exists with other attributes (disabled): SNS names it in the error
                found = EXISTING.search(str(getattr(exc, "response", {}).get("Error", {}).get("Message", "")))
                if found is None:
                    raise aws_failure(exc, NAME, PERMANENT_CODES) from None
                arn = found.group(1)
            with self._lock:
                self._endpoints[(application, token)] = arn
        try:
            attributes = sns.get_endpoint_attributes(EndpointArn=arn)["Attributes"]
        except Exception as exc:
            raise aws_failure(exc, NAME, PERMANENT_CODES) from None
        if str(attributes.get("Enabled", "true")).lower() != "true" or attributes.get("Token") != token:
            self._enable(arn, token)
        return arn

    def _enable(self, arn: str, token: str) -> None:
        with self._lock:
            if arn in self._reenabled:
                raise Permanent(
                    f"{NAME}: SNS disabled the endpoint again after it was re-enabled: the platform reports the "
                    "device token as no longer valid"
                )
            self._reenabled.add(arn)
        try:
            self.clients("sns").set_endpoint_attributes(EndpointArn=arn, Attributes={"Token": token, "Enabled": "true"})
        except Exception as exc:
            raise aws_failure(exc, NAME, PERMANENT_CODES) from None

    def send(self, message: Outgoing) -> SendResult:
        token = _token(message)
        arn = self.endpoint(self.application(token), token)
        try:
            answer = self.clients("sns").publish(
                TargetArn=arn, MessageStructure="json", Message=payload(message, platform_of(arn))
            )
        except Exception as exc:
            raise aws_failure(exc, NAME, PERMANENT_CODES) from None
        return SendResult(provider=NAME, provider_id=str(answer["MessageId"]))
