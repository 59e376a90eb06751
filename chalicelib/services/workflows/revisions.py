"""The workflow a journey runs: the definition saved for its revision, parsed once per process (revisions never
change once published, so the cache needs no expiry)."""

from __future__ import annotations

import threading

from chalicelib.errors import NotFound
from chalicelib.ports import Ports
from chalicelib.workflows.model import Workflow, parse_workflow

_cache: dict[tuple[int, str, int], Workflow] = {}
_lock = threading.Lock()


def load(ports: Ports, workflow_id: str, revision: int) -> Workflow:
    """The workflow at ``revision``; NotFound when that revision was never published."""
    key = (id(ports.workflows), workflow_id, revision)
    with _lock:
        cached = _cache.get(key)
    if cached is not None:
        return cached
    definition = ports.workflows.revision(workflow_id, revision)
    if definition is None:
        raise NotFound(f"Workflow {workflow_id!r} has no published revision {revision}")
    parsed = parse_workflow(definition)
    with _lock:
        if len(_cache) > 500:
            _cache.clear()
        _cache[key] = parsed
    return parsed
