"""Make a moto DynamoDB Query cost what it returns, not the table (the embedded runtime's tables; never on AWS).

What moto 5.2 does (``moto/dynamodb/models/table.py``):

* ``Table.query`` finds its candidates with ``self.all_items()``: a list of *every* item of the table,
  sorted by the table's keys, built on each call. On an index (GSI or LSI) it then keeps the items whose
  index hash key equals the condition's value; on the table itself, those whose hash key does. Only then
  does it sort, page, filter and project the few that matched.
* So a Query is O(n log n) in the table's size whatever it returns. Orbit's contact import asks the
  ``by_email`` and ``by_phone`` indexes whether another contact already holds an address, twice per new
  contact: each of those costs more with every contact imported (docs/benchmarks.md, Contact imports).

What :func:`apply` changes, and only that (moto is not forked; nothing is copied from it):

* ``Table.query`` is wrapped. When the key condition names a hash key value (on an index: the first of
  its hash key conditions; on the table: the hash key), the wrapper gathers the items that can match and
  runs moto's own ``query`` with ``all_items()`` answering that short list (a thread-local override, so
  another request on the same table, in another of the server's threads, still sees every item). Every
  other step is moto's: which items match (every key condition is checked again, items lacking an index
  key attribute are left out of a sparse index), sorting, ``ScanIndexForward``, ``Limit``,
  ``ExclusiveStartKey``/``LastEvaluatedKey``, the 1 MB page, ``ScannedCount``, projections, filter
  expressions, ``QueryFilter`` and every validation error. The candidates are a superset of what moto
  would keep, sorted as ``all_items()`` sorts, so the answer is the same.
* On the table itself the candidates are ``table.items[hash]``, where moto keeps them anyway.
* On an index they come from :class:`AttributeIndex`: for one attribute of one table, the keys of the items
  holding each value. It is built on the first indexed Query naming that attribute (one pass over the
  table) and kept exact afterwards by wrapping the places moto changes stored items: ``Table.put_item``
  (PutItem, BatchWriteItem, transactions, PartiQL, imports, the item ``UpdateItem`` creates) and
  ``Table.delete_item`` (DeleteItem, batches, transactions, PartiQL), which replace or remove an item, and
  ``DynamoDBBackend.update_item`` (UpdateItem, transactions), which changes a stored item in place. After
  each (whether it succeeded or raised) the item under that key is read again and the attribute indexes
  of its table follow it. An update whose key moto would read some other way drops the table's indexes
  (rebuilt on the next Query). Candidates are always read back from ``table.items`` by key, so an entry
  left behind could only cost a look-up, never put an item into an answer.
* Indexes are kept in a weak dictionary keyed by the ``Table`` object, never stored on it: a table moto
  replaces (a transaction rolled back to its deep copy by moto's own ``transact_write_items``, a restore
  from a backup, a table deleted and created again) is a new object and gets new indexes on its first
  Query; and an index notices when a table's ``items`` dict itself was replaced and rebuilds. Code that
  changes ``table.items`` by hand calls :func:`touched` for each key, as
  :mod:`chalicelib.local.moto_transactions` does when it rolls a transaction back from its undo log (the
  table then stays the same object, and keeps its indexes). Snapshots (:mod:`chalicelib.local.persistence`)
  read ``table.items`` and restore with BatchWriteItem, so they need nothing from here.

Not changed: Scan (it reads every item by definition), GetItem and BatchGetItem (already by key), a
Query on an index whose key condition has no hash key value (moto then reads every item, as before).

:func:`apply` is idempotent and version-guarded: it checks moto's version and the internals it relies on
(``query`` finds its candidates through ``all_items()``; stored items change in place only inside
``update_item``), and when they are not as expected it logs a warning and leaves moto alone (a Query is
then slow on a large table, never wrong). :func:`revert` restores moto's originals (tests use it). Both
forget every index: one built while the wrappers were away could have missed a change.
"""

from __future__ import annotations

import inspect
import logging
import threading
import time
import weakref
from typing import Any

log = logging.getLogger("orbit.local")

TESTED_VERSIONS = ("5.2.",)  # moto major.minor releases whose dynamodb/models this was written against
_lock = threading.Lock()  # apply / revert
_index_lock = threading.RLock()  # building, reading and maintaining the attribute indexes
_local = threading.local()  # .override: (table, candidates) while one query runs in this thread
_originals: dict[str, Any] = {}  # "query" / "all_items" / "put_item" / "delete_item" / "update_item", while applied

Key = tuple[Any, Any]  # (hash key, range key or None): where an item sits in ``table.items``
_LOOSE = object()  # the value an item holds cannot be hashed (a list, a map, a set): a candidate for every query


class AttributeIndex:
    """For one attribute of one table: the keys of the items holding each value (a ``DynamoType``).

    ``buckets`` maps a value to the keys holding it; ``values`` maps a key back to what it holds, so a
    change moves the key out of its old bucket; ``loose`` holds the keys whose value cannot be a dict key
    (moto does not stop an item from holding a map under an index key's name): they are candidates for
    every query, and moto's own check turns them away.
    """

    __slots__ = ("buckets", "loose", "values")

    def __init__(self) -> None:
        self.buckets: dict[Any, set[Key]] = {}
        self.values: dict[Key, Any] = {}
        self.loose: set[Key] = set()

    def set(self, key: Key, value: Any) -> None:
        """``key`` now holds ``value`` (None: not the attribute, or no item there any more)."""
        old = self.values.pop(key, None)
        if old is _LOOSE:
            self.loose.discard(key)
        elif old is not None:
            bucket = self.buckets.get(old)
            if bucket is not None:
                bucket.discard(key)
                if not bucket:
                    del self.buckets[old]
        if value is None:
            return
        try:
            hash(value)
        except TypeError:
            self.loose.add(key)
            self.values[key] = _LOOSE
            return
        from moto.dynamodb.models.dynamo_type import DynamoType

        value = DynamoType(value)  # a copy of its own: a bucket's key must never change under it
        self.buckets.setdefault(value, set()).add(key)
        self.values[key] = value

    def keys(self, value: Any) -> list[Key]:
        """The keys that may hold ``value``: those that do, and the loose ones."""
        return [*self.buckets.get(value, ()), *self.loose]

    def __len__(self) -> int:
        return len(self.values)


class TableIndexes:
    """The attribute indexes of one ``Table`` object, valid while its ``items`` dict is the one they read."""

    __slots__ = ("attributes", "items")

    def __init__(self, items: Any) -> None:
        self.items = items
        self.attributes: dict[str, AttributeIndex] = {}


_indexes: weakref.WeakKeyDictionary[Any, TableIndexes] = weakref.WeakKeyDictionary()


# --- reading moto's tables -----------------------------------------------------------------------------------


def _copy(mapping: dict[Any, Any]) -> list[tuple[Any, Any]] | None:
    """A copy of a dict other threads may be changing (moto serves requests in threads), or None."""
    for _ in range(100):
        try:
            return list(mapping.items())
        except RuntimeError:  # "dictionary changed size during iteration"
            time.sleep(0.001)
    return None


def _stored(table: Any, key: Key) -> Any:
    """The item stored under ``key``, or None; never adds to ``table.items`` (a defaultdict)."""
    from moto.dynamodb.models.dynamo_type import Item

    hash_key, range_key = key
    stored = dict.get(table.items, hash_key)
    if table.range_key_attr is not None:
        stored = dict.get(stored, range_key) if isinstance(stored, dict) else None
    return stored if isinstance(stored, Item) else None


def _every_item(table: Any) -> list[tuple[Key, Any]] | None:
    """Every stored item with its key, or None when the table kept changing while it was read."""
    from moto.dynamodb.models.dynamo_type import Item

    top = _copy(table.items)
    if top is None:
        return None
    found: list[tuple[Key, Any]] = []
    for hash_key, stored in top:
        if table.range_key_attr is None:
            if isinstance(stored, Item):
                found.append(((hash_key, None), stored))
            continue
        if not isinstance(stored, dict):
            continue
        inner = _copy(stored)
        if inner is None:
            return None
        found += [((hash_key, range_key), item) for range_key, item in inner if isinstance(item, Item)]
    return found


def _sorted_like_all_items(items: list[Any]) -> list[Any]:
    """The order ``Table.all_items()`` returns (its own key)."""
    return sorted(items, key=lambda x: (x.hash_key, x.range_key) if x.range_key else x.hash_key)


# --- the attribute indexes ----------------------------------------------------------------------------------


def _attribute_index(table: Any, attribute: str) -> AttributeIndex | None:
    """The index of ``attribute`` in ``table``, built on first use; None when the table would not hold still.

    Called with ``_index_lock`` held. The (empty) index is registered before the table is read: a write
    that lands after the read sees it registered and waits for the lock to update it (:func:`_touched`);
    one that landed before is in what was read.
    """
    indexes = _indexes.get(table)
    if indexes is None or indexes.items is not table.items:
        indexes = _indexes[table] = TableIndexes(table.items)
    index = indexes.attributes.get(attribute)
    if index is not None:
        return index
    index = indexes.attributes[attribute] = AttributeIndex()
    every = _every_item(table)
    if every is None:
        del indexes.attributes[attribute]
        return None
    for key, item in every:
        index.set(key, item.attrs.get(attribute))
    return index


def _touched(table: Any, key: Key | None) -> None:
    """The item under ``key`` may have changed (None: some item did): bring ``table``'s indexes up to date."""
    if table not in _indexes:  # nothing indexed (yet): the first Query reads the table as it then is
        return
    with _index_lock:
        indexes = _indexes.get(table)
        if indexes is None:
            return
        if key is None or indexes.items is not table.items:
            del _indexes[table]
            return
        item = _stored(table, key)
        for attribute, index in indexes.attributes.items():
            index.set(key, item.attrs.get(attribute) if item is not None else None)


def touched(table: Any, key: Key) -> None:
    """The item under ``key`` (``(hash DynamoType, range DynamoType or None)``) in ``table`` was changed by hand,
    not through moto's write methods: bring the table's indexes up to date (cheap when it has none)."""
    _touched(table, key)


def _key_of(table: Any, values: Any) -> Key | None:
    """Where moto stores the item whose key attributes ``values`` (wire JSON) holds; None when it cannot tell."""
    from moto.dynamodb.models.dynamo_type import DynamoType

    try:
        hash_key = DynamoType(values[table.hash_key_attr])
        range_key = DynamoType(values[table.range_key_attr]) if table.range_key_attr is not None else None
    except Exception:  # noqa: BLE001 - a key moto would refuse, or read differently
        return None
    return hash_key, range_key


def _candidates(table: Any, bound: inspect.BoundArguments) -> list[Any] | None:
    """The items ``Table.query`` can keep, in ``all_items()`` order; None: let moto read every item."""
    from moto.dynamodb.models.dynamo_type import Item

    arguments = bound.arguments
    index_name = arguments.get("index_name")
    if not index_name:
        hash_key = arguments.get("hash_key")
        if hash_key is None:
            return None
        stored = dict.get(table.items, hash_key)
        if table.range_key_attr is None:
            return [stored] if isinstance(stored, Item) else []
        if not isinstance(stored, dict):
            return []
        inner = _copy(stored)
        return None if inner is None else _sorted_like_all_items([item for _, item in inner])
    index = next((i for i in table.all_indexes() if i.name == index_name), None)
    conditions = arguments.get("hash_key_conditions") or []
    if index is None or not conditions:
        return None  # moto raises its own error, or reads every item
    attribute, value = conditions[0]
    if attribute not in [k["AttributeName"] for k in index.schema if k["KeyType"] == "HASH"]:
        return None
    with _index_lock:
        attribute_index = _attribute_index(table, attribute)
        if attribute_index is None:
            return None
        keys = attribute_index.keys(value)
        found = [item for item in (_stored(table, key) for key in keys) if item is not None]
    return _sorted_like_all_items(found)


# --- the wrappers -----------------------------------------------------------------------------------------


def _query(self: Any, *args: Any, **kwargs: Any) -> Any:
    original = _originals["query"]
    try:
        bound = _originals["query_signature"].bind(self, *args, **kwargs)
        candidates = _candidates(self, bound)
    except Exception:  # noqa: BLE001 - anything unexpected: moto's own way, and moto's own errors
        candidates = None
    if candidates is None:
        return original(self, *args, **kwargs)
    previous = getattr(_local, "override", None)
    _local.override = (self, candidates)
    try:
        return original(self, *args, **kwargs)
    finally:
        _local.override = previous


def _all_items(self: Any) -> list[Any]:
    override = getattr(_local, "override", None)
    if override is not None and override[0] is self:
        return list(override[1])
    items: list[Any] = _originals["all_items"](self)
    return items


def _put_item(self: Any, item_attrs: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
    try:
        return _originals["put_item"](self, item_attrs, *args, **kwargs)
    finally:
        if self in _indexes:
            key = _key_of(self, item_attrs)
            if key is not None:  # no key: moto refused the item before storing anything
                _touched(self, key)


def _delete_item(self: Any, hash_key: Any, range_key: Any, *args: Any, **kwargs: Any) -> Any:
    try:
        return _originals["delete_item"](self, hash_key, range_key, *args, **kwargs)
    finally:
        if self in _indexes:
            _touched(self, (hash_key, range_key if self.range_key_attr is not None else None))


def _update_item(self: Any, table_name: str, key: Any, *args: Any, **kwargs: Any) -> Any:
    try:
        return _originals["update_item"](self, table_name, key, *args, **kwargs)
    finally:
        table = self.tables.get(table_name)
        if table is None:
            try:
                table = self.get_table(table_name)  # by ARN
            except Exception:  # noqa: BLE001 - no such table: nothing changed
                table = None
        if table is not None and table in _indexes:
            found = _key_of(table, key) if isinstance(key, dict) and table.hash_key_attr in key else None
            _touched(table, found)  # None: moto read the key some other way; forget the table's indexes


# --- installing -------------------------------------------------------------------------------------------


def _source(obj: Any) -> str:
    try:
        return inspect.getsource(obj)
    except (OSError, TypeError):
        return ""


def problems() -> list[str]:
    """Why :func:`apply` would leave this moto alone (empty: it can patch it)."""
    try:
        import moto
        from moto.dynamodb.models import DynamoDBBackend
        from moto.dynamodb.models.table import Table
    except ImportError as exc:
        return [f"moto's DynamoDB cannot be imported ({exc})"]
    found: list[str] = []
    version = getattr(moto, "__version__", "?")
    if not version.startswith(TESTED_VERSIONS):
        found.append(f"moto {version} is not a tested version ({', '.join(v + 'x' for v in TESTED_VERSIONS)})")
    expected_methods: list[tuple[Any, tuple[str, ...]]] = [
        (Table, ("query", "all_items", "all_indexes", "put_item", "delete_item", "get_item")),
        (DynamoDBBackend, ("update_item", "get_table")),
    ]
    for cls, names in expected_methods:
        found += [f"{cls.__name__}.{name} is missing" for name in names if not callable(getattr(cls, name, None))]
    if found:
        return found
    return _signature_problems() + _source_problems() + _probe_problems()


def _signature_problems() -> list[str]:
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.table import Table

    found: list[str] = []
    missing = [
        p
        for p in ("hash_key", "index_name", "hash_key_conditions")
        if p not in inspect.signature(Table.query).parameters
    ]
    if missing:
        found.append(f"Table.query takes no {missing}")
    leading: list[tuple[Any, list[str]]] = [
        (Table.put_item, ["self", "item_attrs"]),
        (Table.delete_item, ["self", "hash_key", "range_key"]),
        (DynamoDBBackend.update_item, ["self", "table_name", "key"]),
    ]
    for function, names in leading:
        if list(inspect.signature(function).parameters)[: len(names)] != names:
            found.append(f"{function.__qualname__} does not take {', '.join(names[1:])} first")
    return found


def _source_problems() -> list[str]:
    """What the wrappers assume of moto's code: ``query`` finds its candidates through ``all_items()``; stored
    items change in place only in ``update_item``, and ``table.items`` only in ``put_item`` / ``delete_item``."""
    from moto.dynamodb import models
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models import table as table_module
    from moto.dynamodb.models.table import Table

    backend_source, table_source = _source(models), _source(table_module)
    if not backend_source or not table_source:
        return ["moto's DynamoDB source cannot be read"]
    found: list[str] = []
    query_source = _source(Table.query)
    if "self.all_items()" not in query_source or "self.items" in query_source:
        found.append("Table.query no longer finds its candidates through self.all_items() alone")
    update_source = _source(DynamoDBBackend.update_item)
    for mutator in ("UpdateExpressionExecutor(", "update_with_attribute_updates("):
        if backend_source.count(mutator) != update_source.count(mutator):
            found.append(f"{mutator[:-1]} is used outside DynamoDBBackend.update_item")
    writers = _source(Table.put_item) + _source(Table.delete_item)
    for mutation in ("self.items[hash_value]", ".pop("):
        if table_source.count(mutation) != writers.count(mutation):
            found.append(f"Table changes items ({mutation!r}) outside put_item / delete_item")
    return found


def _probe_problems() -> list[str]:
    """The instance state relied on, seen on a detached table (never registered with a backend)."""
    from moto.dynamodb.models.dynamo_type import DynamoType, Item
    from moto.dynamodb.models.table import Table

    try:
        hash(DynamoType({"S": "x"}))
        table_class: Any = Table
        probe = table_class(
            "orbit-moto-probe",
            account_id="000000000000",
            region="us-east-1",
            schema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
            attr=[{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "S"}],
        )
        item = Item(DynamoType({"S": "h"}), DynamoType({"S": "r"}), {"pk": {"S": "h"}, "sk": {"S": "r"}})
    except Exception as exc:  # noqa: BLE001 - any surprise means: leave moto alone
        return [f"a probe Table could not be built ({exc!r})"]
    state = {
        "items": isinstance(probe.items, dict),
        "hash_key_attr": probe.hash_key_attr == "pk",
        "range_key_attr": probe.range_key_attr == "sk",
        "Item.attrs": isinstance(item.attrs, dict) and hasattr(item, "hash_key") and hasattr(item, "range_key"),
    }
    return [f"Table.{name} is not as expected" for name, ok in state.items() if not ok]


def applied() -> bool:
    from moto.dynamodb.models.table import Table

    return inspect.getattr_static(Table, "query", None) is _query


def apply() -> bool:
    """Install the wrappers into moto's DynamoDB models (idempotent); False when moto was left alone."""
    with _lock:
        try:
            from moto.dynamodb.models import DynamoDBBackend
            from moto.dynamodb.models.table import Table
        except ImportError:
            log.warning("moto's DynamoDB is not installed; nothing to adjust")
            return False
        if applied():
            return True
        found = problems()
        if found:
            log.warning("moto's DynamoDB internals are not as expected; leaving moto alone: %s", "; ".join(found))
            return False
        with _index_lock:
            _indexes.clear()
        _originals.update(
            query=inspect.getattr_static(Table, "query"),
            query_signature=inspect.signature(Table.query),
            all_items=inspect.getattr_static(Table, "all_items"),
            put_item=inspect.getattr_static(Table, "put_item"),
            delete_item=inspect.getattr_static(Table, "delete_item"),
            update_item=inspect.getattr_static(DynamoDBBackend, "update_item"),
        )
        setattr(Table, "query", _query)  # noqa: B010 - patching a class attribute, on purpose
        setattr(Table, "all_items", _all_items)  # noqa: B010
        setattr(Table, "put_item", _put_item)  # noqa: B010
        setattr(Table, "delete_item", _delete_item)  # noqa: B010
        setattr(DynamoDBBackend, "update_item", _update_item)  # noqa: B010
        return True


def revert() -> None:
    """Put moto's own methods back and forget every index (a no-op when not applied)."""
    with _lock:
        if not _originals:
            return
        from moto.dynamodb.models import DynamoDBBackend
        from moto.dynamodb.models.table import Table

        for name in ("query", "all_items", "put_item", "delete_item"):
            setattr(Table, name, _originals[name])
        setattr(DynamoDBBackend, "update_item", _originals["update_item"])  # noqa: B010
        _originals.clear()
        with _index_lock:
            _indexes.clear()


def indexed(table: Any) -> dict[str, int]:
    """Items indexed per attribute that ``table`` has an index of now (tests and debugging)."""
    with _index_lock:
        indexes = _indexes.get(table)
        return {name: len(index) for name, index in indexes.attributes.items()} if indexes else {}
