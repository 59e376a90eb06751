"""chalicelib.local.moto_dynamodb: a Query on moto costs what it returns, with moto's semantics.

Semantics are checked against moto itself: one scenario of writes and queries (everything a client can
observe, errors included) run on plain moto and again with the adjustment applied, and a property test
comparing every index query with a brute-force answer from Scan. Cost is counted, never timed: how many
items ``Table.query`` is handed to look at.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from moto import mock_aws
from moto.dynamodb.models import dynamodb_backends
from moto.dynamodb.models.table import Table

from chalicelib.local import moto_dynamodb, persistence
from chalicelib.local.aws_server import DEFAULT_ACCOUNT

REGION = "us-east-1"
S = {"AttributeType": "S"}


@pytest.fixture
def dynamodb() -> Iterator[Any]:
    with mock_aws():
        yield boto3.client("dynamodb", region_name=REGION)


@pytest.fixture
def patched() -> Iterator[None]:
    assert moto_dynamodb.apply()
    yield
    moto_dynamodb.revert()


@pytest.fixture
def unpatched() -> Iterator[None]:
    moto_dynamodb.revert()
    yield
    moto_dynamodb.revert()


def create_people(dynamodb: Any, name: str = "people") -> None:
    """pk/sk; by_email (ALL), by_phone (phone + created, KEYS_ONLY), by_tier (INCLUDE), an LSI on score."""
    dynamodb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[{"AttributeName": n, **S} for n in ("pk", "sk", "email", "phone", "created", "tier")]
        + [{"AttributeName": "score", "AttributeType": "N"}],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "by_email",
                "KeySchema": [{"AttributeName": "email", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "ALL"},
            },
            {
                "IndexName": "by_phone",
                "KeySchema": [
                    {"AttributeName": "phone", "KeyType": "HASH"},
                    {"AttributeName": "created", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "KEYS_ONLY"},
            },
            {
                "IndexName": "by_tier",
                "KeySchema": [{"AttributeName": "tier", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["name"]},
            },
        ],
        LocalSecondaryIndexes=[
            {
                "IndexName": "by_score",
                "KeySchema": [
                    {"AttributeName": "pk", "KeyType": "HASH"},
                    {"AttributeName": "score", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
        BillingMode="PAY_PER_REQUEST",
    )


def create_flat(dynamodb: Any, name: str = "flat") -> None:
    """A table without a sort key, with a GSI on email."""
    dynamodb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", **S}, {"AttributeName": "email", **S}],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "by_email",
                "KeySchema": [{"AttributeName": "email", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
        BillingMode="PAY_PER_REQUEST",
    )


def person(pk: str, sk: str, email: str | None = None, **more: Any) -> dict[str, Any]:
    item: dict[str, Any] = {"pk": {"S": pk}, "sk": {"S": sk}}
    if email is not None:
        item["email"] = {"S": email}
    for name, value in more.items():
        item[name] = {"N": str(value)} if isinstance(value, int) else {"S": value}
    return item


def by_email(dynamodb: Any, email: str, table: str = "people", **kwargs: Any) -> list[dict[str, Any]]:
    """Every page of a by_email query."""
    kwargs = {
        "TableName": table,
        "IndexName": "by_email",
        "KeyConditionExpression": "email = :e",
        "ExpressionAttributeValues": {":e": {"S": email}},
        **kwargs,
    }
    found: list[dict[str, Any]] = []
    while True:
        out = dynamodb.query(**kwargs)
        found += out["Items"]
        if "LastEvaluatedKey" not in out:
            return found
        kwargs["ExclusiveStartKey"] = out["LastEvaluatedKey"]


def keys_of(items: list[dict[str, Any]]) -> list[tuple[str, ...]]:
    return [tuple(v["S"] for k, v in sorted(i.items()) if k in ("pk", "sk", "id")) for i in items]


def outcome(call: Any, **kwargs: Any) -> Any:
    """What a client sees of one call: its answer without metadata, or the error's code."""
    try:
        out = call(**kwargs)
    except ClientError as exc:
        return ("error", exc.response["Error"]["Code"])
    out.pop("ResponseMetadata", None)
    return out


def scenario(dynamodb: Any) -> list[Any]:
    """Writes of every kind between queries of every kind; returns everything the queries answered."""
    create_people(dynamodb)
    create_flat(dynamodb)
    seen: list[Any] = []

    def q(**kwargs: Any) -> None:
        seen.append(outcome(dynamodb.query, TableName="people", **kwargs))

    def q_email(email: str, **kwargs: Any) -> None:
        q(
            IndexName="by_email",
            KeyConditionExpression="email = :e",
            ExpressionAttributeValues={":e": {"S": email}, **kwargs.pop("values", {})},
            **kwargs,
        )

    # puts: shared, unique and missing emails (sparse), across several partitions
    for i in range(12):
        email = None if i % 5 == 4 else "shared@x" if i % 3 == 0 else f"u{i}@x"
        dynamodb.put_item(
            TableName="people",
            Item=person(f"c{i % 4}", f"s{i:02}", email, name=f"N{i}", tier="gold" if i % 2 else "iron", score=i),
        )
    for i in range(6):
        dynamodb.put_item(
            TableName="people",
            Item=person(f"p{i}", "profile", phone=f"+1{i % 2}", created=f"2026-0{i + 1}"),
        )
    q_email("shared@x")  # builds the index
    q_email("u1@x")
    q_email("nobody@x")
    q_email("shared@x", ScanIndexForward=False)
    q_email("shared@x", Limit=2)
    q_email("shared@x", Limit=2, ExclusiveStartKey={"pk": {"S": "c0"}, "sk": {"S": "s00"}, "email": {"S": "shared@x"}})
    q_email("shared@x", FilterExpression="score > :min", values={":min": {"N": "3"}})
    q_email("shared@x", ProjectionExpression="pk, #n", ExpressionAttributeNames={"#n": "name"})
    q_email("shared@x", Select="COUNT")
    q_email("shared@x", ConsistentRead=True)  # an error on a GSI, as moto has it
    q(IndexName="nope", KeyConditionExpression="email = :e", ExpressionAttributeValues={":e": {"S": "a"}})
    q(
        IndexName="by_phone",
        KeyConditionExpression="phone = :p AND created > :c",
        ExpressionAttributeValues={":p": {"S": "+10"}, ":c": {"S": "2026-01"}},
    )
    q(IndexName="by_phone", KeyConditionExpression="phone = :p", ExpressionAttributeValues={":p": {"S": "+11"}})
    q(IndexName="by_tier", KeyConditionExpression="tier = :t", ExpressionAttributeValues={":t": {"S": "gold"}})
    q(
        IndexName="by_score",
        KeyConditionExpression="pk = :p AND score BETWEEN :a AND :b",
        ExpressionAttributeValues={":p": {"S": "c1"}, ":a": {"N": "1"}, ":b": {"N": "9"}},
        ScanIndexForward=False,
    )
    q(KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "c2"}})
    q(
        KeyConditionExpression="pk = :p AND begins_with(sk, :s)",
        ExpressionAttributeValues={":p": {"S": "c0"}, ":s": {"S": "s0"}},
        Limit=1,
        ScanIndexForward=False,
    )
    q(KeyConditions={"pk": {"AttributeValueList": [{"S": "c3"}], "ComparisonOperator": "EQ"}})
    q(
        IndexName="by_email",
        KeyConditions={"email": {"AttributeValueList": [{"S": "shared@x"}], "ComparisonOperator": "EQ"}},
    )

    # overwrites that move an item between emails, or out of the index
    dynamodb.put_item(TableName="people", Item=person("c0", "s00", "moved@x", name="N0"))
    dynamodb.put_item(TableName="people", Item=person("c3", "s03", None, name="N3"))
    q_email("shared@x")
    q_email("moved@x")
    # conditional put that fails: nothing changes
    seen.append(
        outcome(
            dynamodb.put_item,
            TableName="people",
            Item=person("c1", "s09", "never@x"),
            ConditionExpression="attribute_not_exists(pk)",
        )
    )
    q_email("never@x")
    # update_item: set, change, remove the indexed attribute; create an item by updating
    dynamodb.update_item(
        TableName="people",
        Key={"pk": {"S": "c1"}, "sk": {"S": "s01"}},
        UpdateExpression="SET email = :e",
        ExpressionAttributeValues={":e": {"S": "moved@x"}},
    )
    dynamodb.update_item(
        TableName="people", Key={"pk": {"S": "c2"}, "sk": {"S": "s06"}}, UpdateExpression="REMOVE email"
    )
    dynamodb.update_item(
        TableName="people",
        Key={"pk": {"S": "c9"}, "sk": {"S": "new"}},
        UpdateExpression="SET email = :e, score = :s",
        ExpressionAttributeValues={":e": {"S": "moved@x"}, ":s": {"N": "99"}},
    )
    dynamodb.update_item(  # the legacy form: AttributeUpdates
        TableName="people",
        Key={"pk": {"S": "c2"}, "sk": {"S": "s02"}},
        AttributeUpdates={"email": {"Value": {"S": "legacy@x"}, "Action": "PUT"}},
    )
    seen.append(
        outcome(  # a failed condition: nothing changes
            dynamodb.update_item,
            TableName="people",
            Key={"pk": {"S": "c1"}, "sk": {"S": "s05"}},
            UpdateExpression="SET email = :e",
            ConditionExpression="attribute_not_exists(pk)",
            ExpressionAttributeValues={":e": {"S": "never@x"}},
        )
    )
    for email in ("shared@x", "moved@x", "legacy@x", "u2@x", "u5@x", "never@x"):
        q_email(email)
    # deletes
    dynamodb.delete_item(TableName="people", Key={"pk": {"S": "c1"}, "sk": {"S": "s01"}})
    dynamodb.delete_item(TableName="people", Key={"pk": {"S": "zz"}, "sk": {"S": "none"}})
    q_email("moved@x")
    # transactions: one that succeeds, one cancelled (rolled back)
    dynamodb.transact_write_items(
        TransactItems=[
            {"Put": {"TableName": "people", "Item": person("t1", "a", "tx@x")}},
            {
                "Update": {
                    "TableName": "people",
                    "Key": {"pk": {"S": "c0"}, "sk": {"S": "s00"}},
                    "UpdateExpression": "SET email = :e",
                    "ExpressionAttributeValues": {":e": {"S": "tx@x"}},
                }
            },
            {"Delete": {"TableName": "people", "Key": {"pk": {"S": "c9"}, "sk": {"S": "new"}}}},
        ]
    )
    q_email("tx@x")
    q_email("moved@x")
    seen.append(
        outcome(
            dynamodb.transact_write_items,
            TransactItems=[
                {"Put": {"TableName": "people", "Item": person("t2", "a", "rolled@x")}},
                {
                    "Update": {
                        "TableName": "people",
                        "Key": {"pk": {"S": "t1"}, "sk": {"S": "a"}},
                        "UpdateExpression": "SET email = :e",
                        "ExpressionAttributeValues": {":e": {"S": "rolled@x"}},
                    }
                },
                {
                    "ConditionCheck": {
                        "TableName": "people",
                        "Key": {"pk": {"S": "c0"}, "sk": {"S": "s00"}},
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                },
            ],
        )
    )
    q_email("rolled@x")
    q_email("tx@x")
    # batch writes: puts and deletes
    dynamodb.batch_write_item(
        RequestItems={
            "people": [{"PutRequest": {"Item": person(f"b{i}", "x", "batch@x", score=i)}} for i in range(5)]
            + [{"DeleteRequest": {"Key": {"pk": {"S": "t1"}, "sk": {"S": "a"}}}}]
        }
    )
    q_email("batch@x", Limit=2)
    q_email("tx@x")
    # a value of another type under the index's attribute name (moto stores it; the query must not see it)
    seen.append(outcome(dynamodb.put_item, TableName="people", Item={**person("w1", "x"), "email": {"N": "5"}}))
    seen.append(outcome(dynamodb.put_item, TableName="people", Item={**person("w2", "x"), "email": {"SS": ["a"]}}))
    q_email("batch@x")
    # PartiQL writes
    seen.append(
        outcome(
            dynamodb.execute_statement, Statement="INSERT INTO people VALUE {'pk': 'q1', 'sk': 'a', 'email': 'ql@x'}"
        )
    )
    seen.append(
        outcome(dynamodb.execute_statement, Statement="UPDATE people SET email='ql2@x' WHERE pk='b0' AND sk='x'")
    )
    q_email("ql@x")
    q_email("ql2@x")
    q_email("batch@x")
    # a GSI added later, on an attribute already indexed for another GSI
    dynamodb.update_table(
        TableName="people",
        AttributeDefinitions=[{"AttributeName": "email", **S}, {"AttributeName": "pk", **S}],
        GlobalSecondaryIndexUpdates=[
            {
                "Create": {
                    "IndexName": "by_email_keys",
                    "KeySchema": [{"AttributeName": "email", "KeyType": "HASH"}],
                    "Projection": {"ProjectionType": "KEYS_ONLY"},
                }
            }
        ],
    )
    q(
        IndexName="by_email_keys",
        KeyConditionExpression="email = :e",
        ExpressionAttributeValues={":e": {"S": "batch@x"}},
    )
    # a table without a sort key
    for i in range(6):
        dynamodb.put_item(TableName="flat", Item={"id": {"S": f"f{i}"}, "email": {"S": f"e{i % 2}@x"}})
    seen.append(by_email(dynamodb, "e0@x", table="flat", Limit=1))
    dynamodb.delete_item(TableName="flat", Key={"id": {"S": "f0"}})
    dynamodb.put_item(TableName="flat", Item={"id": {"S": "f1"}, "email": {"S": "e0@x"}})
    seen.append(by_email(dynamodb, "e0@x", table="flat"))
    seen.append(
        outcome(
            dynamodb.query,
            TableName="flat",
            KeyConditionExpression="id = :i",
            ExpressionAttributeValues={":i": {"S": "f1"}},
        )
    )
    # a table deleted and created again under the same name
    dynamodb.delete_table(TableName="flat")
    create_flat(dynamodb)
    seen.append(by_email(dynamodb, "e0@x", table="flat"))
    dynamodb.put_item(TableName="flat", Item={"id": {"S": "g"}, "email": {"S": "e0@x"}})
    seen.append(by_email(dynamodb, "e0@x", table="flat"))
    # and everything the scan sees, for good measure
    seen.append(sorted(keys_of(dynamodb.scan(TableName="people")["Items"])))
    return seen


def test_every_query_answers_as_on_plain_moto(unpatched):
    with mock_aws():
        without = scenario(boto3.client("dynamodb", region_name=REGION))
    assert moto_dynamodb.apply()
    with mock_aws():
        client = boto3.client("dynamodb", region_name=REGION)
        with_it = scenario(client)
        table = dynamodb_backends[DEFAULT_ACCOUNT][REGION].tables["people"]
        assert moto_dynamodb.indexed(table)  # the index queries went through the adjustment
    assert with_it == without
    assert any(isinstance(s, dict) and s.get("Count", 0) >= 2 for s in without)  # the scenario found things


# --- cost ------------------------------------------------------------------------------------------------


@pytest.fixture
def handed(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many items each ``Table.all_items()`` call answered (what ``query`` then looks at)."""
    sizes: list[int] = []
    current = Table.all_items

    def counted(table: Table) -> list[Any]:
        items = current(table)
        sizes.append(len(items))
        return items

    monkeypatch.setattr(Table, "all_items", counted)
    return sizes


def fill_people(count: int) -> None:
    """``count`` items straight into moto's table (filling through the API is what is slow)."""
    table = dynamodb_backends[DEFAULT_ACCOUNT][REGION].get_table("people")
    for i in range(count):
        table.put_item(person(f"c{i}", "profile", f"u{i}@x", phone=f"+{i}", created="2026"))


def test_without_the_adjustment_an_index_query_looks_at_every_item(dynamodb, unpatched, handed):
    create_people(dynamodb)
    fill_people(500)
    assert keys_of(by_email(dynamodb, "u7@x")) == [("c7", "profile")]
    assert handed == [500]


def test_with_the_adjustment_a_query_looks_at_what_it_may_return(dynamodb, patched, handed):
    create_people(dynamodb)
    fill_people(2000)
    for i in (7, 1999):
        assert keys_of(by_email(dynamodb, f"u{i}@x")) == [(f"c{i}", "profile")]
    phone = dynamodb.query(
        TableName="people",
        IndexName="by_phone",
        KeyConditionExpression="phone = :p",
        ExpressionAttributeValues={":p": {"S": "+5"}},
    )
    own = dynamodb.query(
        TableName="people", KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "c9"}}
    )
    assert (phone["Count"], own["Count"]) == (1, 1)
    assert handed == [1, 1, 1, 1]
    table = dynamodb_backends[DEFAULT_ACCOUNT][REGION].get_table("people")
    assert moto_dynamodb.indexed(table) == {"email": 2000, "phone": 2000}
    assert len(dynamodb.scan(TableName="people")["Items"]) == 2000  # a scan still reads everything
    assert handed[-1] == 2000


def test_writes_to_a_table_nobody_queried_by_index_build_nothing(dynamodb, patched):
    create_people(dynamodb)
    fill_people(50)
    dynamodb.update_item(
        TableName="people",
        Key={"pk": {"S": "c1"}, "sk": {"S": "profile"}},
        UpdateExpression="SET email = :e",
        ExpressionAttributeValues={":e": {"S": "x@x"}},
    )
    assert moto_dynamodb.indexed(dynamodb_backends[DEFAULT_ACCOUNT][REGION].get_table("people")) == {}
    assert keys_of(by_email(dynamodb, "x@x")) == [("c1", "profile")]


# --- snapshots --------------------------------------------------------------------------------------------


def test_a_snapshot_restored_into_a_new_stage_answers_index_queries(patched):
    with mock_aws():
        dynamodb = boto3.client("dynamodb", region_name=REGION)
        create_people(dynamodb)
        for i in range(30):
            dynamodb.put_item(TableName="people", Item=person(f"c{i}", "p", f"e{i % 4}@x", score=i))
        before = {e: keys_of(by_email(dynamodb, e)) for e in ("e0@x", "e1@x", "e3@x")}
        dynamodb.delete_item(TableName="people", Key={"pk": {"S": "c0"}, "sk": {"S": "p"}})
        before["e0@x"].remove(("c0", "p"))
        snapshot = persistence.capture(DEFAULT_ACCOUNT, REGION)
    with mock_aws():  # the next start: a fresh moto, the stage provisioned, then the snapshot restored
        dynamodb = boto3.client("dynamodb", region_name=REGION)
        create_people(dynamodb)
        assert by_email(dynamodb, "e0@x") == []  # indexed while empty
        restored = persistence.restore(snapshot, dynamodb, boto3.client("sqs", region_name=REGION))
        assert restored.items == 29
        after = {e: keys_of(by_email(dynamodb, e)) for e in before}
    assert after == before and len(after["e1@x"]) == 8


# --- a property: every index query agrees with a brute-force Scan ------------------------------------------

PKS = ("a", "b", "c")
SKS = ("1", "2", "3")
EMAILS = ("x@x", "y@x", "z@x")
key_st = st.tuples(st.sampled_from(PKS), st.sampled_from(SKS))
email_st = st.none() | st.sampled_from(EMAILS)
operation_st = st.one_of(
    st.tuples(st.just("put"), key_st, email_st),
    st.tuples(st.just("update"), key_st, email_st),
    st.tuples(st.just("delete"), key_st, st.none()),
    st.tuples(st.just("batch"), st.lists(st.tuples(key_st, email_st), min_size=1, max_size=3), st.none()),
    st.tuples(st.just("transact"), st.lists(st.tuples(key_st, email_st), min_size=1, max_size=3), st.booleans()),
    st.tuples(st.just("query"), st.none(), st.none()),
)


def apply_operation(dynamodb: Any, table: str, operation: tuple[Any, Any, Any]) -> None:
    kind, what, extra = operation
    if kind == "put":
        (pk, sk), email = what, extra
        dynamodb.put_item(TableName=table, Item=person(pk, sk, email))
    elif kind == "update":
        (pk, sk), email = what, extra
        key = {"pk": {"S": pk}, "sk": {"S": sk}}
        if email is None:
            dynamodb.update_item(TableName=table, Key=key, UpdateExpression="REMOVE email")
        else:
            dynamodb.update_item(
                TableName=table,
                Key=key,
                UpdateExpression="SET email = :e",
                ExpressionAttributeValues={":e": {"S": email}},
            )
    elif kind == "delete":
        pk, sk = what
        dynamodb.delete_item(TableName=table, Key={"pk": {"S": pk}, "sk": {"S": sk}})
    elif kind == "batch":
        unique = dict(what)  # a batch may not name a key twice
        dynamodb.batch_write_item(
            RequestItems={table: [{"PutRequest": {"Item": person(pk, sk, e)}} for (pk, sk), e in unique.items()]}
        )
    elif kind == "transact":
        unique = dict(what)
        actions: list[Any] = [
            {"Put": {"TableName": table, "Item": person(pk, sk, e)}} for (pk, sk), e in unique.items()
        ]
        if extra:  # cancelled: a condition that cannot hold, on a key the transaction does not write
            actions.append(
                {
                    "ConditionCheck": {
                        "TableName": table,
                        "Key": {"pk": {"S": "nobody"}, "sk": {"S": "0"}},
                        "ConditionExpression": "attribute_exists(pk)",
                    }
                }
            )
        try:
            dynamodb.transact_write_items(TransactItems=actions)
        except ClientError as exc:
            assert extra and exc.response["Error"]["Code"] == "TransactionCanceledException"


def check_every_email(dynamodb: Any, table: str) -> None:
    """moto orders an index without a sort key by the table's sort key, then its hash key."""
    everything = dynamodb.scan(TableName=table)["Items"]
    for email in EMAILS:
        matching = [i for i in everything if i.get("email") == {"S": email}]
        expected = [(i["pk"]["S"], i["sk"]["S"]) for i in sorted(matching, key=lambda i: (i["sk"]["S"], i["pk"]["S"]))]
        assert keys_of(by_email(dynamodb, email, table=table)) == expected
        assert keys_of(by_email(dynamodb, email, table=table, Limit=1, ScanIndexForward=False)) == expected[::-1]


def test_index_queries_always_agree_with_a_scan(patched):
    with mock_aws():  # one moto for every example, a table of its own each
        dynamodb = boto3.client("dynamodb", region_name=REGION)

        @settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
        @given(operations=st.lists(operation_st, min_size=1, max_size=12))
        def agree(operations: list[tuple[Any, Any, Any]]) -> None:
            table = f"t-{uuid.uuid4().hex[:8]}"
            create_people(dynamodb, table)
            check_every_email(dynamodb, table)  # indexed while empty, kept up to date from here on
            for operation in operations:
                apply_operation(dynamodb, table, operation)
                if operation[0] == "query":
                    check_every_email(dynamodb, table)
            check_every_email(dynamodb, table)
            dynamodb.delete_table(TableName=table)

        agree()


# --- installing -------------------------------------------------------------------------------------------


def test_apply_is_idempotent_and_revert_restores_moto(unpatched):
    from moto.dynamodb.models import DynamoDBBackend

    own = (Table.__dict__["query"], Table.__dict__["put_item"], DynamoDBBackend.__dict__["update_item"])
    assert moto_dynamodb.apply() and moto_dynamodb.apply() and moto_dynamodb.applied()
    assert Table.__dict__["query"] is not own[0]
    moto_dynamodb.revert()
    assert (Table.__dict__["query"], Table.__dict__["put_item"], DynamoDBBackend.__dict__["update_item"]) == own
    assert not moto_dynamodb.applied()


def test_an_unexpected_moto_is_left_alone_with_a_warning(unpatched, monkeypatch, caplog):
    import moto

    monkeypatch.setattr(moto, "__version__", "9.0.0")
    own = Table.__dict__["query"]
    with caplog.at_level(logging.WARNING, logger="orbit.local"):
        assert moto_dynamodb.apply() is False
    assert Table.__dict__["query"] is own
    assert "leaving moto alone" in caplog.text and "9.0.0" in caplog.text
