"""Webhooks answered from a table of URL -> (status, JSON), recording every call."""

from __future__ import annotations

import threading
from typing import Any

from chalicelib.errors import Permanent


class FakeWebhooks:
    def __init__(self) -> None:
        self.answers: dict[str, tuple[int, Any]] = {}
        self.calls: list[tuple[str, str, bytes | None, dict[str, str]]] = []
        self._lock = threading.Lock()

    def call(self, method: str, url: str, body: bytes | None, headers: dict[str, str]) -> tuple[int, Any]:
        if not url.startswith("https://"):
            raise Permanent("A webhook URL must be https")
        with self._lock:
            self.calls.append((method, url, body, dict(headers)))
        return self.answers.get(url, (200, None))
