"""Members requests past 500 different IDs: a job of chunks on the imports stream, each chunk's outcome recorded
once, per-row errors naming the request's positions (docs/lists.md, "Adding and removing members").

Jobs that run use small limits (``small``): on moto every membership that flips is a transaction, and moto copies
the whole table for each one, so a thousand members would take minutes here (never on DynamoDB)."""

from __future__ import annotations

import pytest

from chalicelib import aws
from chalicelib.contacts.record import ContactRecord
from chalicelib.messages import ListMembersMsg, parse_message
from chalicelib.ports import Ports
from chalicelib.segments.models import Generation
from chalicelib.services.segments import lists
from tests.conftest import sqs_record


def known(stores: Ports, *external_ids: str) -> None:
    for external_id in external_ids:
        stores.contacts.save(ContactRecord(key=f"x#{external_id}"), None)


@pytest.fixture
def vip(api):
    assert api.json("POST", "/v1/lists", {"id": "vip", "name": "VIP customers"})[0] == 201
    return api


@pytest.fixture
def small(vip, monkeypatch):
    """At most 5 distinct IDs applied at once, chunks of 4: the 12 ``IDS`` make a job of 3 chunks."""
    monkeypatch.setattr(lists, "SYNC_LIMIT", 5)
    monkeypatch.setattr(lists, "CHUNK_IDS", 4)
    known(vip.stores, *IDS)
    return vip


IDS = [f"u-{n}" for n in range(1, 13)]
MANY = [f"u-{n}" for n in range(1, 1201)]


def queued(stores: Ports) -> list[ListMembersMsg]:
    """Take every message off the imports queue (without applying them)."""
    sqs = aws.sqs()
    url = sqs.get_queue_url(QueueName=stores.settings.imports_queue)["QueueUrl"]
    found: list[ListMembersMsg] = []
    while True:
        out = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)
        if not out.get("Messages"):
            return found
        for m in out["Messages"]:
            message = parse_message(m["Body"])
            assert isinstance(message, ListMembersMsg)
            found.append(message)
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])


def deliver(bodies: list[str]) -> dict:
    from app import consume_imports

    return consume_imports({"Records": [sqs_record(body) for body in bodies]}, None)


def test_past_500_ids_the_answer_is_a_202_job(vip):
    status, body = vip.json("POST", "/v1/lists/vip/members", {"externalIds": MANY[:501]})
    assert status == 202
    assert body == {
        "jobId": body["jobId"],
        "listId": "vip",
        "action": "add",
        "total": 501,
        "statusUrl": f"/v1/lists/vip/jobs/{body['jobId']}",
    }


def test_a_job_is_processing_until_its_chunks_are_applied(small):
    job = small.json("POST", "/v1/lists/vip/members", {"externalIds": IDS})[1]
    status, body = small.json("GET", job["statusUrl"])
    assert status == 200 and (body["status"], body["processed"], body["added"]) == ("PROCESSING", 0, 0)
    assert small.json("GET", "/v1/lists/vip")[1]["memberCount"] == 0


def test_the_consumer_applies_the_chunks_and_the_job_finishes(small):
    status, job = small.json("POST", "/v1/lists/vip/members", {"externalIds": IDS})
    assert status == 202
    small.drain()
    status, body = small.json("GET", job["statusUrl"])
    assert status == 200
    assert {k: body[k] for k in ("status", "total", "processed", "added", "unchanged", "failed", "errors")} == {
        "status": "FINISHED",
        "total": 12,
        "processed": 12,
        "added": 12,
        "unchanged": 0,
        "failed": 0,
        "errors": [],
    }
    assert small.json("GET", "/v1/lists/vip")[1]["memberCount"] == 12


def test_chunks_hold_at_most_500_ids(vip):
    vip.json("POST", "/v1/lists/vip/members", {"externalIds": MANY})
    assert [len(m.externalIds) for m in sorted(queued(vip.stores), key=lambda m: m.chunk)] == [500, 500, 200]


def test_row_errors_name_the_position_in_the_request_past_repeats(small):
    # repeats early on shift every later position: errors still name the request's own index
    sent = ["u-1", "u-1", "u-2", "u-2", *IDS[2:7], "ghost", *IDS[7:], " bad"]
    job = small.json("POST", "/v1/lists/vip/members", {"externalIds": sent})[1]
    small.drain()
    body = small.json("GET", job["statusUrl"])[1]
    assert (body["total"], body["added"], body["failed"]) == (14, 12, 2)
    assert [(e["index"], e["externalId"]) for e in body["errors"]] == [
        (sent.index("ghost"), "ghost"),
        (len(sent) - 1, " bad"),
    ]
    assert "No contact" in body["errors"][0]["message"] and "outer spaces" in body["errors"][1]["message"]


def test_a_redelivered_chunk_never_counts_twice(small):
    job = small.json("POST", "/v1/lists/vip/members", {"externalIds": IDS})[1]
    bodies = [m.body() for m in queued(small.stores)]
    assert deliver(bodies) == {"batchItemFailures": []}
    assert deliver(bodies[:1]) == {"batchItemFailures": []}  # SQS delivers the first chunk again
    body = small.json("GET", job["statusUrl"])[1]
    assert (body["status"], body["processed"], body["added"], body["unchanged"]) == ("FINISHED", 12, 12, 0)
    assert small.json("GET", "/v1/lists/vip")[1]["memberCount"] == 12


def test_a_chunk_retried_after_a_crash_still_counts_what_it_added(small, monkeypatch):
    job = small.json("POST", "/v1/lists/vip/members", {"externalIds": IDS})[1]
    first = min(queued(small.stores), key=lambda m: m.chunk)
    finish = small.stores.imports.finish_chunk

    def crash(*args, **kwargs):
        raise RuntimeError("the function timed out before recording the chunk")

    monkeypatch.setattr(small.stores.imports, "finish_chunk", crash)
    assert deliver([first.body()])["batchItemFailures"]  # the members were written, the outcome was not
    monkeypatch.setattr(small.stores.imports, "finish_chunk", finish)
    assert deliver([first.body()]) == {"batchItemFailures": []}
    body = small.json("GET", job["statusUrl"])[1]
    assert (body["added"], body["unchanged"]) == (4, 0)


def test_removing_past_the_limit_is_a_job_too(small):
    small.json("POST", "/v1/lists/vip/members", {"externalIds": IDS})
    small.drain()
    job = small.json("POST", "/v1/lists/vip/members/remove", {"externalIds": IDS[:9]})[1]
    small.drain()
    body = small.json("GET", job["statusUrl"])[1]
    assert (body["action"], body["status"], body["removed"], body["unchanged"]) == ("remove", "FINISHED", 9, 0)
    assert "added" not in body
    assert small.json("GET", "/v1/lists/vip")[1]["memberCount"] == 3


def test_a_job_of_a_list_deleted_meanwhile_fails_its_rows(small):
    job = small.json("POST", "/v1/lists/vip/members", {"externalIds": IDS})[1]
    assert small.json("DELETE", "/v1/lists/vip")[0] == 200
    small.drain()
    _job, chunks = small.stores.imports.import_job(job["jobId"])
    assert sum(len(c["errors"]) for c in chunks) == 12 and sum(int(c["ok"]) for c in chunks) == 0
    assert small.stores.memberships.count(Generation("vip", 0)) == 0


def test_a_job_of_another_list_is_404(small):
    job = small.json("POST", "/v1/lists/vip/members", {"externalIds": IDS})[1]
    small.json("POST", "/v1/lists", {"id": "testers", "name": "Testers"})
    assert small.json("GET", f"/v1/lists/testers/jobs/{job['jobId']}")[0] == 404


def test_a_contact_import_is_not_a_list_job(vip):
    status, body = vip.json("POST", "/v1/imports/contacts", {"contacts": [{"externalId": "u-1"}]})
    assert status == 202
    assert vip.json("GET", f"/v1/lists/vip/jobs/{body['importId']}")[0] == 404
