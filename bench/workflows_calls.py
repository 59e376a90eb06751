"""AWS calls per journey of the ``workflows`` benchmark section (``bench.workflows_phase``), counted where they can
be seen: on the in-process local runtime, with a hook on botocore's ``_make_api_call``. The section's figures
come from ``make run``'s runtime in a subprocess; these counts say where its time goes."""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from bench.workflows_phase import TEMPLATE, WORKFLOW


def count_calls(journeys: int = 5) -> dict[str, dict[str, float]]:
    """AWS calls per journey started by API, by operation: ``contact`` (creating its contact, as the
    ``PUT /v1/contacts`` baseline does), ``start`` (the start request's own) and ``task`` (the journey's
    ``workflow_task``, run on another thread). Counted on the running in-process local runtime
    (``AWS_ENDPOINT_URL`` set by ``LocalRuntime``, pollers stopped): the subprocess's calls cannot be seen."""
    import botocore.client

    from chalicelib import deps
    from chalicelib.contacts import keys
    from chalicelib.contacts.models import ContactIn
    from chalicelib.messaging.templates import TemplateIn
    from chalicelib.services import contacts, templates
    from chalicelib.services.workflows import definitions

    ports = deps.ports()
    templates.create(ports, TemplateIn.model_validate(TEMPLATE))
    workflow_id = definitions.create(ports, WORKFLOW).id
    definitions.publish(ports, workflow_id)
    ids = [f"wc-{i}" for i in range(journeys + 1)]
    counts: dict[str, dict[str, float]] = {"contact": {}, "start": {}, "task": {}}
    main = threading.get_ident()
    doing: list[str] = []  # what the main thread is doing, when it counts (its other calls are the bench's)
    base: Any = botocore.client.BaseClient
    original = base._make_api_call

    def counted(client: Any, operation: str, params: Any) -> Any:
        side = "task" if threading.get_ident() != main else doing[0] if doing else None
        if side is not None:
            counts[side][operation] = counts[side].get(operation, 0) + 1 / journeys
        return original(client, operation, params)

    def sent(external_id: str) -> bool:
        return bool(ports.messages.outbox(5, None, channel=None, contact_key=keys.known(external_id))[0])

    def journey(external_id: str) -> None:
        doing.append("contact")
        contacts.upsert(ports, external_id, ContactIn(email=f"{external_id}@example.com", firstName="Ann"))
        doing[0] = "start"
        definitions.start(ports, workflow_id, definitions.StartIn(externalId=external_id, requestId=external_id))
        doing.clear()
        began = time.perf_counter()
        while not sent(external_id) and time.perf_counter() - began < 30:
            time.sleep(0.02)
        time.sleep(0.2)  # the task's last calls (the journey's end) follow the send

    logging.disable(logging.INFO)  # the app's request and journey lines, on this process's output
    try:
        journey(ids[0])  # a warm-up, not counted
        base._make_api_call = counted
        for external_id in ids[1:]:
            journey(external_id)
    finally:
        base._make_api_call = original
        logging.disable(logging.NOTSET)
    return counts


def main(argv: list[str]) -> int:
    """``python -m bench.workflows_calls [journeys]``: the counts as JSON, on a quiet in-process runtime."""
    import json

    from bench.ingest import _quiet_runtime  # the runtime's helper; ingest imports this module

    with _quiet_runtime("bench-workflows-calls"):
        print(json.dumps(count_calls(int(argv[0]) if argv else 5)))
    return 0


if __name__ == "__main__":
    import sys

    sys.exit(main(sys.argv[1:]))
