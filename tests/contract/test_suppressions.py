"""Suppressions: digests of erased identifiers, added, asked about in batches, and lifted."""

from __future__ import annotations

import pytest

from chalicelib.contacts.identifiers import digest
from chalicelib.ports import Ports, Suppressions

AT = "2026-11-27T12:00:00.000Z"


@pytest.fixture
def suppressions(wired: Ports) -> Suppressions:
    return wired.suppressions


def test_nothing_is_suppressed_at_first(suppressions: Suppressions) -> None:
    assert suppressions.suppressed([digest("x#u-1"), digest("e#ann@example.com")]) == set()


def test_asking_about_no_digests_answers_none(suppressions: Suppressions) -> None:
    assert suppressions.suppressed([]) == set()


def test_suppressed_digests_are_found_and_others_are_not(suppressions: Suppressions) -> None:
    suppressions.suppress([digest("x#u-1"), digest("a#anon-1")], AT)

    found = suppressions.suppressed([digest("x#u-1"), digest("x#u-2"), digest("a#anon-1"), digest("x#u-1")])

    assert found == {digest("x#u-1"), digest("a#anon-1")}


def test_suppressing_again_keeps_it_suppressed(suppressions: Suppressions) -> None:
    suppressions.suppress([digest("x#u-1")], AT)
    suppressions.suppress([digest("x#u-1"), digest("x#u-1")], "2026-11-28T12:00:00.000Z")

    assert suppressions.suppressed([digest("x#u-1")]) == {digest("x#u-1")}


def test_a_lifted_digest_is_no_longer_suppressed_and_the_rest_stay(suppressions: Suppressions) -> None:
    suppressions.suppress([digest("x#u-1"), digest("e#ann@example.com")], AT)

    suppressions.lift([digest("x#u-1"), digest("x#never-suppressed")])

    assert suppressions.suppressed([digest("x#u-1"), digest("e#ann@example.com")]) == {digest("e#ann@example.com")}


def test_lifting_nothing_is_harmless(suppressions: Suppressions) -> None:
    suppressions.suppress([digest("x#u-1")], AT)

    suppressions.lift([])

    assert suppressions.suppressed([digest("x#u-1")]) == {digest("x#u-1")}


def test_more_digests_than_one_batch_read_are_all_answered(suppressions: Suppressions) -> None:
    many = [digest(f"a#anon-{n}") for n in range(230)]
    suppressions.suppress(many[::2], AT)

    assert suppressions.suppressed(many) == set(many[::2])
