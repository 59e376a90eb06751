"""Make moto's DynamoDB writes atomic, and a TransactWriteItems cost what it writes (the embedded runtime's moto;
never on AWS).

What moto 5.2 does (``DynamoDBBackend.transact_write_items`` in ``moto/dynamodb/models/__init__.py``):

* Before anything else it ``copy.deepcopy``-s every table the transaction names, items and all, so that a
  cancelled transaction can put the copies back in place of the tables. A transaction costs the size of
  the tables it names: a segment membership count (one transaction per flip) gets quadratically slower.
* Then, item by item and in order: at most 100 items (``TooManyTransactionsException``), one operation
  per item (``TransactWriteSingleOpException``), one operation per key (``MultipleTransactionsException``);
  it reads the item stored under the key, evaluates the ``ConditionExpression`` on it (a failure is
  ``ConditionalCheckFailed``, with the old item when ``ReturnValuesOnConditionCheckFailure`` is ``ALL_OLD``),
  then writes through the backend's own ``put_item`` / ``delete_item`` / ``update_item``. A validation
  error rolls back and is raised as it is; any other error becomes that item's cancellation reason and the
  next item goes on. At the end, any reason: roll back, ``TransactionCanceledException`` with one reason
  per item. ``ClientRequestToken`` (idempotency) is not read.
* moto's server answers each request in a thread of its own and takes no lock. A write from another
  request while the deep copy walks a table raises ``RuntimeError: dictionary changed size during
  iteration``; a rollback puts back copies taken before other requests' writes, undoing them; two
  transactions, or a transaction and a conditional put, interleave.

What :func:`apply` changes, and only that (moto is not forked):

* A re-entrant write lock (:func:`write_lock`) is held for the whole of every DynamoDB request that writes
  items or replaces tables: the ``DynamoHandler`` methods in :data:`LOCKED` (``PutItem``, ``DeleteItem``,
  ``UpdateItem``, ``BatchWriteItem``, ``TransactWriteItems``, PartiQL, table and backup operations), and
  by the backend's ``transact_write_items`` itself (so callers in the same process get it too). Each such
  request is atomic with respect to every other one, as on DynamoDB. Reads (``GetItem``, ``Query``,
  ``Scan``...) take no lock, as before: one may see a transaction's writes while it runs, including ones
  it then rolls back.
* ``DynamoDBBackend.transact_write_items`` is replaced by the same steps, in the same order, through the
  same moto helpers and exceptions (looked up where moto's method looks them up), with one difference:
  just before an item's write, the item stored under its key (a copy) or its absence goes into an
  :class:`UndoLog`. A rollback puts those back, last first, straight into ``table.items``, and tells
  :func:`chalicelib.local.moto_dynamodb.touched` about each key so its index maps follow (the writes
  themselves went through moto's methods, which it wraps); stream records the transaction added are
  dropped again, as the deep copy did. A transaction costs the items it names, whatever the tables hold.
* Deliberate differences, all in what a failed transaction leaves behind (its answer is moto's): tables
  keep their identity (moto swapped in its copies, so the index maps were rebuilt by the next Query); a
  table named by ARN is rolled back too (moto only copied tables named by name); and a request with two
  operations in one item (``TransactWriteSingleOpException``) rolls back the items before it (moto left
  them written). Idempotency tokens are still ignored, as moto does.

:func:`apply` is idempotent and version-guarded. The lock needs moto 5.2 and the handler methods it wraps;
without them moto is left alone, with a warning. The undo log also needs moto's ``transact_write_items``
to be the very code it mirrors (:data:`KNOWN_TRANSACTIONS`: a fingerprint of its tokens, comments and
layout aside) and the helpers it calls; otherwise moto's own method is kept (under the lock: slow, but no
longer racy), with a warning. :func:`revert` restores moto's originals (tests use it).
"""

from __future__ import annotations

import copy
import functools
import hashlib
import inspect
import io
import logging
import textwrap
import threading
import tokenize
from collections.abc import Callable
from typing import Any

from chalicelib.local import moto_dynamodb

log = logging.getLogger("orbit.local")

TESTED_VERSIONS = ("5.2.",)  # moto major.minor releases whose dynamodb this was written against
# Fingerprints (:func:`fingerprint`) of the ``DynamoDBBackend.transact_write_items`` the undo log mirrors. To
# accept another moto: compare its method with ``_Transaction`` line by line, then add its fingerprint here.
KNOWN_TRANSACTIONS = ("4947eb959933eea9",)  # moto 5.2.5
REQUIRED = ("put_item", "delete_item", "update_item", "batch_write_item", "transact_write_items")
OPTIONAL = (  # also write items, or copy or replace whole tables; locked when moto has them
    "execute_statement",
    "execute_transaction",
    "batch_execute_statement",
    "create_table",
    "update_table",
    "delete_table",
    "create_backup",
    "restore_table_from_backup",
    "restore_table_to_point_in_time",
    "import_table",
)
LOCKED = REQUIRED + OPTIONAL  # the DynamoHandler methods (one per API action) that hold the write lock
_HELPERS = (  # what the mirrored method finds in its module: the exceptions it raises and catches, one helper
    "TooManyTransactionsException",
    "TransactWriteSingleOpException",
    "MultipleTransactionsException",
    "MockValidationException",
    "ConditionalCheckFailed",
    "TransactionCanceledException",
    "get_filter_expression",
)
_BACKEND_METHODS = ("get_table", "get_item", "get_keys_value", "put_item", "delete_item", "update_item")

_lock = threading.Lock()  # apply / revert
_write_lock = threading.RLock()  # held by every DynamoDB write request, and by a transaction
_originals: dict[str, Any] = {}  # handler method name -> moto's; "backend.<name>": the backend's
_state: dict[str, bool] = {"undo_log": False}

Key = tuple[Any, Any]  # (hash key, range key or None): where an item sits in ``table.items``


def write_lock() -> threading.RLock:
    """The lock every DynamoDB write request holds while :func:`apply` is in effect (re-entrant); hold it to
    read a table that must not change meanwhile."""
    return _write_lock


# --- the undo log ---------------------------------------------------------------------------------------------


def _stored(table: Any, key: Key) -> Any:
    """The item stored under ``key``, or None; never adds to ``table.items`` (a defaultdict)."""
    hash_key, range_key = key
    stored = dict.get(table.items, hash_key)
    if table.range_key_attr is not None:
        stored = dict.get(stored, range_key) if isinstance(stored, dict) else None
    return stored


def _restore(table: Any, key: Key, item: Any) -> None:
    """Store ``item`` under ``key`` (None: no item there), as moto's ``Table.put_item`` / ``delete_item`` do."""
    hash_key, range_key = key
    if table.range_key_attr is None:
        if item is None:
            table.items.pop(hash_key, None)
        else:
            table.items[hash_key] = item
        return
    if item is not None:
        table.items[hash_key][range_key] = item
        return
    bucket = dict.get(table.items, hash_key)
    if isinstance(bucket, dict):
        bucket.pop(range_key, None)


class UndoLog:
    """What a transaction's writes replaced: per write, the table, the key and the item stored there before
    (a copy: ``update_item`` changes the stored item in place) or None; and each table's stream length."""

    __slots__ = ("entries", "streams")

    def __init__(self) -> None:
        self.entries: list[tuple[Any, Key, Any]] = []
        self.streams: dict[int, tuple[Any, Any, int]] = {}  # id(table) -> (table, its stream shard, records)

    def record(self, table: Any, key: Key) -> None:
        """Before a write to ``key``: remember what is there."""
        self.entries.append((table, key, copy.deepcopy(_stored(table, key))))
        shard = getattr(table, "stream_shard", None)
        if shard is not None and id(table) not in self.streams:
            self.streams[id(table)] = (table, shard, len(shard.items))

    def rollback(self) -> None:
        """Put back every item recorded, last first, and drop the stream records added since."""
        for table, key, item in reversed(self.entries):
            _restore(table, key, item)
            moto_dynamodb.touched(table, key)
        for table, shard, length in self.streams.values():
            if table.stream_shard is shard:
                del shard.items[length:]
        self.entries.clear()
        self.streams.clear()

    def __len__(self) -> int:
        return len(self.entries)


# --- the transaction ------------------------------------------------------------------------------------------


class _Transaction:
    """moto's ``transact_write_items``, step for step, with an :class:`UndoLog` instead of deep copies.

    ``moto`` is the namespace moto's method runs in (its module's globals): the exceptions and helper are
    the very ones it uses.
    """

    def __init__(self, backend: Any, moto: dict[str, Any]) -> None:
        self.backend = backend
        self.moto = moto
        self.undo = UndoLog()
        self.target_items: set[tuple[str, str]] = set()
        self.original_item: dict[str, Any] | None = None

    def check_unicity(self, table_name: str, key: dict[str, Any]) -> None:
        item = (str(table_name), str(dict(sorted(key.items()))))
        if item in self.target_items:
            raise self.moto["MultipleTransactionsException"]()
        self.target_items.add(item)

    def run(self, transact_items: list[dict[str, Any]]) -> None:
        moto = self.moto
        if len(transact_items) > 100:
            raise moto["TooManyTransactionsException"]()
        errors: list[tuple[str, str, dict[str, Any]] | tuple[None, None, None]] = []  # [(Code, Message, Item)]
        for item in transact_items:
            self.original_item = None
            if len(list(item.keys())) > 1:
                self.undo.rollback()  # moto leaves the items before this one written
                raise moto["TransactWriteSingleOpException"]
            try:
                self.write(item)
                errors.append((None, None, None))
            except (moto["MultipleTransactionsException"], moto["MockValidationException"]):
                self.undo.rollback()
                raise
            except moto["ConditionalCheckFailed"] as e:
                errors.append(("ConditionalCheckFailed", str(e.message), self.original_item))  # type: ignore[arg-type]
            except Exception as e:  # noqa: BLE001 - as moto: any other error is this item's reason
                errors.append((type(e).__name__, str(e), self.original_item))  # type: ignore[arg-type]
        if any(code is not None for code, _, _ in errors):
            self.undo.rollback()
            raise moto["TransactionCanceledException"](errors)

    def write(self, item: dict[str, Any]) -> None:
        """One item: its key once, its condition on the stored item, then (recorded first) its write."""
        backend = self.backend
        op_type, op = next(iter(item.items()))
        if op_type not in {"ConditionCheck", "Put", "Delete", "Update"}:
            raise ValueError("Unsupported transaction operation")

        table_name = op["TableName"]
        condition_expression = op.get("ConditionExpression")
        expression_attribute_names = op.get("ExpressionAttributeNames")
        expression_attribute_values = op.get("ExpressionAttributeValues")
        return_values_on_condition_check_failure = op.get("ReturnValuesOnConditionCheckFailure")

        if op_type == "Put":
            attrs = op["Item"]
            table = backend.get_table(table_name)
            key = {table.hash_key_attr: attrs[table.hash_key_attr]}
            if table.range_key_attr is not None:
                key[table.range_key_attr] = attrs[table.range_key_attr]
        else:
            key = op["Key"]

        self.check_unicity(table_name, key)

        current = backend.get_item(table_name, key)
        if condition_expression is not None:
            condition_op = self.moto["get_filter_expression"](
                condition_expression, expression_attribute_names, expression_attribute_values
            )
            if not condition_op.expr(current):
                if return_values_on_condition_check_failure == "ALL_OLD" and current:
                    self.original_item = current.to_json()["Attributes"]
                raise self.moto["ConditionalCheckFailed"](item=self.original_item)

        if op_type == "ConditionCheck":
            return
        table = backend.get_table(table_name)
        self.undo.record(table, backend.get_keys_value(table, key))  # where get_item just looked
        if op_type == "Put":
            backend.put_item(
                table_name,
                op["Item"],
                condition_expression=condition_expression,
                expression_attribute_names=expression_attribute_names,
                expression_attribute_values=expression_attribute_values,
            )
        elif op_type == "Delete":
            backend.delete_item(
                table_name,
                key,
                condition_expression=condition_expression,
                expression_attribute_names=expression_attribute_names,
                expression_attribute_values=expression_attribute_values,
            )
        else:
            backend.update_item(
                table_name,
                key,
                update_expression=op["UpdateExpression"],
                condition_expression=condition_expression,
                expression_attribute_names=expression_attribute_names,
                expression_attribute_values=expression_attribute_values,
            )


def _transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
    with _write_lock:
        _Transaction(self, _originals["backend.transact_globals"]).run(transact_items)


def _locked(original: Callable[..., Any]) -> Callable[..., Any]:
    """``original`` holding the write lock (a plain function: moto finds a handler's actions by that)."""

    @functools.wraps(original)
    def locked(self: Any, *args: Any, **kwargs: Any) -> Any:
        with _write_lock:
            return original(self, *args, **kwargs)

    return locked


# --- installing -----------------------------------------------------------------------------------------------


def fingerprint(function: Any) -> str:
    """A short hash of ``function``'s tokens (comments, blank lines and indentation width aside); "" when its
    source cannot be read."""
    try:
        source = textwrap.dedent(inspect.getsource(function))
        tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    except (OSError, TypeError, SyntaxError, tokenize.TokenError):
        return ""
    structural = (tokenize.INDENT, tokenize.DEDENT, tokenize.NEWLINE, tokenize.ENDMARKER)
    kept = [
        tokenize.tok_name[t.type] if t.type in structural else t.string
        for t in tokens
        if t.type not in (tokenize.COMMENT, tokenize.NL)
    ]
    return hashlib.sha256("\0".join(kept).encode()).hexdigest()[:16]


def problems() -> list[str]:
    """Why :func:`apply` would leave this moto alone (empty: it can install the write lock)."""
    try:
        import moto
        from moto.dynamodb.models import DynamoDBBackend
        from moto.dynamodb.responses import DynamoHandler
    except ImportError as exc:
        return [f"moto's DynamoDB cannot be imported ({exc})"]
    found: list[str] = []
    version = getattr(moto, "__version__", "?")
    if not version.startswith(TESTED_VERSIONS):
        found.append(f"moto {version} is not a tested version ({', '.join(v + 'x' for v in TESTED_VERSIONS)})")
    for name in REQUIRED:
        if not inspect.isfunction(inspect.getattr_static(DynamoHandler, name, None)):
            found.append(f"DynamoHandler.{name} is missing")
    if not inspect.isfunction(inspect.getattr_static(DynamoDBBackend, "transact_write_items", None)):
        found.append("DynamoDBBackend.transact_write_items is missing")
    return found


def transaction_problems() -> list[str]:
    """Why :func:`apply` would keep moto's own ``transact_write_items`` (empty: the undo log can replace it)."""
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models import table as table_module

    original = inspect.getattr_static(DynamoDBBackend, "transact_write_items", None)
    if not inspect.isfunction(original):
        return ["DynamoDBBackend.transact_write_items is missing"]
    found: list[str] = []
    print_ = fingerprint(original)
    if print_ not in KNOWN_TRANSACTIONS:
        found.append(f"DynamoDBBackend.transact_write_items is not the code mirrored here (fingerprint {print_!r})")
    if list(inspect.signature(original).parameters) != ["self", "transact_items"]:
        found.append("DynamoDBBackend.transact_write_items does not take (transact_items)")
    missing = [name for name in _HELPERS if name not in original.__globals__]
    if missing:
        found.append(f"moto's dynamodb models no longer import {', '.join(missing)}")
    found += [
        f"DynamoDBBackend.{n} is missing" for n in _BACKEND_METHODS if not callable(getattr(DynamoDBBackend, n, None))
    ]
    table_source = _source(table_module)  # the module: moto_dynamodb may have wrapped Table's methods
    stores = (  # where moto's Table.put_item / delete_item put and take items (what ``_restore`` does by hand)
        "self.items[hash_value][range_value] = item",
        "self.items[hash_value] = item",
        "self.items[hash_key].pop(range_key)",
        "self.items.pop(hash_key)",
    )
    found += [f"moto's Table no longer does {statement!r}" for statement in stores if statement not in table_source]
    return found


def _source(obj: Any) -> str:
    try:
        return inspect.getsource(obj)
    except (OSError, TypeError):
        return ""


def applied() -> bool:
    """The undo-log transaction is installed (the write lock then is too)."""
    from moto.dynamodb.models import DynamoDBBackend

    return inspect.getattr_static(DynamoDBBackend, "transact_write_items", None) is _transact_write_items


def locked() -> bool:
    """The write lock is installed."""
    return bool(_originals)


def apply() -> bool:
    """Install the write lock and the undo-log transaction (idempotent). False when moto was left alone, or
    only the lock could be installed (a warning says why)."""
    with _lock:
        try:
            from moto.dynamodb.models import DynamoDBBackend
            from moto.dynamodb.responses import DynamoHandler
        except ImportError:
            log.warning("moto's DynamoDB is not installed; nothing to adjust")
            return False
        if _originals:
            return _state["undo_log"]
        found = problems()
        if found:
            log.warning("moto's DynamoDB internals are not as expected; leaving moto alone: %s", "; ".join(found))
            return False
        not_mirrored = transaction_problems()
        for name in LOCKED:
            original = inspect.getattr_static(DynamoHandler, name, None)
            if inspect.isfunction(original):
                _originals[name] = original
                setattr(DynamoHandler, name, _locked(original))
        transact = inspect.getattr_static(DynamoDBBackend, "transact_write_items")
        _originals["backend.transact_write_items"] = transact
        _originals["backend.transact_globals"] = transact.__globals__
        if not_mirrored:
            log.warning(
                "moto's DynamoDB transactions are not as expected; keeping moto's (copies whole tables), "
                "under the write lock: %s",
                "; ".join(not_mirrored),
            )
            setattr(DynamoDBBackend, "transact_write_items", _locked(transact))  # noqa: B010
        else:
            setattr(DynamoDBBackend, "transact_write_items", _transact_write_items)  # noqa: B010
        _state["undo_log"] = not not_mirrored
        return _state["undo_log"]


def revert() -> None:
    """Put moto's own methods back (a no-op when not applied)."""
    with _lock:
        if not _originals:
            return
        from moto.dynamodb.models import DynamoDBBackend
        from moto.dynamodb.responses import DynamoHandler

        for name in LOCKED:
            if name in _originals:
                setattr(DynamoHandler, name, _originals[name])
        setattr(DynamoDBBackend, "transact_write_items", _originals["backend.transact_write_items"])  # noqa: B010
        _originals.clear()
        _state["undo_log"] = False
