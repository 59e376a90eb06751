"""What every provider's ``Sender`` holds: the stage's settings and the clients its credentials are read
through. No provider dedupes by Orbit's message id, so none is idempotent (an interrupted send is not repeated)."""

from __future__ import annotations

from chalicelib.providers.secrets import Clients
from chalicelib.settings import Settings


class ProviderSender:
    name: str
    idempotent = False

    def __init__(self, settings: Settings, clients: Clients) -> None:
        self.settings = settings
        self.clients = clients
