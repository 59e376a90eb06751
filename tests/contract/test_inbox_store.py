"""InboxStore: one item per message id, newest first, expired and hidden items gone, read once, an unread count
that follows reads, hides and expiry, and cursors bound to the contact's listing."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from chalicelib.clock import iso
from chalicelib.errors import InvalidInput
from chalicelib.ports import InboxItem, InboxStore, Ports
from tests.fakes import NOW

LATER = NOW + timedelta(minutes=5)


@pytest.fixture
def inbox(wired: Ports) -> InboxStore:
    return wired.inbox


def item(message_id: str, contact_key: str = "x#ann", expires: datetime | None = None, **kw: str) -> InboxItem:
    return InboxItem(
        message_id=message_id,
        contact_key=contact_key,
        title=kw.get("title", f"title {message_id}"),
        created_at=iso(NOW),
        body=kw.get("body"),
        link=kw.get("link"),
        image=kw.get("image"),
        expires_at=iso(expires) if expires else None,
    )


def ids(items: list[InboxItem]) -> list[str]:
    return [i.message_id for i in items]


def test_an_added_item_reads_back_unread_with_its_content(inbox: InboxStore):
    given = item("msg_1", body="Hi", link="https://shop.example/c", image="https://shop.example/i.png")
    assert inbox.add(given)
    assert inbox.item("x#ann", "msg_1", NOW) == given


def test_adding_the_same_message_id_again_keeps_the_first(inbox: InboxStore):
    inbox.add(item("msg_1", title="first"))
    assert not inbox.add(item("msg_1", title="second"))
    assert inbox.item("x#ann", "msg_1", NOW).title == "first"  # type: ignore[union-attr]
    assert inbox.unread("x#ann", NOW) == 1


def test_items_list_newest_first(inbox: InboxStore):
    for message_id in ("msg_1", "msg_3", "msg_2"):
        inbox.add(item(message_id))
    assert ids(inbox.items("x#ann", NOW, 10)[0]) == ["msg_3", "msg_2", "msg_1"]


def test_pages_follow_each_other_with_the_cursor(inbox: InboxStore):
    for n in range(5):
        inbox.add(item(f"msg_{n}"))
    first, cursor = inbox.items("x#ann", NOW, 2)
    second, cursor2 = inbox.items("x#ann", NOW, 2, cursor)
    third, cursor3 = inbox.items("x#ann", NOW, 2, cursor2)
    assert ids(first + second + third) == ["msg_4", "msg_3", "msg_2", "msg_1", "msg_0"]
    assert cursor3 is None


def test_another_contacts_cursor_is_invalid_input(inbox: InboxStore):
    for n in range(3):
        inbox.add(item(f"msg_{n}"))
    _, cursor = inbox.items("x#ann", NOW, 1)
    assert cursor is not None
    with pytest.raises(InvalidInput):
        inbox.items("x#bob", NOW, 1, cursor)


def test_a_made_up_cursor_is_invalid_input(inbox: InboxStore):
    with pytest.raises(InvalidInput):
        inbox.items("x#ann", NOW, 1, "not-a-cursor")


def test_inboxes_of_contacts_are_apart(inbox: InboxStore):
    inbox.add(item("msg_1", "x#ann"))
    inbox.add(item("msg_2", "x#bob"))
    assert ids(inbox.items("x#bob", NOW, 10)[0]) == ["msg_2"]
    assert inbox.item("x#bob", "msg_1", NOW) is None


def test_an_expired_item_is_not_listed_read_or_counted(inbox: InboxStore):
    inbox.add(item("msg_1", expires=NOW + timedelta(minutes=1)))
    inbox.add(item("msg_2"))
    assert ids(inbox.items("x#ann", LATER, 10)[0]) == ["msg_2"]
    assert inbox.item("x#ann", "msg_1", LATER) is None
    assert inbox.unread("x#ann", LATER) == 1
    assert not inbox.mark_read("x#ann", "msg_1", LATER)


def test_an_item_is_listed_until_the_moment_it_expires(inbox: InboxStore):
    expires = NOW + timedelta(minutes=1)
    inbox.add(item("msg_1", expires=expires))
    assert inbox.item("x#ann", "msg_1", expires - timedelta(milliseconds=1)) is not None
    assert inbox.item("x#ann", "msg_1", expires) is None


def test_marking_read_counts_only_the_first_time(inbox: InboxStore):
    inbox.add(item("msg_1"))
    assert inbox.mark_read("x#ann", "msg_1", LATER)
    assert not inbox.mark_read("x#ann", "msg_1", LATER + timedelta(minutes=1))
    assert inbox.item("x#ann", "msg_1", LATER).read_at == iso(LATER)  # type: ignore[union-attr]


def test_marking_read_an_item_that_is_not_there_is_false(inbox: InboxStore):
    inbox.add(item("msg_1", "x#bob"))
    assert not inbox.mark_read("x#ann", "msg_1", NOW)


def test_the_unread_count_drops_as_items_are_read_or_hidden(inbox: InboxStore):
    for n in range(3):
        inbox.add(item(f"msg_{n}"))
    inbox.mark_read("x#ann", "msg_0", NOW)
    inbox.hide("x#ann", "msg_1", NOW)
    assert inbox.unread("x#ann", NOW) == 1


def test_a_hidden_item_is_gone_and_cannot_be_added_again(inbox: InboxStore):
    inbox.add(item("msg_1"))
    assert inbox.hide("x#ann", "msg_1", NOW)
    assert inbox.item("x#ann", "msg_1", NOW) is None
    assert inbox.items("x#ann", NOW, 10)[0] == []
    assert not inbox.add(item("msg_1"))
    assert inbox.unread("x#ann", NOW) == 0


def test_hiding_twice_or_an_absent_item_is_false(inbox: InboxStore):
    inbox.add(item("msg_1"))
    inbox.hide("x#ann", "msg_1", NOW)
    assert not inbox.hide("x#ann", "msg_1", NOW)
    assert not inbox.hide("x#ann", "msg_9", NOW)


def test_hiding_a_read_item_keeps_the_unread_count(inbox: InboxStore):
    inbox.add(item("msg_1"))
    inbox.add(item("msg_2"))
    inbox.mark_read("x#ann", "msg_1", NOW)
    inbox.hide("x#ann", "msg_1", NOW)
    assert inbox.unread("x#ann", NOW) == 1
