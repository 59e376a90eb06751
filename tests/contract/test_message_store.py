"""MessageStore: the ledger's first claim wins, messages change only from the status expected, counters add up
without touching the status, the first mark of an act stays, the outbox keeps a message's first copy and lists
newest first with filters and cursors, a stage has one link secret, messages are found by their provider's ids,
link codes are kept as made and a chat belongs to the contact it was last linked to."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from chalicelib.errors import Conflict, InvalidInput, NotFound
from chalicelib.messaging.chat_links import LinkCode
from chalicelib.messaging.ledger import Claim, LedgerKey
from chalicelib.messaging.outbound import Message, OutboxItem, Outgoing, new_message_id
from chalicelib.ports import MessageStore, Ports

T = "2026-11-27T12:00:00.000Z"
KEY = LedgerKey("api:r-1", "", "x#ann", "email")


@pytest.fixture
def messages(wired: Ports) -> MessageStore:
    return wired.messages


def message(message_id: str = "msg_1", **changes) -> Message:
    values = {
        "id": message_id,
        "ledger_key": KEY.digest,
        "origin": KEY.origin,
        "step": "",
        "contact_key": "x#ann",
        "channel": "email",
        "template_id": "welcome",
        "transactional": True,
        "status": "pending",
        "created_at": T,
        "updated_at": T,
        **changes,
    }
    return Message(**values)


def item(message_id: str, channel: str = "email", contact_key: str = "x#ann") -> OutboxItem:
    sent = Outgoing(
        message_id=message_id,
        channel=channel,
        contact_key=contact_key,
        template_id="welcome",
        to={"email": "ann@example.com"},
        content={"subject": "Hi Ann", "html": "<p>Привіт</p>", "nested": {"n": 1.5, "list": [1, "two"]}},
        headers={"List-Unsubscribe": "<https://o.example/u/x>"},
        language="uk",
        created_at=T,
    )
    return OutboxItem(message=sent, provider_id=f"sandbox-{message_id}", sent_at=T)


# --- the ledger ---------------------------------------------------------------------------------------------------


def test_the_first_claim_wins_and_later_ones_get_it_back(messages: MessageStore) -> None:
    first = Claim(KEY, "msg_1", T)
    assert messages.claim(first) == first
    assert messages.claim(Claim(KEY, "msg_2", "2026-11-27T12:00:01.000Z")) == first
    other = Claim(LedgerKey("api:r-1", "", "x#ann", "sms"), "msg_3", T)  # another channel: another key
    assert messages.claim(other) == other


def test_concurrent_claims_agree_on_one_message(messages: MessageStore, atomic_requests: None) -> None:
    # each request atomic, as DynamoDB's conditional put is (in-process moto's is not)
    barrier = threading.Barrier(6)

    def claim(n: int) -> str:
        barrier.wait()
        return messages.claim(Claim(KEY, f"msg_{n}", T)).message_id

    with ThreadPoolExecutor(6) as pool:
        assert len(set(pool.map(claim, range(6)))) == 1


def test_ledger_keys_never_run_into_each_other() -> None:
    assert LedgerKey("a:b", "c", "x#d", "email").digest != LedgerKey("a", "b:c", "x#d", "email").digest
    assert len(KEY.digest) == 64


# --- message records -------------------------------------------------------------------------------------------


def test_a_message_is_created_once(messages: MessageStore) -> None:
    assert messages.create_message(message()) == message()
    assert messages.create_message(message(status="sent")) == message()
    assert messages.message("msg_1") == message()
    assert messages.message("msg_none") is None


def test_a_message_changes_only_from_the_status_expected(messages: MessageStore) -> None:
    messages.create_message(message())
    sending = messages.update_message("msg_1", "pending", {"status": "sending", "attempts": 1, "sending_at": T})
    assert (sending.status, sending.attempts, sending.sending_at) == ("sending", 1, T)
    with pytest.raises(Conflict):
        messages.update_message("msg_1", "pending", {"status": "failed"})
    done = messages.update_message(
        "msg_1", "sending", {"status": "sent", "provider": "sandbox", "provider_id": "p-1", "sent_at": T}
    )
    assert messages.message("msg_1") == done and done.provider_id == "p-1"
    assert messages.update_message("msg_1", "sent", {"reason": None}) == done  # None removes; nothing to remove
    with pytest.raises(NotFound):
        messages.update_message("msg_none", "pending", {"status": "sending"})


def test_counters_add_up_and_keep_their_first_moment(messages: MessageStore) -> None:
    messages.create_message(message())
    messages.count("msg_1", "opened", T)
    messages.count("msg_1", "opened", "2026-11-28T00:00:00.000Z")
    messages.count("msg_1", "clicked", "2026-11-28T00:00:00.000Z")
    stored = messages.message("msg_1")
    assert stored is not None
    assert stored.counters == {"opened": 2, "clicked": 1}
    assert stored.first == {"opened": T, "clicked": "2026-11-28T00:00:00.000Z"}
    messages.count("msg_none", "opened", T)  # no such message: nothing happens
    assert messages.message("msg_none") is None


def test_a_status_change_keeps_the_counters(messages: MessageStore) -> None:
    messages.create_message(message(status="sending"))
    messages.count("msg_1", "delivered", T)
    messages.update_message("msg_1", "sending", {"status": "sent"})
    stored = messages.message("msg_1")
    assert stored is not None and stored.counters == {"delivered": 1} and stored.status == "sent"


@pytest.mark.usefixtures("atomic_requests")  # each request atomic, as on DynamoDB (in-process moto's are not)
def test_concurrent_counts_are_all_counted(messages: MessageStore) -> None:
    messages.create_message(message())
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda _: messages.count("msg_1", "opened", T), range(16)))
    stored = messages.message("msg_1")
    assert stored is not None and stored.counters["opened"] == 16


# --- marks ---------------------------------------------------------------------------------------------------------


def test_the_first_mark_stays_until_done(messages: MessageStore) -> None:
    first = messages.mark("msg_1", "open", T)
    assert (first.at, first.done) == (T, False)
    again = messages.mark("msg_1", "open", "2026-11-28T00:00:00.000Z")
    assert (again.at, again.done) == (T, False)
    messages.mark_done("msg_1", "open")
    assert messages.mark("msg_1", "open", "2026-11-29T00:00:00.000Z").done is True
    assert messages.mark("msg_1", "click:abc", "2026-11-29T00:00:00.000Z").at == "2026-11-29T00:00:00.000Z"


# --- the outbox ------------------------------------------------------------------------------------------------------


def test_the_outbox_keeps_the_first_copy(messages: MessageStore) -> None:
    messages.record_outbox(item("msg_1"))
    again = item("msg_1")
    messages.record_outbox(OutboxItem(message=again.message, provider_id="other", sent_at="later"))
    assert messages.outbox_item("msg_1") == item("msg_1")
    assert messages.outbox_item("msg_none") is None


def test_the_outbox_lists_newest_first_with_filters_and_cursors(messages: MessageStore) -> None:
    ids = [new_message_id(1_700_000_000_000 + n) for n in range(7)]
    for n, message_id in enumerate(ids):
        messages.record_outbox(item(message_id, "sms" if n % 3 == 0 else "email", "x#bob" if n == 5 else "x#ann"))
    newest_first = list(reversed(ids))
    pages: list[list[str]] = []
    page, cursor = messages.outbox(3)
    pages.append([i.message.message_id for i in page])
    while cursor is not None:
        page, cursor = messages.outbox(3, cursor)
        pages.append([i.message.message_id for i in page])
    assert [m for p in pages for m in p] == newest_first
    assert all(len(p) <= 3 for p in pages)
    sms = [i.message.message_id for i in messages.outbox(10, channel="sms")[0]]
    assert sms == [ids[6], ids[3], ids[0]]
    bob = messages.outbox(10, contact_key="x#bob")[0]
    assert [i.message.message_id for i in bob] == [ids[5]]
    assert messages.outbox(10, channel="email", contact_key="x#bob")[0] == bob
    assert messages.outbox(0) == ([], None)


@pytest.mark.parametrize("cursor", ["nope", "ob1.!!!", "fake-ob.e30="])
def test_a_cursor_not_from_the_listing_is_refused(messages: MessageStore, cursor: str) -> None:
    with pytest.raises(InvalidInput):
        messages.outbox(10, cursor)


# --- the link secret ---------------------------------------------------------------------------------------------


def test_a_stage_keeps_one_link_secret(messages: MessageStore) -> None:
    assert messages.stage_secret("first") == "first"
    assert messages.stage_secret("second") == "first"


# --- provider ids, link codes and linked chats -------------------------------------------------------------------


def test_a_message_is_found_by_the_id_its_provider_gave_it(messages: MessageStore) -> None:
    messages.create_message(message("msg_1", channel="viber"))
    messages.remember_provider_id("viber", "5491234567890123456", "msg_1")
    found = messages.message_by_provider_id("viber", "5491234567890123456")
    assert found is not None and found.id == "msg_1"
    assert messages.message_by_provider_id("telegram", "5491234567890123456") is None  # per provider
    assert messages.message_by_provider_id("viber", "other") is None


def test_a_provider_id_of_a_message_that_is_gone_finds_nothing(messages: MessageStore) -> None:
    messages.remember_provider_id("telegram", "42:7", "msg_gone")
    assert messages.message_by_provider_id("telegram", "42:7") is None


def test_a_link_code_is_kept_as_made(messages: MessageStore) -> None:
    link = LinkCode("c0de-c0de_c0de-c0de", "x#ann", "telegram", 1_800_000_000)
    messages.remember_link_code(link)
    assert messages.link_code(link.code) == link
    assert messages.link_code("unknown-code-0000") is None


def test_a_chat_belongs_to_the_contact_it_was_last_linked_to(messages: MessageStore) -> None:
    assert messages.chat_contact("telegram", "42") is None
    messages.remember_chat("telegram", "42", "x#ann")
    messages.remember_chat("telegram", "42", "x#bob")
    assert messages.chat_contact("telegram", "42") == "x#bob"
    assert messages.chat_contact("viber", "42") is None  # per channel
