"""Which sender serves each channel: the stage's ``ORBIT_MESSAGE_PROVIDERS`` (``email=ses,sms=sns``) over the
sandbox, which serves every channel the setting does not name (but ``appinbox``: the inbox is its delivery).

A provider module registers a factory in ``FACTORIES`` under its name (``ses``, ``sns``, ``snspush``, ``twilio``,
``fcm``, ``webpush``, ``telegram``, ``viber``: docs/providers.md); naming a provider this release lacks makes that
channel's sends fail with a reason (Permanent) rather than go to the sandbox unnoticed. Factories get the AWS clients
(``aws.client``, handed in by the composition root) they read credentials and call AWS with.
"""

from __future__ import annotations

from collections.abc import Callable

from chalicelib.clock import Clock
from chalicelib.errors import Permanent
from chalicelib.messaging.outbound import CHANNELS, SANDBOX
from chalicelib.ports import InboxStore, MessageStore, Sender
from chalicelib.providers.fcm import FcmSender
from chalicelib.providers.http_sms import HttpSmsSender
from chalicelib.providers.inbox import LOCAL_STAGE, InboxSender
from chalicelib.providers.inbox import NAME as INBOX
from chalicelib.providers.sandbox import SandboxSender
from chalicelib.providers.secrets import Clients, credential
from chalicelib.providers.ses import SesSender
from chalicelib.providers.sns_push import SnsPushSender
from chalicelib.providers.sns_sms import SnsSmsSender
from chalicelib.providers.telegram import TelegramSender
from chalicelib.providers.viber import ViberSender
from chalicelib.providers.webpush import WebPushSender
from chalicelib.settings import Settings

# credentials are references in the settings, read through the clients (providers/secrets.py)
Factory = Callable[[Settings, MessageStore, Clock, Clients], Sender]


def _sandbox(settings: Settings, store: MessageStore, clock: Clock, clients: Clients) -> Sender:
    return SandboxSender(store, clock)


def _no_inbox(settings: Settings, store: MessageStore, clock: Clock, clients: Clients) -> Sender:
    raise Permanent("This stage has no app inbox store; the composition root hands it in")


def _no_clients(service: str) -> object:
    raise Permanent(f"This sender has no AWS clients ({service}); the composition root hands them in")


FACTORIES: dict[str, Factory] = {
    SANDBOX: _sandbox,
    INBOX: _no_inbox,  # built in ChannelSenders from the inbox store it is handed
    "ses": lambda settings, store, clock, clients: SesSender(settings, clients),
    "sns": lambda settings, store, clock, clients: SnsSmsSender(settings, clients),
    "snspush": lambda settings, store, clock, clients: SnsPushSender(settings, clients),
    "twilio": lambda settings, store, clock, clients: HttpSmsSender(settings, clients),
    "telegram": lambda settings, store, clock, clients: TelegramSender(settings, clients),
    "viber": lambda settings, store, clock, clients: ViberSender(settings, clients),
    "fcm": lambda settings, store, clock, clients: FcmSender(settings, clients),
    "webpush": lambda settings, store, clock, clients: WebPushSender(settings, clients),
}
# which channels each provider serves (naming one for another channel is refused)
SERVES: dict[str, tuple[str, ...]] = {
    INBOX: ("appinbox",),
    "ses": ("email",),
    "sns": ("sms",),
    "snspush": ("mobilepush",),
    "twilio": ("sms",),
    "telegram": ("telegram",),
    "viber": ("viber",),
    "fcm": ("mobilepush",),
    "webpush": ("webpush",),
}


# the provider of a channel the setting does not name, when it is not the sandbox: the inbox is where app inbox
# messages are delivered (providers/inbox.py)
DEFAULTS: dict[str, str] = {"appinbox": INBOX}


def parse_providers(setting: str) -> dict[str, str]:
    """Each channel's provider name from ``channel=provider`` pairs (comma-separated); unnamed channels get the
    sandbox (``DEFAULTS`` aside). ValueError for an unknown channel or a pair without ``=``."""
    chosen = {**dict.fromkeys(CHANNELS, SANDBOX), **DEFAULTS}
    for pair in (p.strip() for p in setting.split(",")):
        if not pair:
            continue
        channel, sep, provider = (part.strip() for part in pair.partition("="))
        if not sep or not provider:
            raise ValueError(f"ORBIT_MESSAGE_PROVIDERS: {pair!r} is not channel=provider")
        if channel not in chosen:
            raise ValueError(f"ORBIT_MESSAGE_PROVIDERS: {channel!r} is not a channel ({', '.join(CHANNELS)})")
        chosen[channel] = provider.lower()
    return chosen


class ChannelSenders:
    """``Senders`` for ``settings.message_providers``: one sender per provider, built on first use and shared by
    the channels it serves. A setting that does not parse fails every send with its reason (it never stops the
    rest of the platform from starting)."""

    def __init__(
        self,
        settings: Settings,
        store: MessageStore,
        clock: Clock,
        clients: Clients | None = None,
        inbox: InboxStore | None = None,
    ) -> None:
        self._settings = settings
        self._clients: Clients = clients or _no_clients
        self._problem: str | None = None
        try:
            self._providers = parse_providers(settings.message_providers)
        except ValueError as exc:
            self._providers, self._problem = {}, str(exc)
        self._store = store
        self._clock = clock
        self._built: dict[str, Sender] = {}
        if inbox is not None:  # locally the inbox also keeps the sandbox's copy (providers/inbox.py)
            self._built[INBOX] = InboxSender(inbox, clock, store if settings.stage == LOCAL_STAGE else None)

    def providers(self) -> dict[str, str]:
        return dict(self._providers)

    def callback_secret(self, provider: str) -> str:
        if provider == "viber":
            return credential(self._clients, self._settings.viber_auth_token, "ORBIT_VIBER_AUTH_TOKEN")
        raise Permanent(f"The provider {provider!r} has no callback secret")

    def sender(self, channel: str) -> Sender:
        if self._problem is not None:
            raise Permanent(self._problem)
        provider = self._providers.get(channel)
        if provider is None:
            raise Permanent(f"There is no {channel!r} channel")
        if channel not in SERVES.get(provider, CHANNELS):
            raise Permanent(f"The provider {provider!r} does not send {channel} messages; set ORBIT_MESSAGE_PROVIDERS")
        if provider not in self._built:
            factory = FACTORIES.get(provider)
            if factory is None:
                raise Permanent(
                    f"The {channel} provider {provider!r} is not available in this release; set ORBIT_MESSAGE_PROVIDERS"
                )
            self._built[provider] = factory(self._settings, self._store, self._clock, self._clients)
        return self._built[provider]
