"""The organisation digest reads the Map's results in a memory that does not grow with them:
the result file an execution at a time, the accounts swept as integers, failures counted."""

import io
import json
from typing import Any

import pytest

from govbot.handlers.org_digest import NAMED, Settled, WrittenResults, each_result


class Streamed:
    """An S3 object body (botocore's StreamingBody reads ``amt`` bytes at a time) that refuses
    to be read whole."""

    def __init__(self, data: bytes) -> None:
        self.data, self.at, self.largest = data, 0, 0

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            raise AssertionError("the whole file was read at once")
        self.largest = max(self.largest, size)
        chunk = self.data[self.at : self.at + size]
        self.at += len(chunk)
        return chunk


class Bucket:
    def __init__(self, objects: dict[str, bytes]) -> None:
        self.objects, self.bodies = objects, []
        self.default_region = "us-east-1"

    def client(self, service: str, region: str) -> "Bucket":
        return self

    def get_object(self, Bucket: str, Key: str) -> dict[str, Any]:
        if Key.endswith("manifest.json"):
            return {"Body": io.BytesIO(self.objects[Key])}
        body = Streamed(self.objects[Key])
        self.bodies.append(body)
        return {"Body": body}


def execution(i: int, status: str, **fields: Any) -> dict[str, Any]:
    return {"ExecutionArn": f"arn:x/{i}", "Name": str(i), "Status": status, **fields}


def test_a_result_file_is_read_an_execution_at_a_time() -> None:
    accounts = [f"{100000000000 + i}" for i in range(2000)]
    succeeded = [
        execution(i, "SUCCEEDED", Input="{}", Output=json.dumps({"account_id": a, "findings": 3}))
        for i, a in enumerate(accounts)
    ]
    failed = [
        execution(
            9000, "FAILED", Error="RuntimeError", Cause="222233334444 us-east-1: Throttling: no"
        )
    ]
    bucket = Bucket(
        {
            "r/SUCCEEDED_0.json": json.dumps(succeeded).encode(),
            "r/FAILED_0.json": json.dumps(failed).encode(),
            "r/manifest.json": json.dumps(
                {
                    "ResultFiles": {
                        "SUCCEEDED": [{"Key": "r/SUCCEEDED_0.json"}],
                        "FAILED": [{"Key": "r/FAILED_0.json"}],
                        "PENDING": [],
                    }
                }
            ).encode(),
        }
    )
    handed = WrittenResults.model_validate(
        {"ResultWriterDetails": {"Bucket": "mine", "Key": "r/manifest.json"}}
    )
    settled = Settled(each_result(handed, bucket, "mine"))  # type: ignore[arg-type]
    assert (settled.swept, settled.failed, settled.account_count) == (2000, 1, 2000)
    assert settled.has("100000001999")
    assert not settled.has("100000002000")
    assert settled.failures()["accounts"] == ["222233334444 (Throttling)"]
    # The file (about 200 KB) came in bounded reads, never whole.
    assert len(bucket.objects["r/SUCCEEDED_0.json"]) > 4 * bucket.bodies[0].largest


def test_failures_are_counted_by_error_and_only_the_first_named() -> None:
    lambda_cause = {"errorMessage": "{} eu-west-1: AccessDenied: not allowed", "errorType": "E"}
    results: list[Any] = [{"account_id": "111122223333", "findings": 0}]
    results += [
        {"Error": "RuntimeError", "Cause": json.dumps(lambda_cause).replace("{}", f"{i:012d}")}
        for i in range(NAMED + 15)
    ]
    results += [{"Error": "States.Timeout", "Cause": ""}] * 3
    settled = Settled(results)
    failures = settled.failures()
    assert failures["count"] == NAMED + 18
    assert failures["by_error"] == {"AccessDenied": NAMED + 15, "States.Timeout": 3}
    assert len(failures["accounts"]) == NAMED
    assert failures["accounts"][0] == "000000000000 (AccessDenied)"


@pytest.mark.parametrize("account", ["123456789012", "not-an-account"])
def test_an_account_swept_twice_counts_once(account) -> None:
    settled = Settled([{"account_id": account}, {"account_id": account}])
    assert settled.has(account)
    assert settled.account_count == 1
    assert settled.swept == 2
