"""govbot's state in one DynamoDB table: findings and their decisions, and the audit log.

Key schema (single-table design):

| item     | pk                                              | sk                     |
|----------|-------------------------------------------------|------------------------|
| finding  | ``FINDING#<finding_id>``                        | ``FINDING``            |
| audit    | ``AUDIT#<account>#<region>#<type>#<resource_id>`` | ``<iso time>#<action>#<phase>`` |
| clock    | ``CLOCKS#<account>#<region>``                   | ``<type>#<resource_id>`` |
| once     | ``UNREADABLE#…`` (alerts kept raw)              | ``ONCE``               |
| idempotency | ``IDEMPOTENCY#remediate``, ``IDEMPOTENCY#budget`` (Powertools) | the hashed key |

Index ``by-state`` (gsi1pk ``STATE#<state>#<shard>``, gsi1sk ``<detector>#<finding_id>``) lists
findings in a state, its partition key split over 8 shards by the finding id; index
``by-scope`` (gsi2pk ``SCOPE#<account>#<region>#<detector>``, gsi2sk ``<finding_id>``) lists
what one detector found in one region. Audit items never expire.

Every change of a finding is a conditional write on the version it read (``Store.update``):
two approvals, two clicks or two overlapping runs end with one action, and a write that loses
a race re-applies its change to the winner's version instead of failing.
"""

from __future__ import annotations

import json
import logging
import zlib
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

from govbot.aws import AwsClients
from govbot.cycle.contracts import STICKY, AuditRecord, Saving, State, StoredFinding
from govbot.cycle.models import Finding
from govbot.pricing.price_list import RegionPrices

log = logging.getLogger(__name__)

DEFAULT_TABLE = "govbot"
STATE_INDEX = "by-state"
SCOPE_INDEX = "by-scope"
# DynamoDB permissions the store uses, for the template test; what records a sweep also
# sets its sweep marks.
PERMISSIONS = ("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query")
SWEEP_PERMISSIONS = (*PERMISSIONS, "dynamodb:UpdateItem")
# The shape of the table this govbot writes (state/migrations.py brings older ones up to it).
# 1: tables written before govbot recorded a version. 3: findings stored deflated. 4: the
# by-state index's partition key sharded.
SCHEMA_VERSION = 4
# A finding's by-state partition key is one of 8 by the last hex digit of its id: every
# finding of a first night is open, and one index partition takes 1,000 writes a second
# (a throttled index write fails the table write too: "Understanding DynamoDB warm
# throughput in different scenarios", DynamoDB Developer Guide); 8 take more than a new
# index's 4,000. Readers ask each shard.
STATE_SHARDS = 8
SCHEMA_PK = "SCHEMA"
# How often a write that lost a race to another writer is tried again on the winner's version.
RACE_ATTEMPTS = 5
SAVINGS_PK = "SAVINGS"
# Findings a sweep still reports keep these states (the others end a cycle).
STANDING = STICKY


# What a digest reads of a finding: botocore parses every attribute of every item it is
# given, about half of an organisation digest's time, so the rest stay in the table.
BRIEF = ("finding", "state", "first_seen", "last_seen", "version")

# The table's TTL attribute: only once-only keys carry it, so nothing else ever expires.
EXPIRES_AT = "expires_at"


class AuditConflict(RuntimeError):
    """An audit record with the same key and other content: the log is never rewritten."""


class StateConflict(Exception):
    """The finding was not in a state the change allows (someone else moved it first).
    ``found`` is the finding as it was read when the change was refused (None: no such one)."""

    def __init__(self, finding_id: str, found: StoredFinding | None, wanted: str) -> None:
        self.found = found
        where = f"is {found.state.value}" if found else "does not exist"
        if found and found.decided_by:
            where += f" (decided by {found.decided_by})"
        super().__init__(f"finding {finding_id} {where}: cannot {wanted}")


def audit_pk(account_id: str, region: str, resource_type: str, resource_id: str) -> str:
    return f"AUDIT#{account_id}#{region}#{resource_type}#{resource_id}"


_ser, _de = TypeSerializer(), TypeDeserializer()


def _to_item(values: dict[str, Any]) -> dict[str, Any]:
    return {k: _ser.serialize(v) for k, v in values.items() if v is not None}


def _from_item(item: dict[str, Any]) -> dict[str, Any]:
    return {k: _de.deserialize(v) for k, v in item.items()}


def _pack(finding: Finding) -> bytes:
    """A finding as stored: its JSON deflated. Findings' items were 1.0 to 1.6 KB, two write
    units each for the table and for each of its two indexes (which project every
    attribute); deflated they are 0.6 to 1.0 KB, one each: half a first night's writes."""
    return zlib.compress(finding.model_dump_json().encode())


def _unpack(stored: Any) -> Finding:
    """A stored finding, deflated (schema 3) or as the JSON text older govbots wrote."""
    if isinstance(stored, str):
        return Finding.model_validate_json(stored)
    return Finding.model_validate_json(zlib.decompress(bytes(getattr(stored, "value", stored))))


def state_key(state: State, finding_id: str) -> str:
    """A finding's partition in the by-state index."""
    return f"STATE#{state.value}#{int(finding_id[-1], 16) % STATE_SHARDS:x}"


def _state_keys(state: State) -> list[str]:
    return [f"STATE#{state.value}#{shard:x}" for shard in range(STATE_SHARDS)]


def _finding_item(sf: StoredFinding) -> dict[str, Any]:
    f = sf.finding
    return _to_item(
        {
            "pk": f"FINDING#{f.finding_id}",
            "sk": "FINDING",
            "gsi1pk": state_key(sf.state, f.finding_id),
            "gsi1sk": f"{f.detector}#{f.finding_id}",
            "gsi2pk": f"SCOPE#{f.account_id}#{f.region}#{f.detector}",
            "gsi2sk": f.finding_id,
            "finding": _pack(f),
            "state": sf.state.value,
            "first_seen": sf.first_seen.isoformat(),
            "last_seen": sf.last_seen.isoformat(),
            "version": sf.version,
            "decided_by": sf.decided_by,
            "decided_at": sf.decided_at.isoformat() if sf.decided_at else None,
            "note": sf.note,
            "progress": json.dumps(sf.progress) if sf.progress else None,
            "lease_until": sf.lease_until.isoformat() if sf.lease_until else None,
            "snooze_until": sf.snooze_until.isoformat() if sf.snooze_until else None,
            "error": sf.error,
        }
    )


def _finding_from(item: dict[str, Any]) -> StoredFinding:
    raw = _from_item(item)
    raw["finding"] = _unpack(raw["finding"])
    raw["progress"] = json.loads(raw["progress"]) if raw.get("progress") else {}
    raw["version"] = int(raw["version"])
    return StoredFinding.model_validate(raw)


def quietly(write: Any, *args: Any, **kwargs: Any) -> Any:
    try:
        return write(*args, **kwargs)
    except StateConflict as err:  # a decision landed meanwhile: it wins over bookkeeping
        log.info("skipped a write: %s", err)
        return None


class Store:
    def __init__(self, clients: AwsClients, region: str, table: str = DEFAULT_TABLE) -> None:
        self.clients = clients
        self.region = region
        self.table = table

    @property
    def _db(self) -> Any:
        return self.clients.client("dynamodb", self.region)

    # -- the table ------------------------------------------------------------------------

    def exists(self) -> bool:
        try:
            self._db.describe_table(TableName=self.table)
        except ClientError as err:
            if err.response["Error"]["Code"] == "ResourceNotFoundException":
                return False
            raise
        return True

    def create(self) -> bool:
        """Create the table where it is missing (local and emulated use); True if created."""
        if self.exists():
            return False
        keys = [("pk", "HASH"), ("sk", "RANGE")]
        indexes = {STATE_INDEX: ("gsi1pk", "gsi1sk"), SCOPE_INDEX: ("gsi2pk", "gsi2sk")}
        attributes = ["pk", "sk", "gsi1pk", "gsi1sk", "gsi2pk", "gsi2sk"]
        try:
            self._db.create_table(
                TableName=self.table,
                BillingMode="PAY_PER_REQUEST",
                KeySchema=[{"AttributeName": a, "KeyType": t} for a, t in keys],
                AttributeDefinitions=[
                    {"AttributeName": a, "AttributeType": "S"} for a in attributes
                ],
                GlobalSecondaryIndexes=[
                    {
                        "IndexName": name,
                        "KeySchema": [
                            {"AttributeName": h, "KeyType": "HASH"},
                            {"AttributeName": r, "KeyType": "RANGE"},
                        ],
                        "Projection": {"ProjectionType": "ALL"},
                    }
                    for name, (h, r) in indexes.items()
                ],
            )
        except ClientError as err:
            if err.response["Error"]["Code"] != "ResourceInUseException":
                raise
            return False  # created meanwhile by someone else
        self._db.get_waiter("table_exists").wait(
            TableName=self.table, WaiterConfig={"Delay": 1, "MaxAttempts": 60}
        )
        self.set_schema(SCHEMA_VERSION, "created")
        return True

    def schema(self) -> int:
        """The schema version of the table's contents (1: written before versions were)."""
        item = self._db.get_item(
            TableName=self.table,
            Key=_to_item({"pk": SCHEMA_PK, "sk": "RECORD"}),
            ConsistentRead=True,
        ).get("Item")
        return int(item["version"]["N"]) if item else 1

    def set_schema(self, version: int, note: str) -> None:
        """Record the table's schema version; never lowers it (an older govbot running beside
        a newer one cannot undo an upgrade)."""
        try:
            self._db.put_item(
                TableName=self.table,
                Item=_to_item({"pk": SCHEMA_PK, "sk": "RECORD", "record": note})
                | {"version": {"N": str(version)}},
                ConditionExpression="attribute_not_exists(pk) OR version <= :v",
                ExpressionAttributeValues={":v": {"N": str(version)}},
            )
        except ClientError as err:
            if err.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise

    # -- findings -------------------------------------------------------------------------

    def get(self, finding_id: str) -> StoredFinding | None:
        item = self._db.get_item(
            TableName=self.table,
            Key=_to_item({"pk": f"FINDING#{finding_id}", "sk": "FINDING"}),
            ConsistentRead=True,
        ).get("Item")
        return _finding_from(item) if item else None

    def _query(
        self,
        index: str,
        key: str,
        value: str,
        prefix: str | None = None,
        attributes: tuple[str, ...] = (),
    ) -> Iterator[StoredFinding]:
        condition, values = f"{key} = :v", {":v": value}
        if prefix is not None:  # the index's sort key begins with it
            condition += " AND begins_with(gsi1sk, :p)"
            values[":p"] = prefix
        only: dict[str, Any] = {}
        if attributes:  # "state" is a reserved word: every name through a placeholder
            names = {f"#a{i}": name for i, name in enumerate(attributes)}
            only = {"ProjectionExpression": ", ".join(names), "ExpressionAttributeNames": names}
        paginator = self._db.get_paginator("query")
        for page in paginator.paginate(
            TableName=self.table,
            IndexName=index,
            KeyConditionExpression=condition,
            ExpressionAttributeValues=_to_item(values),
            **only,
        ):
            for item in page["Items"]:
                yield _finding_from(item)

    def by_state(self, *states: State) -> list[StoredFinding]:
        """Every finding in these states, the shards read side by side (a reader that holds
        them all anyway; each_in_state reads one page at a time)."""
        keys = [key for s in states for key in _state_keys(s)]
        with ThreadPoolExecutor(max_workers=STATE_SHARDS) as pool:
            found = pool.map(lambda key: list(self._query(STATE_INDEX, "gsi1pk", key)), keys)
            return [sf for shard in found for sf in shard]

    def each_in_state(
        self, *states: State, detectors: Iterable[str] | None = None, brief: bool = False
    ) -> Iterator[StoredFinding]:
        """Findings in these states, a page at a time (an organisation's can be many); where
        detectors are named, theirs only, one detector after another in their order.
        ``brief``: only what a tally reads (BRIEF), for reading, never for a write."""
        only = BRIEF if brief else ()
        for d in [None] if detectors is None else detectors:
            for s in states:
                for key in _state_keys(s):
                    prefix = None if d is None else f"{d}#"
                    yield from self._query(STATE_INDEX, "gsi1pk", key, prefix, only)

    def each_unsharded(self, *states: State) -> Iterator[StoredFinding]:
        """Findings in these states that a govbot of schema 3 or older indexed by state
        alone (``STATE#<state>``), for the upgrade that moves them to their shards."""
        for s in states:
            yield from self._query(STATE_INDEX, "gsi1pk", f"STATE#{s.value}")

    def in_scope(self, account_id: str, region: str, detector: str) -> list[StoredFinding]:
        value = f"SCOPE#{account_id}#{region}#{detector}"
        return list(self._query(SCOPE_INDEX, "gsi2pk", value))

    def put_new(self, sf: StoredFinding) -> StoredFinding:
        """Write a finding that is not stored yet; StateConflict (with the one that is) if
        another writer stored it first."""
        try:
            self._db.put_item(
                TableName=self.table,
                Item=_finding_item(sf),
                ConditionExpression="attribute_not_exists(pk)",
            )
        except ClientError as err:
            if err.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
            raise StateConflict(sf.finding_id, self.get(sf.finding_id), "store it") from err
        return sf

    def replace(self, old: StoredFinding, new: StoredFinding) -> StoredFinding:
        """Write ``new`` over ``old`` only if nobody changed ``old`` meanwhile."""
        new = new.model_copy(update={"version": old.version + 1})
        try:
            self._db.put_item(
                TableName=self.table,
                Item=_finding_item(new),
                ConditionExpression="version = :v",
                ExpressionAttributeValues=_to_item({":v": old.version}),
            )
        except ClientError as err:
            if err.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
            raise StateConflict(
                old.finding_id, self.get(old.finding_id), f"change {old.state.value}"
            ) from err
        return new

    def update(
        self,
        finding_id: str,
        change: Callable[[StoredFinding | None], StoredFinding | None],
        *,
        current: StoredFinding | None = None,
        missing: bool = False,
    ) -> StoredFinding | None:
        """Read, change, write conditionally; a write that loses a race re-reads and changes
        the winner's version instead. ``change`` returns the new finding, or None to leave it
        as it is (it may raise StateConflict to refuse). ``current`` saves the first read when
        the caller has just read it; ``missing`` says it is known not to be stored yet.

        Concurrent writers are normal (two sweeps, a sweep and a click): nothing here fails
        because another writer went first, only because ``change`` refuses what it finds."""
        if current is None and not missing:
            current = self.get(finding_id)
        for _ in range(RACE_ATTEMPTS):
            new = change(current)
            if new is None:
                return current
            try:
                return self.replace(current, new) if current else self.put_new(new)
            except StateConflict as lost:
                current = lost.found
        raise StateConflict(finding_id, current, f"write it after {RACE_ATTEMPTS} races")

    def transition(
        self,
        finding_id: str,
        allowed: Iterable[State],
        to: State,
        **changes: Any,
    ) -> StoredFinding:
        """Move a finding to ``to`` if it is in one of ``allowed``; StateConflict otherwise."""
        allowed = set(allowed)

        def move(current: StoredFinding | None) -> StoredFinding:
            if current is None or current.state not in allowed:
                raise StateConflict(finding_id, current, f"move to {to}")
            return current.model_copy(update={"state": to, **changes})

        moved = self.update(finding_id, move)
        assert moved is not None
        return moved

    def claim(
        self, finding_id: str, *, now: datetime, lease: timedelta, finding: Finding
    ) -> StoredFinding:
        """Take a finding to act on: it must be approved, or acting under a lease that ran out
        (its run died), when the claim is written. Exactly one claimant wins."""

        def take(current: StoredFinding | None) -> StoredFinding:
            if current is None or not current.due(now):
                raise StateConflict(finding_id, current, "claim it")
            return current.model_copy(
                update={"state": State.ACTING, "lease_until": now + lease, "finding": finding}
            )

        claimed = self.update(finding_id, take)
        assert claimed is not None
        return claimed

    # -- clocks: when a waste clock started, learned from events ---------------------------

    def set_clock(
        self,
        account_id: str,
        region: str,
        resource_type: str,
        resource_id: str,
        started: datetime,
        why: str,
    ) -> None:
        # The latest event wins: a late or redelivered older one leaves a newer clock alone
        # (one UTC form, so the stored strings compare as the times do).
        at = started.astimezone(UTC).isoformat()
        try:
            self._db.put_item(
                TableName=self.table,
                Item=_to_item(
                    {
                        "pk": f"CLOCKS#{account_id}#{region}",
                        "sk": f"{resource_type}#{resource_id}",
                        "started": at,
                        "why": why,
                    }
                ),
                ConditionExpression="attribute_not_exists(pk) OR started < :started",
                ExpressionAttributeValues=_to_item({":started": at}),
            )
        except ClientError as err:
            if err.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise

    def clocks(self, account_id: str, region: str) -> dict[tuple[str, str], datetime]:
        """Every clock of a region, by (resource type, id): one query."""
        paginator = self._db.get_paginator("query")
        found = {}
        for page in paginator.paginate(
            TableName=self.table,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues=_to_item({":pk": f"CLOCKS#{account_id}#{region}"}),
        ):
            for item in page["Items"]:
                row = _from_item(item)
                rtype, rid = row["sk"].split("#", 1)
                found[(rtype, rid)] = datetime.fromisoformat(row["started"])
        return found

    def claim_once(self, key: str, now: datetime, detail: dict[str, Any]) -> bool:
        """Record that ``key`` happened; False when it was recorded before (a duplicate)."""
        try:
            self._db.put_item(
                TableName=self.table,
                Item=_to_item(
                    {
                        "pk": key,
                        "sk": "ONCE",
                        "at": now.isoformat(),
                        "detail": json.dumps(detail, default=str),
                    }
                ),
                ConditionExpression="attribute_not_exists(pk)",
            )
        except ClientError as err:
            if err.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        return True

    # -- sweep marks ----------------------------------------------------------------------
    # When each detector last swept a region of an account without error: a standing finding
    # of the unit was seen then, without a write per finding. One item per account and
    # region, a time per detector, set by one UpdateItem (other detectors' times kept), so a
    # night writes a mark per region, not one per detector and region.

    def mark_swept(
        self, account_id: str, region: str, detectors: Iterable[str], at: datetime
    ) -> None:
        names = {f"#d{i}": d for i, d in enumerate(dict.fromkeys(detectors))}
        if not names:
            return
        self._db.update_item(
            TableName=self.table,
            Key=_to_item({"pk": f"SWEPT#{account_id}#{region}", "sk": "DETECTORS"}),
            UpdateExpression="SET " + ", ".join(f"{n} = :at" for n in names),
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=_to_item({":at": at.isoformat()}),
        )

    def swept_marks(self, account_id: str, region: str) -> dict[str, datetime]:
        """When each detector last swept the region, by detector."""
        key = _to_item({"pk": f"SWEPT#{account_id}#{region}", "sk": "DETECTORS"})
        item = self._db.get_item(TableName=self.table, Key=key).get("Item", {})
        return {
            name: datetime.fromisoformat(value["S"])
            for name, value in item.items()
            if name not in ("pk", "sk")
        }

    def _older_mark(self, account_id: str, region: str, detector: str) -> datetime | None:
        """A mark as govbot wrote them before one item per region: one item per detector."""
        at = self._single(f"SWEPT#{account_id}#{region}#{detector}")
        return datetime.fromisoformat(at) if at else None

    def as_seen(self, stored: list[StoredFinding]) -> list[StoredFinding]:
        """Findings with ``last_seen`` as readers mean it: for one still standing, the later of
        its own last write and its unit's last sweep (one read per account and region)."""
        regions: dict[tuple[str, str], dict[str, datetime]] = {}
        older: dict[tuple[str, str, str], datetime | None] = {}
        seen = []
        for sf in stored:
            f = sf.finding
            if sf.state in STANDING:
                where = (f.account_id, f.region)
                if where not in regions:
                    regions[where] = self.swept_marks(*where)
                mark = regions[where].get(f.detector)
                if mark is None:
                    unit = (*where, f.detector)
                    if unit not in older:
                        older[unit] = self._older_mark(*unit)
                    mark = older[unit]
                if mark and mark > sf.last_seen:
                    sf = sf.model_copy(update={"last_seen": mark})
            seen.append(sf)
        return seen

    # -- prices ---------------------------------------------------------------------------
    # A region's Price List prices, one item per region, refreshed at most daily.

    def prices(self, region: str) -> RegionPrices | None:
        """The cached Price List prices of a region, or None."""
        record = self._single(f"PRICES#{region}")
        return RegionPrices.model_validate_json(record) if record else None

    def put_prices(self, prices: RegionPrices) -> None:
        self._put_single(f"PRICES#{prices.region}", prices.model_dump_json())

    # -- once-only keys: a Slack request accepted once ------------------------------------

    def accept_once(self, key: str, until: datetime) -> bool:
        """Record ``key`` if it is new (a conditional put); False when it was recorded
        before. DynamoDB's TTL removes the item after ``until`` (``expires_at``; nothing else
        in the table carries it, so nothing else expires)."""
        try:
            self._db.put_item(
                TableName=self.table,
                Item=_to_item(
                    {"pk": f"ONCE#{key}", "sk": "RECORD", EXPIRES_AT: int(until.timestamp())}
                ),
                ConditionExpression="attribute_not_exists(pk)",
            )
        except ClientError as err:
            if err.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                return False
            raise
        return True

    # -- single-item records (sweep marks, prices): one item under its own key -------------

    def _put_single(self, pk: str, record: str) -> None:
        self._db.put_item(
            TableName=self.table, Item=_to_item({"pk": pk, "sk": "RECORD", "record": record})
        )

    def _single(self, pk: str) -> str | None:
        item = self._db.get_item(TableName=self.table, Key=_to_item({"pk": pk, "sk": "RECORD"}))
        return str(item["Item"]["record"]["S"]) if "Item" in item else None

    # -- savings --------------------------------------------------------------------------
    # One partition, sorted by the month of the fix: a month's savings is one Query. A fix is
    # keyed by its finding's cycle, so a retried "done" rewrites the same item.

    def record_saving(self, saving: Saving, cycle: datetime) -> None:
        self._db.put_item(
            TableName=self.table,
            Item=_to_item(
                {
                    "pk": SAVINGS_PK,
                    "sk": f"{saving.at:%Y-%m}#{saving.finding_id}#{cycle.isoformat()}",
                    "record": saving.model_dump_json(),
                }
            ),
        )

    def savings(self, month: str | None = None) -> list[Saving]:
        """Every fix's saving (or one month's, YYYY-MM), oldest first."""
        condition = "pk = :pk" + (" AND begins_with(sk, :month)" if month else "")
        values = {":pk": SAVINGS_PK, **({":month": f"{month}#"} if month else {})}
        found = []
        for page in self._db.get_paginator("query").paginate(
            TableName=self.table,
            KeyConditionExpression=condition,
            ExpressionAttributeValues=_to_item(values),
        ):
            found += [Saving.model_validate_json(i["record"]["S"]) for i in page["Items"]]
        return sorted(found, key=lambda s: s.at)

    def saving_restored(self, finding_id: str, at: datetime) -> bool:
        """Mark the latest fix of a finding as undone; False when there is none to mark."""
        items = []
        for page in self._db.get_paginator("query").paginate(
            TableName=self.table,
            KeyConditionExpression="pk = :pk",
            FilterExpression="contains(sk, :fid)",
            ExpressionAttributeValues=_to_item({":pk": SAVINGS_PK, ":fid": f"#{finding_id}#"}),
        ):
            items += page["Items"]
        if not items:
            return False
        latest = max(items, key=lambda i: Saving.model_validate_json(i["record"]["S"]).at)
        saving = Saving.model_validate_json(latest["record"]["S"])
        if saving.restored_at is None:
            undone = saving.model_copy(update={"restored_at": at})
            self._db.put_item(
                TableName=self.table,
                Item={**latest, "record": {"S": undone.model_dump_json()}},
            )
        return True

    # -- audit ----------------------------------------------------------------------------

    def audit(self, record: AuditRecord) -> None:
        """Append one audit record. The log is append-only: a record is never overwritten
        (a conditional put); writing the very same record again is a no-op, anything else
        under its key is refused (AuditConflict)."""
        key = {
            "pk": audit_pk(
                record.account_id, record.region, record.resource_type, record.resource_id
            ),
            "sk": f"{record.at.isoformat()}#{record.action}#{record.phase}",
        }
        try:
            self._db.put_item(
                TableName=self.table,
                Item=_to_item({**key, "record": record.model_dump_json()}),
                ConditionExpression="attribute_not_exists(pk)",
            )
        except ClientError as err:
            if err.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise
            held = self._db.get_item(TableName=self.table, Key=_to_item(key), ConsistentRead=True)
            kept = AuditRecord.model_validate_json(_from_item(held["Item"])["record"])
            if kept != record:
                raise AuditConflict(
                    f"audit record {key['sk']} exists: it is never rewritten"
                ) from err

    def audit_trail(
        self, account_id: str, region: str, resource_type: str, resource_id: str
    ) -> list[AuditRecord]:
        """Every audit record of a resource, newest first."""
        paginator = self._db.get_paginator("query")
        records = []
        for page in paginator.paginate(
            TableName=self.table,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues=_to_item(
                {":pk": audit_pk(account_id, region, resource_type, resource_id)}
            ),
            ScanIndexForward=False,
        ):
            records += [
                AuditRecord.model_validate_json(_from_item(i)["record"]) for i in page["Items"]
            ]
        return records
