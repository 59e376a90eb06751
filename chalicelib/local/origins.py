"""``ORBIT_SITE_ORIGINS``: further origins the local site key accepts, so a developer's own site can send to
``make run`` (``ORBIT_SITE_ORIGINS=http://localhost:3000,http://127.0.0.1:5173``, or ``*`` for any origin)."""

from __future__ import annotations

from chalicelib.auth.keys import normalize_origin
from chalicelib.errors import InvalidInput

VARIABLE = "ORBIT_SITE_ORIGINS"
ANY = "*"


def site_origins(raw: str | None) -> list[str]:
    """The origins listed in ``raw`` (comma-separated; blanks ignored), normalized (``https://Shop.Example/`` is
    ``https://shop.example``) and without repeats; ``*`` stands for every origin. A bad entry is a ValueError
    naming the variable."""
    found: list[str] = []
    for entry in (raw or "").split(","):
        entry = entry.strip()
        if not entry:
            continue
        if entry == ANY:
            origin = ANY
        else:
            try:
                origin = normalize_origin(entry)
            except InvalidInput as exc:
                raise ValueError(f"{VARIABLE}: {exc.message}") from None
        if origin not in found:
            found.append(origin)
    return found


def local_site_origins(port: int, extra: list[str]) -> list[str]:
    """Every origin the local site key allows: the runtime's own (``127.0.0.1`` and ``localhost``), then ``extra``."""
    own = [f"http://127.0.0.1:{port}", f"http://localhost:{port}"]
    return own + [o for o in extra if o not in own]


def describe(origins: list[str]) -> str:
    """The start-up banner's list of allowed origins."""
    return "any origin (*)" if ANY in origins else ", ".join(origins)
