"""A state table as the previous release wrote it: refused by the command line with what to
run, upgraded in place by `govbot init` and by the functions' first use, idempotently and
resumably; a table a newer govbot wrote is refused."""

from __future__ import annotations

import pytest

from govbot.cycle.contracts import State, StoredFinding
from govbot.cycle.engine import govern
from govbot.cycle.policy import parse_policy
from govbot.state import migrations
from govbot.state.store import SCHEMA_PK, SCHEMA_VERSION, Store, _finding_item
from govbot_emulator.estate import make_endpoint, make_variant, team_tags
from tests.helpers.findings import REGION

OLD_WORDS = {"endpoint": "sagemaker-endpoint", "volume": "ebs-volume"}


def previous_release(clients, store: Store, now) -> dict[str, str]:
    """Findings as the release before recorded them (untagged kinds in the old policy words)
    and no schema record: what an upgrade meets. Finding id by resource."""
    make_endpoint(clients, REGION, "untagged-a", [make_variant("v", "ml.m5.xlarge")], [], now)
    make_endpoint(clients, REGION, "untagged-b", [make_variant("v", "ml.m5.xlarge")], [], now)
    make_endpoint(
        clients, REGION, "tagged", [make_variant("v", "ml.m5.xlarge")], team_tags("p"), now
    )
    # Already in this release's words: only the index upgrade (schema 4) rewrites it.
    make_endpoint(clients, REGION, "untagged-c", [make_variant("v", "ml.m5.xlarge")], [], now)
    report = govern(
        parse_policy({"regions": [REGION]}), clients, store, now=now, dry_run=True, actor="t"
    ).report
    ids = {}
    for f in report.findings:
        if f.detector != "untagged-resource" or f.resource_id == "untagged-c":
            continue

        def old(sf: StoredFinding | None) -> StoredFinding | None:
            assert sf is not None
            details = {**sf.finding.details, "kind": OLD_WORDS[sf.finding.details["kind"]]}
            return sf.model_copy(
                update={"finding": sf.finding.model_copy(update={"details": details})}
            )

        store.update(f.finding_id, old)
        ids[f.resource_id] = f.finding_id
    db = clients.client("dynamodb", REGION)
    db.delete_item(TableName=store.table, Key={"pk": {"S": SCHEMA_PK}, "sk": {"S": "RECORD"}})
    # As schema 1 to 3 indexed findings: by their state alone, and (before 3) as text.
    for item in db.scan(TableName=store.table)["Items"]:
        if item["pk"]["S"].startswith("FINDING#"):
            item["gsi1pk"] = {"S": f"STATE#{item['state']['S']}"}
            item["finding"] = {"S": store.get(item["pk"]["S"][8:]).finding.model_dump_json()}
            db.put_item(TableName=store.table, Item=item)
    return ids


def kinds(store: Store, ids: dict[str, str]) -> dict[str, str]:
    return {rid: store.get(fid).finding.details["kind"] for rid, fid in ids.items()}


def test_an_older_table_is_refused_with_what_to_run(clients, store, now) -> None:
    previous_release(clients, store, now)
    assert store.schema() == 1
    with pytest.raises(migrations.SchemaError, match=r"older govbot .* run `govbot init`"):
        migrations.current(store)


def test_the_upgrade_rewrites_in_place_once(clients, store, now) -> None:
    ids = previous_release(clients, store, now)
    assert kinds(store, ids) == {
        "untagged-a": "sagemaker-endpoint",
        "untagged-b": "sagemaker-endpoint",
    }
    findings = len(list(store.each_unsharded(*State)))
    assert findings == 3
    assert list(store.each_in_state(*State)) == []  # indexed as this govbot does not read
    assert migrations.upgrade(store) == [
        "schema 1 -> 2: 2 finding(s) rewritten",
        "schema 2 -> 3: 0 finding(s) rewritten",
        # The two rewritten by step 2 are in their shards already.
        f"schema 3 -> 4: {findings - 2} finding(s) rewritten",
    ]
    assert len(list(store.each_in_state(*State))) == findings
    assert list(store.each_unsharded(*State)) == []
    assert kinds(store, ids) == {"untagged-a": "endpoint", "untagged-b": "endpoint"}
    assert store.schema() == SCHEMA_VERSION
    migrations.current(store)  # no longer refused
    assert migrations.upgrade(store) == []  # a second run changes nothing


def test_an_upgrade_that_dies_part_way_is_finished_by_the_next(
    clients, store, now, monkeypatch
) -> None:
    ids = previous_release(clients, store, now)
    real = Store.update
    calls = {"n": 0}

    def dies_on_the_second(self, *args, **kwargs):
        calls["n"] += args[0] in ids.values()  # of the two the step rewrites
        if calls["n"] == 2:
            raise ConnectionError("the Lambda ran out of time")
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Store, "update", dies_on_the_second)
    with pytest.raises(ConnectionError):
        migrations.upgrade(store)
    monkeypatch.setattr(Store, "update", real)
    assert store.schema() == 1  # the step did not finish: not recorded
    assert sorted(kinds(store, ids).values()) == ["endpoint", "sagemaker-endpoint"]
    assert migrations.upgrade(store)[0] == "schema 1 -> 2: 1 finding(s) rewritten"
    assert kinds(store, ids) == {"untagged-a": "endpoint", "untagged-b": "endpoint"}


def test_a_newer_table_is_refused_and_its_version_never_lowered(clients, store) -> None:
    store.set_schema(SCHEMA_VERSION + 1, "a newer govbot")
    store.set_schema(SCHEMA_VERSION, "this govbot, running beside it")
    assert store.schema() == SCHEMA_VERSION + 1
    with pytest.raises(migrations.SchemaError, match=r"newer govbot .* upgrade govbot"):
        migrations.upgrade(store)
    with pytest.raises(migrations.SchemaError, match="newer govbot"):
        migrations.current(store)


def test_every_schema_version_has_its_step() -> None:
    assert sorted(migrations.STEPS) == list(range(2, SCHEMA_VERSION + 1))


def test_findings_stored_as_text_are_read_and_deflated_when_next_written(
    clients, store, now
) -> None:
    """Schema 3 stores a finding's JSON deflated (one write unit where text took two); the
    findings schema 2 wrote as text are read as they are, and deflated when next written."""
    ids = previous_release(clients, store, now)
    db = clients.client("dynamodb", REGION)
    fid = ids["untagged-a"]
    migrations.upgrade(store)
    item = _finding_item(store.get(fid))
    item["finding"] = {"S": store.get(fid).finding.model_dump_json()}  # as schema 2 wrote it
    db.put_item(TableName=store.table, Item=item)
    assert store.get(fid).finding.resource_id == "untagged-a"
    assert "S" in db.get_item(TableName=store.table, Key=item_key(fid))["Item"]["finding"]
    store.update(fid, lambda sf: sf.model_copy(update={"note": "seen"}) if sf else None)
    raw = db.get_item(TableName=store.table, Key=item_key(fid))["Item"]
    assert "B" in raw["finding"]
    assert store.get(fid).finding.resource_id == "untagged-a"
    # A finding's whole item, indexes' keys and all, within one write unit (1 KB).
    sizes = [
        sum(len(k) + len(v.get("S", "")) + len(v.get("B", b"")) for k, v in i.items())
        for i in db.scan(TableName=store.table)["Items"]
        if i["pk"]["S"].startswith("FINDING#") and "B" in i["finding"]
    ]
    assert sizes
    assert max(sizes) < 1024


def item_key(finding_id: str) -> dict:
    return {"pk": {"S": f"FINDING#{finding_id}"}, "sk": {"S": "FINDING"}}
