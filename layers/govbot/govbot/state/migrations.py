"""Bringing a state table an older govbot wrote up to this govbot's schema, in place.

Each step rewrites what changed shape, idempotently (a finding already in the new shape is left
alone) and through the store's conditional writes (a sweep writing meanwhile is not lost); the
version is recorded after each step, so a run that dies part way is simply run again. A table
a newer govbot wrote is refused: this one would misread it.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

from govbot.cycle.contracts import State, StoredFinding
from govbot.kinds import by_kind
from govbot.state.store import SCHEMA_VERSION, Store, quietly


class SchemaError(RuntimeError):
    """The table is not in a shape this govbot may use: the message says what to run."""


def _untagged_kind_words(store: Store) -> int:
    """2: untagged-resource's details name a kind by its command-line word ("endpoint"), no
    longer by the policy vocabulary before kinds/ ("sagemaker-endpoint", "ebs-volume" ...)."""
    changed = 0

    def reword(current: StoredFinding | None) -> StoredFinding | None:
        if current is None:
            return None
        details = current.finding.details
        word = details.get("kind")
        try:
            new = by_kind(word).kind if isinstance(word, str) else word
        except ValueError:
            return None  # a word govbot does not know: left as it is
        if new == word:
            return None
        finding = current.finding.model_copy(update={"details": {**details, "kind": new}})
        return current.model_copy(update={"finding": finding})

    for sf in store.each_unsharded(*State):  # as a table before schema 4 indexes them
        if sf.finding.detector != "untagged-resource":
            continue
        before = sf.finding.details.get("kind")
        after = store.update(sf.finding_id, reword, current=sf)
        changed += after is not None and after.finding.details.get("kind") != before
    return changed


def _deflated_findings(store: Store) -> int:
    """3: a finding's JSON is stored deflated (fewer write units). Nothing is rewritten: this
    govbot reads both forms and deflates each finding the next time it writes it; the version
    keeps older govbots, which cannot read the new form, off the table."""
    return 0


def _sharded_state_index(store: Store) -> int:
    """4: the by-state index's partition key is sharded (``STATE#<state>#<shard>``): each
    finding indexed by its state alone is written again, which puts it in its shard (a
    writer that changed it meanwhile has done so already)."""
    changed = 0
    for sf in store.each_unsharded(*State):
        changed += quietly(store.replace, sf, sf) is not None
    return changed


# Each step by the version it brings the table to.
STEPS: dict[int, Callable[[Store], int]] = {
    2: _untagged_kind_words,
    3: _deflated_findings,
    4: _sharded_state_index,
}


def upgrade(store: Store) -> list[str]:
    """Bring the table up to this govbot's schema; what each step changed, in words (empty:
    it was current). SchemaError when a newer govbot wrote it."""
    version = _known(store)
    done = []
    for target in range(version + 1, SCHEMA_VERSION + 1):
        changed = STEPS[target](store)
        store.set_schema(target, f"upgraded from {target - 1}: {changed} finding(s) rewritten")
        done.append(f"schema {target - 1} -> {target}: {changed} finding(s) rewritten")
    return done


def current(store: Store) -> int:
    """The table's schema version, refusing a table that is not in this govbot's shape and
    saying what to run."""
    version = _known(store)
    if version < SCHEMA_VERSION:
        raise SchemaError(
            f"state table {store.table} was written by an older govbot (schema {version}, this "
            f"govbot writes {SCHEMA_VERSION}): run `govbot init` to upgrade it in place"
        )
    return version


def _known(store: Store) -> int:
    """The table's schema version, one this govbot knows (SchemaError for a newer one's)."""
    version = store.schema()
    if version > SCHEMA_VERSION:
        raise SchemaError(
            f"state table {store.table} was written by a newer govbot (schema {version}; this "
            f"govbot knows {SCHEMA_VERSION}): upgrade govbot before using it"
        )
    return version


@cache
def upgraded_once(table: str, region: str, clients: Any) -> list[str]:
    """A Lambda container's first use of the table: upgrade it (the deployed govbot is the
    newer one), once per container."""
    return upgrade(Store(clients, region, table))
