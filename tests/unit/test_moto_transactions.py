"""chalicelib.local.moto_transactions: DynamoDB writes are atomic, and a transaction costs what it writes.

Semantics are checked against moto itself, as ``test_moto_dynamodb.py`` does: scenarios of transactions
(successful and cancelled, every kind of item, errors of every kind) and a property test of random ones,
run on plain moto and again with the adjustments applied (``moto_dynamodb`` and ``moto_transactions``);
everything a client can observe is compared, the state after each transaction included (every item, the
index queries, the item count, the stream). Cost is counted, never timed: how many items a transaction
deep-copies. Concurrency is checked by threads racing on overlapping keys, in process (``mock_aws``) and
through the embedded AWS child (``make run``'s server), against what a serial order gives.
"""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from moto import mock_aws
from moto.dynamodb.models import DynamoDBBackend, dynamodb_backends
from moto.dynamodb.models.dynamo_type import Item

from chalicelib.local import moto_dynamodb, moto_transactions
from chalicelib.local.aws_server import DEFAULT_ACCOUNT, EmbeddedAws

REGION = "us-east-1"
S = {"AttributeType": "S"}
EMAILS = ("a@x", "b@x", "c@x", "moved@x", "new@x", "gone@x")
PEOPLE_ARN = f"arn:aws:dynamodb:{REGION}:{DEFAULT_ACCOUNT}:table/people"


def apply_both() -> None:
    assert moto_dynamodb.apply()
    assert moto_transactions.apply()


def revert_both() -> None:
    moto_transactions.revert()
    moto_dynamodb.revert()


@pytest.fixture
def unpatched() -> Iterator[None]:
    revert_both()
    yield
    revert_both()


@pytest.fixture
def patched() -> Iterator[None]:
    apply_both()
    yield
    revert_both()


@pytest.fixture
def dynamodb() -> Iterator[Any]:
    with mock_aws():
        yield boto3.client("dynamodb", region_name=REGION)


def backend() -> Any:
    return dynamodb_backends[DEFAULT_ACCOUNT][REGION]


def on_plain_moto_and_patched(run: Callable[[Any], Any]) -> tuple[Any, Any]:
    """``run(client)`` in a fresh moto without the adjustments, then in one with them."""
    revert_both()
    with mock_aws():
        plain = run(boto3.client("dynamodb", region_name=REGION))
    apply_both()
    try:
        with mock_aws():
            adjusted = run(boto3.client("dynamodb", region_name=REGION))
    finally:
        revert_both()
    return plain, adjusted


# --- tables and items -------------------------------------------------------------------------------------------


def create_people(dynamodb: Any, name: str = "people") -> None:
    """pk/sk with a GSI on email (ALL)."""
    dynamodb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[{"AttributeName": n, **S} for n in ("pk", "sk", "email")],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "by_email",
                "KeySchema": [{"AttributeName": "email", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
        BillingMode="PAY_PER_REQUEST",
    )


def create_flat(dynamodb: Any, name: str = "flat") -> None:
    """No sort key; a GSI on email; a stream (a rollback drops the records the transaction added)."""
    dynamodb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", **S}, {"AttributeName": "email", **S}],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "by_email",
                "KeySchema": [{"AttributeName": "email", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "KEYS_ONLY"},
            }
        ],
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
        BillingMode="PAY_PER_REQUEST",
    )


def person(pk: str, sk: str, email: str | None = None, **more: Any) -> dict[str, Any]:
    item: dict[str, Any] = {"pk": {"S": pk}, "sk": {"S": sk}}
    if email is not None:
        item["email"] = {"S": email}
    for name, value in more.items():
        item[name] = {"N": str(value)} if isinstance(value, int) else {"S": value}
    return item


def key(pk: str, sk: str) -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"S": sk}}


def put(item: dict[str, Any], table: str = "people", **more: Any) -> dict[str, Any]:
    return {"Put": {"TableName": table, "Item": item, **more}}


def update(k: dict[str, Any], expression: str, table: str = "people", **more: Any) -> dict[str, Any]:
    return {"Update": {"TableName": table, "Key": k, "UpdateExpression": expression, **more}}


def delete(k: dict[str, Any], table: str = "people", **more: Any) -> dict[str, Any]:
    return {"Delete": {"TableName": table, "Key": k, **more}}


def check(k: dict[str, Any], condition: str, table: str = "people", **more: Any) -> dict[str, Any]:
    return {"ConditionCheck": {"TableName": table, "Key": k, "ConditionExpression": condition, **more}}


def set_email(email: str) -> dict[str, Any]:
    return {"ExpressionAttributeValues": {":e": {"S": email}}}


# --- what a client sees ------------------------------------------------------------------------------------------


def outcome(call: Any, **kwargs: Any) -> Any:
    """An answer without metadata, or the error: code, message, cancellation reasons, returned item."""
    try:
        out = call(**kwargs)
    except ClientError as exc:
        error = exc.response["Error"]
        return ("error", error["Code"], error.get("Message"), exc.response.get("CancellationReasons"))
    out.pop("ResponseMetadata", None)
    return out


def by_email(dynamodb: Any, table: str, email: str) -> list[Any]:
    out = dynamodb.query(
        TableName=table,
        IndexName="by_email",
        KeyConditionExpression="email = :e",
        ExpressionAttributeValues={":e": {"S": email}},
    )
    return list(out["Items"])


def stream_events(table: str) -> list[Any]:
    """What the table's stream holds (each record without its id, its time and its size, which counts the time)."""
    shard = backend().get_table(table).stream_shard
    records = [r.record for r in shard.items] if shard else []
    return [
        (
            r["eventName"],
            {k: v for k, v in r["dynamodb"].items() if k not in ("ApproximateCreationDateTime", "SizeBytes")},
        )
        for r in records
    ]


def state(
    dynamodb: Any, people: str = "people", flat: str | None = "flat", emails: tuple[str, ...] = EMAILS
) -> dict[str, Any]:
    """Everything a client can read of the tables (the index: what it holds for each of ``emails``)."""
    seen: dict[str, Any] = {}
    for kind, table in (("people", people), ("flat", flat)):
        if table is None:
            continue
        items = dynamodb.scan(TableName=table)["Items"]
        seen[kind] = sorted(items, key=repr)
        seen[f"{kind} by_email"] = {e: by_email(dynamodb, table, e) for e in emails}
        seen[f"{kind} count"] = dynamodb.describe_table(TableName=table)["Table"]["ItemCount"]
    if flat is not None:
        seen["flat stream"] = stream_events(flat)
    return seen


# --- the same answers as moto -------------------------------------------------------------------------------------

SCENARIO: list[tuple[str, list[dict[str, Any]]]] = [
    (
        "mixed, succeeds",
        [
            put(person("n1", "a", "new@x", n=1)),
            update(key("c0", "0"), "SET email = :e", **set_email("moved@x")),
            delete(key("c1", "0")),
            check(key("c2", "0"), "attribute_exists(pk)"),
            put({"id": {"S": "f9"}, "email": {"S": "new@x"}}, table="flat"),
        ],
    ),
    (
        "mixed, the last condition fails: all rolled back",
        [
            put(person("n2", "a", "new@x")),  # a new item
            put(person("c2", "0", "gone@x", n=7)),  # an item replaced
            update(  # changed in place
                key("c3", "0"),
                "SET email = :e, n = n + :one",
                ExpressionAttributeValues={":e": {"S": "moved@x"}, ":one": {"N": "1"}},
            ),
            delete(key("c4", "0")),
            update(key("n3", "z"), "SET email = :e", **set_email("new@x")),  # created by an update
            delete({"id": {"S": "f1"}}, table="flat"),
            check(key("c5", "0"), "attribute_not_exists(pk)"),
        ],
    ),
    (
        "the first condition fails, with ALL_OLD; the others go on and are rolled back",
        [
            put(
                person("c0", "0", "b@x"),
                ConditionExpression="attribute_not_exists(pk)",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            ),
            update(key("n4", "a"), "SET email = :e", **set_email("new@x")),
            delete(key("c6", "0"), ConditionExpression="attribute_exists(pk)"),
        ],
    ),
    (
        "several reasons, with and without ALL_OLD",
        [
            update(
                key("c2", "0"),
                "SET email = :e",
                ConditionExpression="email = :nobody",
                ExpressionAttributeValues={":e": {"S": "x@x"}, ":nobody": {"S": "nobody"}},
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            ),
            delete(key("c7", "0"), ConditionExpression="attribute_not_exists(pk)"),
            delete(
                key("nobody", "0"),
                ConditionExpression="attribute_exists(pk)",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            ),
            check(key("c8", "0"), "n > :big", ExpressionAttributeValues={":big": {"N": "100"}}),
            put(person("n5", "a", "new@x")),
        ],
    ),
    (
        "conditions that hold, on every kind",
        [
            put(
                person("c8", "0", "c@x", n=80),
                ConditionExpression="attribute_exists(pk) AND n = :n",
                ExpressionAttributeValues={":n": {"N": "8"}},
            ),
            update(key("c9", "0"), "REMOVE email", ConditionExpression="email = :e", **set_email("a@x")),
            delete(
                key("c10", "0"),
                ConditionExpression="begins_with(email, :b)",
                ExpressionAttributeValues={":b": {"S": "b"}},
            ),
            check({"id": {"S": "f2"}}, "attribute_exists(id)", table="flat"),
        ],
    ),
    (
        "an update fails validation after a put: ValidationException, rolled back",
        [
            put(person("n6", "a", "new@x")),
            update(key("c11", "0"), "SET n = n + :one", ExpressionAttributeValues={":one": {"S": "x"}}),
        ],
    ),
    (
        "one key twice: ValidationException after the first write, rolled back",
        [
            put(person("n7", "a", "new@x")),
            update(key("c12", "0"), "SET email = :e", **set_email("moved@x")),
            delete(key("c12", "0")),
        ],
    ),
    ("more than 100 items", [put(person(f"m{i}", "a")) for i in range(101)]),
    (
        "a table that does not exist: a cancellation reason",
        [put(person("n8", "a", "new@x")), delete({"id": {"S": "x"}}, table="nowhere")],
    ),
    (
        "a key of the wrong shape: ValidationException",
        [put(person("n9", "a", "new@x")), delete({"pk": {"S": "c13"}})],
    ),
    (
        "both tables, cancelled by a check on the other",
        [
            put({"id": {"S": "f3"}, "email": {"S": "moved@x"}}, table="flat"),
            update({"id": {"S": "f4"}}, "SET email = :e", table="flat", **set_email("new@x")),
            delete(key("c14", "0")),
            check({"id": {"S": "nobody"}}, "attribute_exists(id)", table="flat"),
        ],
    ),
    (
        "an update that removes the index key, then a failed check",
        [
            update(key("c15", "0"), "REMOVE email"),
            update(key("c16", "0"), "SET email = :e", **set_email("gone@x")),
            check(key("c17", "0"), "email = :e", **set_email("nobody@x")),
        ],
    ),
    (
        "one item named twice, by name and by ARN (moto does not see it twice), then a failed check",
        [
            update(key("c18", "0"), "SET email = :e", **set_email("moved@x")),
            put(person("c18", "0", "new@x"), table=PEOPLE_ARN),
            check(key("c19", "0"), "attribute_not_exists(pk)"),
        ],
    ),
    (
        "the rolled-back items are there again: delete them for real",
        [delete(key("c3", "0")), delete(key("c4", "0")), delete({"id": {"S": "f1"}}, table="flat")],
    ),
]


def fill(dynamodb: Any) -> None:
    create_people(dynamodb)
    create_flat(dynamodb)
    for i in range(20):
        dynamodb.put_item(TableName="people", Item=person(f"c{i}", "0", ("a@x", "b@x", "c@x")[i % 3], n=i))
    dynamodb.put_item(TableName="people", Item=person("c1", "1", "a@x"))  # a second item under c1
    for i in range(6):
        dynamodb.put_item(TableName="flat", Item={"id": {"S": f"f{i}"}, "email": {"S": ("a@x", "b@x")[i % 2]}})


def run_scenario(dynamodb: Any) -> list[Any]:
    fill(dynamodb)
    seen: list[Any] = [state(dynamodb)]  # the index maps are built here, before any transaction
    for name, actions in SCENARIO:
        seen.append((name, outcome(dynamodb.transact_write_items, TransactItems=actions)))
        seen.append(state(dynamodb))
    return seen


def test_every_transaction_answers_and_leaves_what_it_does_on_plain_moto(unpatched):
    plain, adjusted = on_plain_moto_and_patched(run_scenario)
    assert adjusted == plain
    outcomes = dict(o for o in plain if isinstance(o, tuple))
    assert not isinstance(outcomes["mixed, succeeds"], tuple)  # the scenario covers what it says
    assert outcomes["mixed, the last condition fails: all rolled back"][1] == "TransactionCanceledException"
    reasons = outcomes["the first condition fails, with ALL_OLD; the others go on and are rolled back"][3]
    assert reasons[0]["Code"] == "ConditionalCheckFailed" and reasons[0]["Item"]["email"] == {"S": "moved@x"}
    assert [r["Code"] for r in outcomes["several reasons, with and without ALL_OLD"][3]] == [
        "ConditionalCheckFailed",
        "ConditionalCheckFailed",
        "ConditionalCheckFailed",
        "ConditionalCheckFailed",
        "None",
    ]
    assert outcomes["one key twice: ValidationException after the first write, rolled back"][1] == "ValidationException"
    assert outcomes["a table that does not exist: a cancellation reason"][3][1]["Code"] == "ResourceNotFoundException"
    assert plain[2] != plain[0] and plain[4] == plain[2]  # the first committed, the second left it as it was


def test_a_rollback_keeps_the_table_and_its_index_maps(dynamodb, patched):
    fill(dynamodb)
    table = backend().get_table("people")
    assert [i["pk"]["S"] for i in by_email(dynamodb, "people", "b@x")]  # builds the email index
    maps = moto_dynamodb.indexed(table)
    assert maps == {"email": 21}
    before = state(dynamodb)
    for _name, actions in SCENARIO[1:4]:  # cancelled ones
        with pytest.raises(ClientError):
            dynamodb.transact_write_items(TransactItems=actions)
    assert backend().get_table("people") is table  # moto put a copy in its place
    assert moto_dynamodb.indexed(table) == maps  # kept up to date, not rebuilt
    assert state(dynamodb) == before


# --- a property: random transactions answer as on plain moto ------------------------------------------------------

PKS = ("a", "b", "c")
key_st = st.tuples(st.sampled_from(PKS), st.sampled_from(("1", "2")))
email_st = st.none() | st.sampled_from(EMAILS[:3])
condition_st = st.sampled_from((None, "attribute_exists(pk)", "attribute_not_exists(pk)", "email = :c"))
operation_st = st.tuples(
    st.sampled_from(("Put", "Update", "Delete", "ConditionCheck")),
    key_st,
    email_st,
    condition_st,
    st.booleans(),  # ReturnValuesOnConditionCheckFailure=ALL_OLD
)


def action(
    table: str, kind: str, pk_sk: tuple[str, str], email: str | None, condition: str | None, old: bool
) -> dict[str, Any]:
    k = key(*pk_sk)
    more: dict[str, Any] = {}
    values: dict[str, Any] = {}
    if condition:
        more["ConditionExpression"] = condition
        if ":c" in condition:
            values[":c"] = {"S": "a@x"}
    if old:
        more["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"
    if kind == "Put":
        built = put(person(*pk_sk, email), table, **more)
    elif kind == "Update":
        if email is None:
            built = update(k, "REMOVE email", table, **more)
        else:
            values[":e"] = {"S": email}
            built = update(k, "SET email = :e", table, **more)
    elif kind == "Delete":
        built = delete(k, table, **more)
    else:
        more.pop("ConditionExpression", None)
        built = check(k, condition or "attribute_exists(pk)", table, **more)
    if values:
        next(iter(built.values()))["ExpressionAttributeValues"] = values
    return built


def test_random_transactions_answer_as_on_plain_moto(unpatched):
    with mock_aws():  # one moto, tables of their own for each example and side
        dynamodb = boto3.client("dynamodb", region_name=REGION)

        def run(transactions: list[list[Any]], side: str) -> list[Any]:
            people = f"people-{side}"
            create_people(dynamodb, people)
            for pk in PKS:
                dynamodb.put_item(TableName=people, Item=person(pk, "1", "a@x"))
            seen: list[Any] = [state(dynamodb, people, None, EMAILS[:3])]
            for operations in transactions:
                actions = [action(people, *operation) for operation in operations]
                seen.append(outcome(dynamodb.transact_write_items, TransactItems=actions))
                seen.append(state(dynamodb, people, None, EMAILS[:3]))
            dynamodb.delete_table(TableName=people)
            return seen

        @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
        @given(transactions=st.lists(st.lists(operation_st, min_size=1, max_size=5), min_size=1, max_size=6))
        def agree(transactions: list[list[Any]]) -> None:
            revert_both()
            plain = run(transactions, "plain")
            apply_both()
            try:
                adjusted = run(transactions, "adjusted")
            finally:
                revert_both()
            assert adjusted == plain

        agree()


# --- where the rollback differs from moto's, on purpose -----------------------------------------------------------


def test_a_table_named_by_its_arn_is_rolled_back_too(dynamodb, patched):
    fill(dynamodb)
    arn = dynamodb.describe_table(TableName="people")["Table"]["TableArn"]
    before = state(dynamodb)
    with pytest.raises(ClientError) as caught:
        dynamodb.transact_write_items(
            TransactItems=[
                put(person("n1", "a", "new@x"), table=arn),
                check(key("c0", "0"), "attribute_not_exists(pk)"),
            ]
        )
    assert caught.value.response["Error"]["Code"] == "TransactionCanceledException"
    assert state(dynamodb) == before  # moto copied only tables named by name: n1 stayed


def test_two_operations_in_one_item_roll_back_the_items_before_it(dynamodb, patched):
    fill(dynamodb)
    before = state(dynamodb)
    both = {**put(person("n2", "a")), **delete(key("c0", "0"))}
    with pytest.raises(ClientError) as caught:
        dynamodb.transact_write_items(TransactItems=[put(person("n1", "a", "new@x")), both])
    assert caught.value.response["Error"]["Code"] == "ValidationException"  # as moto answers
    assert state(dynamodb) == before  # moto left n1 written


# --- cost ---------------------------------------------------------------------------------------------------------


@pytest.fixture
def copies(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """One entry per item deep-copied (``Item.__deepcopy__``)."""
    counted: list[int] = []
    own = Item.__deepcopy__

    def copying(item: Item, memo: dict[int, Any]) -> Item:
        counted.append(1)
        return own(item, memo)

    monkeypatch.setattr(Item, "__deepcopy__", copying)
    return counted


def items_copied_per_transaction(dynamodb: Any, copies: list[int], size: int) -> tuple[int, int]:
    """Items copied by one committed and one cancelled transaction on a table of ``size`` items."""
    name = f"people{size}"
    create_people(dynamodb, name)
    table = backend().get_table(name)
    for i in range(size):
        table.put_item(person(f"c{i}", "0", f"u{i}@x", n=i))
    by_email(dynamodb, name, "u1@x")  # with its index maps, as the runtime has them
    counter = update(key("c1", "0"), "SET n = n + :one", table=name, ExpressionAttributeValues={":one": {"N": "1"}})
    copies.clear()
    dynamodb.transact_write_items(TransactItems=[put(person("flip", "1", "in@x"), table=name), counter])
    committed = len(copies)
    copies.clear()
    with pytest.raises(ClientError):
        dynamodb.transact_write_items(
            TransactItems=[
                put(person("flip", "2", "in@x"), table=name),
                counter,
                check(key("nobody", "0"), "attribute_exists(pk)", table=name),
            ]
        )
    return committed, len(copies)


def test_a_transaction_costs_what_it_writes_not_the_table(dynamodb, patched, copies):
    small = items_copied_per_transaction(dynamodb, copies, 10)
    large = items_copied_per_transaction(dynamodb, copies, 5000)
    assert large == small
    assert max(small) <= 6  # the undo log's copies, and moto's own copy of an updated item


def test_without_the_adjustment_a_transaction_copies_the_whole_table(dynamodb, unpatched, copies):
    committed, cancelled = items_copied_per_transaction(dynamodb, copies, 500)
    assert committed >= 500 and cancelled >= 500


# --- concurrency ----------------------------------------------------------------------------------------------------

INCREMENTERS, INCREMENTS, CLAIMERS, SLOTS, DOOMED, TALLIERS, WRITERS = 4, 8, 2, 24, 2, 2, 2
TALLIES = 60  # plain UpdateItem increments per tallier


def code(exc: ClientError) -> str:
    return str(exc.response["Error"]["Code"])


class Race:
    """Threads on overlapping keys: counter increments by transactions (a version condition, retried), conditional
    puts claiming slots, plain UpdateItem increments of a tally, transactions that are always cancelled after writing
    over all of those, plain puts of new items (the table grows while others copy or read it)."""

    def __init__(self, make_client: Callable[[], Any]) -> None:
        self.make_client = make_client
        self.roles = [self.increment] * INCREMENTERS + [self.claim] * CLAIMERS + [self.doom] * DOOMED
        self.roles += [self.tally] * TALLIERS + [self.write] * WRITERS
        self.start = threading.Barrier(len(self.roles))
        self.failures: list[BaseException] = []
        self.wins: dict[int, list[int]] = {}

    def run(self) -> dict[tuple[str, str], Any]:
        """Every role in a thread of its own, started together; then every item stored, by key."""
        setup = self.make_client()
        create_people(setup)
        for i in range(200):  # something to copy, for a moto that copies tables
            setup.put_item(TableName="people", Item=person(f"c{i}", "0", f"u{i % 20}@x"))
        setup.put_item(TableName="people", Item=person("counter", "0", n=0))
        setup.put_item(TableName="people", Item=person("tally", "0", n=0))
        by_email(setup, "people", "u1@x")  # the index maps, kept up to date from here on
        threads = [threading.Thread(target=self.guarded, args=(work, me)) for me, work in enumerate(self.roles)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=300)
        assert not self.failures, self.failures
        items: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {"TableName": "people"}
        while True:
            page = setup.scan(**kwargs)
            items += page["Items"]
            if "LastEvaluatedKey" not in page:
                return {(i["pk"]["S"], i["sk"]["S"]): i for i in items}
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def guarded(self, work: Callable[[int], None], me: int) -> None:
        try:
            work(me)
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            self.failures.append(exc)

    def increment(self, me: int) -> None:
        """Read the counter, then add one on the condition that it did not change, and log the value; retry."""
        client = self.make_client()
        self.start.wait()
        for i in range(INCREMENTS):
            while True:
                seen = client.get_item(TableName="people", Key=key("counter", "0"), ConsistentRead=True)["Item"]["n"]
                after = {"N": str(int(seen["N"]) + 1)}
                counter = update(
                    key("counter", "0"),
                    "SET n = :next",
                    ConditionExpression="n = :seen",
                    ExpressionAttributeValues={":next": after, ":seen": seen},
                )
                log = put({**key("log", f"{me}-{i}"), "n": after}, ConditionExpression="attribute_not_exists(pk)")
                try:
                    client.transact_write_items(TransactItems=[counter, log])
                    break
                except ClientError as exc:
                    if code(exc) != "TransactionCanceledException":
                        raise

    def claim(self, me: int) -> None:
        """Claim every slot with a conditional put; note the ones won."""
        client = self.make_client()
        self.start.wait()
        mine = self.wins.setdefault(me, [])
        for slot in range(SLOTS):
            try:
                client.put_item(
                    TableName="people",
                    Item=person("slot", f"{slot:02}", owner=str(me)),
                    ConditionExpression="attribute_not_exists(pk)",
                )
                mine.append(slot)
            except ClientError as exc:
                if code(exc) != "ConditionalCheckFailedException":
                    raise

    def doom(self, me: int) -> None:
        """Transactions that write over the counter, a slot, the tally and more, then fail their last check."""
        client = self.make_client()
        self.start.wait()
        for i in range(SLOTS):
            with pytest.raises(ClientError) as caught:
                client.transact_write_items(
                    TransactItems=[
                        put(person("doomed", f"{me}-{i}", "u1@x")),
                        put(person("slot", f"{i:02}", owner="doomed")),
                        update(key(f"c{i}", "0"), "SET email = :e", **set_email("doomed@x")),
                        update(key("counter", "0"), "SET n = :n", ExpressionAttributeValues={":n": {"N": "-1"}}),
                        update(key("tally", "0"), "ADD n :many", ExpressionAttributeValues={":many": {"N": "1000"}}),
                        check(key("nobody", "0"), "attribute_exists(pk)"),
                    ]
                )
            assert code(caught.value) == "TransactionCanceledException"

    def tally(self, me: int) -> None:
        client = self.make_client()
        self.start.wait()
        for _ in range(TALLIES):
            client.update_item(
                TableName="people",
                Key=key("tally", "0"),
                UpdateExpression="ADD n :one",
                ExpressionAttributeValues={":one": {"N": "1"}},
            )

    def write(self, me: int) -> None:
        client = self.make_client()
        self.start.wait()
        for i in range(30):
            client.put_item(TableName="people", Item=person(f"w{me}-{i}", "0", f"w{me}@x"))


def race(make_client: Callable[[], Any]) -> None:
    """Run a :class:`Race`; the state must then be what some serial order of the successful requests gives."""
    race = Race(make_client)
    stored = race.run()
    total = INCREMENTERS * INCREMENTS
    assert stored[("counter", "0")]["n"] == {"N": str(total)}  # no increment lost, none undone
    assert stored[("tally", "0")]["n"] == {"N": str(TALLIERS * TALLIES)}
    assert sorted(int(i["n"]["N"]) for (pk, _), i in stored.items() if pk == "log") == list(range(1, total + 1))
    owners = {int(i["sk"]["S"]): int(i["owner"]["S"]) for (pk, _), i in stored.items() if pk == "slot"}
    assert owners == {slot: me for me, slots in race.wins.items() for slot in slots}  # each claimed exactly once
    assert len(owners) == SLOTS
    assert not [k for k in stored if k[0] == "doomed"]
    assert not [k for k, i in stored.items() if i.get("email") == {"S": "doomed@x"}]
    assert sum(1 for k in stored if k[0].startswith("w")) == WRITERS * 30
    client = make_client()
    for email in ("u1@x", "doomed@x", *(f"w{me}@x" for me in range(len(race.roles)))):
        expected = sorted(k for k, i in stored.items() if i.get("email") == {"S": email})
        assert sorted((i["pk"]["S"], i["sk"]["S"]) for i in by_email(client, "people", email)) == expected


def test_racing_writers_end_as_some_serial_order_would(patched):
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)  # threads take turns far more often: races show up
    try:
        with mock_aws():
            race(lambda: boto3.client("dynamodb", region_name=REGION))
    finally:
        sys.setswitchinterval(interval)


@pytest.fixture(scope="module")
def embedded() -> Iterator[EmbeddedAws]:
    server = EmbeddedAws().start()
    yield server
    server.stop()


def test_racing_writers_through_the_embedded_aws(embedded):
    config = Config(retries={"total_max_attempts": 1}, max_pool_connections=4)  # an error 500 is not retried away

    def make_client() -> Any:
        return boto3.client(
            "dynamodb",
            endpoint_url=embedded.url,
            region_name=REGION,
            aws_access_key_id="local",
            aws_secret_access_key="local",
            config=config,
        )

    race(make_client)


# --- installing -----------------------------------------------------------------------------------------------------


def test_apply_is_idempotent_and_revert_restores_moto(unpatched):
    from moto.dynamodb.responses import DynamoHandler

    own = (DynamoDBBackend.__dict__["transact_write_items"], DynamoHandler.__dict__["put_item"])
    assert moto_transactions.apply() and moto_transactions.apply()
    assert moto_transactions.applied() and moto_transactions.locked()
    assert DynamoDBBackend.__dict__["transact_write_items"] is not own[0]
    assert DynamoHandler.__dict__["put_item"] is not own[1]
    moto_transactions.revert()
    assert (DynamoDBBackend.__dict__["transact_write_items"], DynamoHandler.__dict__["put_item"]) == own
    assert not moto_transactions.applied() and not moto_transactions.locked()


def test_an_unexpected_moto_is_left_alone_with_a_warning(unpatched, monkeypatch, caplog):
    import moto
    from moto.dynamodb.responses import DynamoHandler

    monkeypatch.setattr(moto, "__version__", "9.0.0")
    own = DynamoHandler.__dict__["put_item"]
    with caplog.at_level(logging.WARNING, logger="orbit.local"):
        assert moto_transactions.apply() is False
    assert DynamoHandler.__dict__["put_item"] is own and not moto_transactions.locked()
    assert "leaving moto alone" in caplog.text and "9.0.0" in caplog.text


def test_another_transaction_method_is_kept_but_locked(unpatched, monkeypatch, caplog, dynamodb):
    monkeypatch.setattr(moto_transactions, "KNOWN_TRANSACTIONS", ())
    with caplog.at_level(logging.WARNING, logger="orbit.local"):
        assert moto_transactions.apply() is False
    assert moto_transactions.locked() and not moto_transactions.applied()
    assert "keeping moto's" in caplog.text and "fingerprint" in caplog.text
    create_people(dynamodb)
    dynamodb.transact_write_items(TransactItems=[put(person("a", "1"))])  # moto's own, under the lock
    assert dynamodb.get_item(TableName="people", Key=key("a", "1"))["Item"] == person("a", "1")


def test_the_known_fingerprint_is_this_motos(unpatched):
    from moto.dynamodb.models import DynamoDBBackend as Backend

    assert moto_transactions.fingerprint(Backend.transact_write_items) in moto_transactions.KNOWN_TRANSACTIONS
    assert moto_transactions.problems() == [] and moto_transactions.transaction_problems() == []
