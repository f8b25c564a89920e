"""A sweep writes a finding only when something a reader uses changed; one mark per region says
the rest were seen, so "last seen" stays true without a write per finding."""

from datetime import timedelta

import pytest

from govbot.aws import AwsClients
from govbot.cycle.contracts import AuditRecord, State
from govbot.cycle.engine import govern
from govbot.cycle.policy import parse_policy
from govbot.state.store import EXPIRES_AT, SCHEMA_PK, AuditConflict, Store
from govbot_emulator import moto_extensions as ext
from tests.functional.test_remediation import REGION, idle_endpoint, orphan

POLICY = parse_policy({"regions": [REGION]})


@pytest.fixture
def store(clients: AwsClients) -> Store:
    """The state table, its writes counted with the sweep's calls."""
    table = Store(clients, REGION)
    table.create()
    return table


def writes(clients: AwsClients, store: Store, now) -> dict[str, int]:
    clients.calls.clear()
    report = govern(POLICY, clients, store, now=now, dry_run=True, actor="t").report
    assert report.errors == []
    return {
        "PutItem": clients.calls["dynamodb.PutItem"],
        "UpdateItem": clients.calls["dynamodb.UpdateItem"],
        "findings": len(report.findings),
        "regions": len(report.summary.regions),
    }


def test_an_unchanged_sweep_writes_one_mark_per_region_and_no_finding(clients, store, now) -> None:
    idle_endpoint(clients, now)
    for _ in range(5):
        orphan(clients, now)
    first = writes(clients, store, now)
    assert first["findings"] >= 6
    assert first["PutItem"] >= first["findings"]  # each finding stored once, at first
    later = now + timedelta(hours=2)  # within the day the Price List copy is fresh
    again = writes(clients, store, later)
    assert again["findings"] == first["findings"]
    assert again["PutItem"] == 0  # no finding
    assert again["UpdateItem"] == again["regions"] == 1  # the sweep mark, nothing else

    # Readers see every standing finding as seen by the second sweep.
    seen = store.as_seen(store.by_state(*State))
    assert {sf.last_seen for sf in seen} == {later}


def test_a_finding_that_changed_is_written(clients, store, now) -> None:
    vid = orphan(clients, now)
    writes(clients, store, now)
    # The volume grows: its cost changes, so its finding (and its untagged twin, if any) is
    # rewritten, and nothing else is.
    clients.ec2(REGION).modify_volume(VolumeId=vid, Size=900)
    ext.set_volume_created(REGION, vid, now - timedelta(days=30))
    changed = writes(clients, store, now + timedelta(hours=2))
    assert (changed["PutItem"], changed["UpdateItem"]) == (1, changed["regions"])
    [sf] = [s for s in store.in_scope(clients.account_id(REGION), REGION, "orphaned-volume")]
    assert sf.finding.details["size_gib"] == 900
    assert sf.last_seen == now + timedelta(hours=2)


def test_an_audit_record_is_never_overwritten(store, now) -> None:
    """The audit log is append-only: the same key with other content is refused, and the
    record first written stands; the very same record written again is a no-op."""
    record = AuditRecord(
        finding_id="idle-endpoint-0123456789abcdef",
        account_id="123456789012",
        region="us-east-1",
        resource_type="AWS::SageMaker::Endpoint",
        resource_id="ep",
        action="delete-endpoint",
        phase="before",
        at=now,
        actor="worker",
        before={"endpoint_config_name": "ep-config"},
    )
    store.audit(record)
    store.audit(record)  # a retry of the same write
    forged = record.model_copy(update={"before": {"endpoint_config_name": "attacker-config"}})
    with pytest.raises(AuditConflict):
        store.audit(forged)
    [kept] = store.audit_trail("123456789012", "us-east-1", "AWS::SageMaker::Endpoint", "ep")
    assert kept.before == {"endpoint_config_name": "ep-config"}
    # Nor does it ever expire: only once-only keys carry the table's TTL attribute.
    items = store._db.scan(TableName=store.table)["Items"]
    [item] = [i for i in items if i["pk"]["S"] != SCHEMA_PK]  # the one audit record
    assert EXPIRES_AT not in item


def test_marks_written_one_per_detector_by_an_older_govbot_still_say_when_it_was_seen(
    clients, store, now
) -> None:
    """Before one mark per region, each detector had its own: a finding whose detector has no
    time in the region's mark yet is read as seen by the older one; a newer mark wins."""
    orphan(clients, now)
    writes(clients, store, now)
    [sf] = store.in_scope(clients.account_id(REGION), REGION, "orphaned-volume")
    db = clients.client("dynamodb", REGION)
    region_mark = {"pk": {"S": f"SWEPT#{sf.finding.account_id}#{REGION}"}, "sk": {"S": "DETECTORS"}}
    db.delete_item(TableName=store.table, Key=region_mark)
    older = now + timedelta(hours=1)
    db.put_item(
        TableName=store.table,
        Item={
            "pk": {"S": f"SWEPT#{sf.finding.account_id}#{REGION}#orphaned-volume"},
            "sk": {"S": "RECORD"},
            "record": {"S": older.isoformat()},
        },
    )
    [seen] = store.as_seen([sf])
    assert seen.last_seen == older
    later = now + timedelta(hours=2)
    store.mark_swept(sf.finding.account_id, REGION, ["orphaned-volume"], later)
    [seen] = store.as_seen([sf])
    assert seen.last_seen == later


def test_a_sweeps_findings_spread_over_the_state_index_shards(clients, store, now) -> None:
    """Every finding of a first night is open: their by-state index entries go to 8
    partitions by finding id (one partition takes 1,000 writes a second), and a reader of a
    state asks every shard."""
    for _ in range(8):
        orphan(clients, now)
    first = writes(clients, store, now)
    items = clients.client("dynamodb", REGION).scan(TableName=store.table)["Items"]
    shards = {i["gsi1pk"]["S"] for i in items if i["pk"]["S"].startswith("FINDING#")}
    assert len(shards) > 1
    assert all(s.startswith("STATE#") and s.count("#") == 2 for s in shards)
    assert len(store.by_state(*State)) == first["findings"]
