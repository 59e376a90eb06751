"""WorkflowStore: workflows by id, each created once, replaced at the revision it was read at, listed oldest first and
read back exactly as written; a published revision's definition is kept as first saved."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from chalicelib.errors import Conflict, NotFound
from chalicelib.ports import Ports, WorkflowStore
from chalicelib.workflows.journeys import WorkflowRecord

T = "2026-11-27T12:00:00.000Z"
DEFINITION: dict[str, Any] = {
    "name": "Welcome — привіт 👋",
    "trigger": {"event": "Signed Up", "where": [{"property": "plan", "op": "eq", "value": "pro"}]},
    "settings": {"reentry": {"mode": "oncePer", "days": 30}, "skipIfInside": False},
    "start": "hello",
    "blocks": {
        "hello": {"type": "sendMessage", "channel": "email", "template": "welcome", "next": "pause"},
        "pause": {"type": "wait", "duration": {"hours": 36}, "next": "done"},
        "done": {"type": "end"},
    },
}


@pytest.fixture
def workflows(wired: Ports) -> WorkflowStore:
    return wired.workflows


def record(workflow_id: str = "welcome", at: str = T, **changes: Any) -> WorkflowRecord:
    built = WorkflowRecord(
        id=workflow_id,
        name="Welcome — привіт 👋",
        tags=("onboarding", "vip"),
        definition=DEFINITION,
        status="draft",
        revision=1,
        created_at=at,
        updated_at=at,
    )
    return replace(built, **changes)


def test_a_workflow_reads_back_as_created(workflows: WorkflowStore) -> None:
    workflows.create_workflow(record())

    assert workflows.workflow("welcome") == record()
    assert workflows.workflow("missing") is None


def test_every_field_reads_back(workflows: WorkflowStore) -> None:
    published = record(
        status="published",
        revision=4,
        published=3,
        state_machine="arn:aws:states:us-east-1:123456789012:stateMachine:orbit-test-welcome",
        target="arn:aws:states:us-east-1:123456789012:stateMachine:orbit-test-welcome:live",
        tags=(),
    )
    workflows.create_workflow(published)

    assert workflows.workflow("welcome") == published


def test_a_workflow_is_created_once(workflows: WorkflowStore) -> None:
    workflows.create_workflow(record())

    with pytest.raises(Conflict):
        workflows.create_workflow(record(name="Other"))
    assert workflows.workflow("welcome") == record()


def test_workflows_are_listed_oldest_first(workflows: WorkflowStore) -> None:
    workflows.create_workflow(record("b", at="2026-11-27T12:00:02.000Z"))
    workflows.create_workflow(record("c", at="2026-11-27T12:00:01.000Z"))
    workflows.create_workflow(record("a", at="2026-11-27T12:00:02.000Z"))

    assert [w.id for w in workflows.workflows()] == ["c", "a", "b"]


def test_a_workflow_is_replaced_at_the_revision_read(workflows: WorkflowStore) -> None:
    workflows.create_workflow(record())

    workflows.replace_workflow(record(name="Renamed", revision=2), expected_revision=1)

    stored = workflows.workflow("welcome")
    assert stored is not None and (stored.name, stored.revision) == ("Renamed", 2)


def test_a_replace_from_a_stale_revision_conflicts_and_writes_nothing(workflows: WorkflowStore) -> None:
    workflows.create_workflow(record())
    workflows.replace_workflow(record(name="First", revision=2), expected_revision=1)

    with pytest.raises(Conflict):
        workflows.replace_workflow(record(name="Second", revision=2), expected_revision=1)
    stored = workflows.workflow("welcome")
    assert stored is not None and stored.name == "First"


def test_replacing_a_missing_workflow_is_not_found(workflows: WorkflowStore) -> None:
    with pytest.raises(NotFound):
        workflows.replace_workflow(record(), expected_revision=1)
    assert workflows.workflow("welcome") is None


def test_a_saved_revision_reads_back(workflows: WorkflowStore) -> None:
    workflows.save_revision("welcome", 3, DEFINITION)

    assert workflows.revision("welcome", 3) == DEFINITION
    assert workflows.revision("welcome", 2) is None
    assert workflows.revision("other", 3) is None


def test_saving_a_revision_again_changes_nothing(workflows: WorkflowStore) -> None:
    workflows.save_revision("welcome", 3, DEFINITION)

    workflows.save_revision("welcome", 3, {**DEFINITION, "name": "Changed"})

    assert workflows.revision("welcome", 3) == DEFINITION
