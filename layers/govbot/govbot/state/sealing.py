"""Values too sensitive to keep in clear in the audit log: a container's environment (it often
holds tokens) is recorded sealed with KMS under the records key (the stack's RecordsKey).
Only the remediation worker may seal with it and only whoever runs `govbot restore` may open
it; none of govbot's other roles may use it, so the seven roles that read the state table
read only ciphertext, and no value is ever logged."""

from __future__ import annotations

import base64
import json
import os
from typing import Any

from govbot.aws import AwsClients

KEY_SETTING = "GOVBOT_RECORDS_KEY"
SEAL = ("kms:Encrypt",)
OPEN = ("kms:Decrypt",)
# A ciphertext opens only with this context: it cannot be passed off as another's.
CONTEXT = {"govbot": "audit-record"}
KMS_PLAINTEXT_LIMIT = 4096  # bytes: what one Encrypt call takes


class SealError(RuntimeError):
    """A value that may not be recorded in clear, and no way to seal it."""


def _kms(clients: AwsClients, key: str) -> Any:
    region = key.split(":")[3] if key.startswith("arn:") else clients.default_region
    if not region:
        raise SealError(f"no region for KMS key {key}: give its ARN")
    return clients.client("kms", region)


def seal(clients: AwsClients, values: dict[str, str], key: str | None = None) -> dict[str, Any]:
    """``values`` encrypted under the records key: the names stay readable, the values not."""
    key = key or os.environ.get(KEY_SETTING)
    if not key:
        raise SealError(
            f"the environment of {', '.join(sorted(values))} is recorded only encrypted: set "
            f"{KEY_SETTING} to a KMS key (the stack's RecordsKey) to let govbot record it"
        )
    plain = json.dumps(values, sort_keys=True).encode()
    if len(plain) > KMS_PLAINTEXT_LIMIT:
        raise SealError(f"an environment of {len(plain)} bytes is more than KMS seals in one call")
    blob = _kms(clients, key).encrypt(KeyId=key, Plaintext=plain, EncryptionContext=CONTEXT)
    return {
        "key": key,
        "names": sorted(values),
        "ciphertext": base64.b64encode(blob["CiphertextBlob"]).decode(),
    }


def unseal(clients: AwsClients, sealed: dict[str, Any]) -> dict[str, str]:
    opened = _kms(clients, sealed["key"]).decrypt(
        CiphertextBlob=base64.b64decode(sealed["ciphertext"]),
        KeyId=sealed["key"],
        EncryptionContext=CONTEXT,
    )
    values: dict[str, str] = json.loads(opened["Plaintext"])
    return values
