"""What govbot knows about a kind of resource, as one value each kind module fills in.

A kind says how to read every resource of it in a region (``list_all``) and just some by id
(``by_ids``, what a re-check reads), with the IAM actions those reads need; where its tags come
from; which errors mean it is gone; the CloudTrail calls that name it; the Cost Explorer
services that bill it; and how the command line restores it. The inventory makes the
scoped-or-full choice once for every kind (``RegionInventory.listed``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from govbot.aws import error_code
from govbot.inventory import arn_key, tags_to_dict

if TYPE_CHECKING:
    from govbot.aws import AwsClients
    from govbot.inventory import RegionInventory
    from govbot.pricing.pricer import Cost

Item = Any  # one resource as its listing (or describe) answers it


@dataclass(frozen=True)
class CloudTrailCall:
    """A CloudTrail "AWS API Call" that names a resource of this kind."""

    # Where the id is, tried in order: (section, key), section "request" or "response"; a key
    # "a+b" joins several values with "/" (ids within a domain), and an ARN gives its last part.
    id_from: tuple[tuple[str, str], ...]
    detectors: tuple[str, ...] = ()  # judged at once
    clock: str | None = None  # starts the resource's waste clock, with this reason

    def resource_id(self, request: Mapping[str, Any], response: Mapping[str, Any]) -> str | None:
        sections = {"request": request, "response": response}
        for section, key in self.id_from:
            values = [sections[section].get(k) for k in key.split("+")]
            if all(isinstance(v, str) and v for v in values):
                found = "/".join(str(v) for v in values)
                return found.rsplit("/", 1)[-1] if found.startswith("arn:") else found
        return None


@dataclass(frozen=True)
class RestoreCommand:
    """How the command line names a resource of this kind to restore, and what it does."""

    metavar: str
    arg_help: str
    doc: str


# -- where a kind's tags come from ---------------------------------------------------------


@dataclass(frozen=True)
class TagsInListing:
    """The listing carries them (EC2's ``Tags``: Key/Value pairs): no call of their own."""

    reads: tuple[str, ...] = ()

    def of(self, inv: RegionInventory, kind: ResourceType, item: Item) -> dict[str, str]:
        return tags_to_dict(item.get("Tags"))


@dataclass(frozen=True)
class TagIndex:
    """The Resource Groups Tagging API: every tagged resource of the service's indexed types in
    one paginated GetResources per sweep (``filters`` are its ResourceTypeFilters, shared by
    the kinds of one service); a re-check reads just its resources, 100 ARNs to a call."""

    service: str
    filters: tuple[str, ...]
    reads: tuple[str, ...] = ("tag:GetResources",)

    def of(self, inv: RegionInventory, kind: ResourceType, item: Item) -> dict[str, str]:
        if inv.scope is None:
            index = inv.tag_index(self.service, self.filters)
        else:
            index = inv.listed_tags(kind)
        return index.get(arn_key(kind.arn_of(inv, item)), {})


@dataclass(frozen=True)
class TagsByArn:
    """GetResources by ARN, 100 to a call, of the resources listed: for kinds the index would
    page through every one ever made (training jobs) while only the listed few matter."""

    reads: tuple[str, ...] = ("tag:GetResources",)

    def of(self, inv: RegionInventory, kind: ResourceType, item: Item) -> dict[str, str]:
        return inv.listed_tags(kind).get(arn_key(kind.arn_of(inv, item)), {})


@dataclass(frozen=True)
class TagsPerResource:
    """The service's own tag call, one per resource, asked only for the few a detector
    reports (the Tagging API is not relied on to cover them); ``read`` keeps each once."""

    read: Callable[[RegionInventory, str], dict[str, str]]
    reads: tuple[str, ...]  # the service's tag call, as IAM names it

    def of(self, inv: RegionInventory, kind: ResourceType, item: Item) -> dict[str, str]:
        return self.read(inv, kind.arn_of(inv, item))


TagSource = TagsInListing | TagIndex | TagsByArn | TagsPerResource


@dataclass(frozen=True)
class ResourceType:
    type: str  # CloudFormation type name, as findings carry it
    kind: str  # the word for it on the command line and in messages
    # Every resource of the kind in the region, and those of some ids (a re-check); one gone
    # since is simply absent. ``reads`` are the IAM actions both need (``permissions`` adds
    # the tag source's).
    list_all: Callable[[RegionInventory], list[Item]]
    by_ids: Callable[[RegionInventory, list[str]], list[Item]]
    reads: tuple[str, ...]
    id_of: Callable[[Item], str]  # govbot's id of a listed item
    arn_of: Callable[[RegionInventory, Item], str]
    tags: TagSource
    gone_codes: frozenset[str]  # AWS error codes that mean "no such resource"
    cloudtrail: Mapping[str, CloudTrailCall] = field(default_factory=dict)  # "svc:EventName"
    # AWS Health event type codes whose affected entities are resources of this kind, and
    # the detectors that judge them at once.
    health: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # `govbot restore KIND ARG`, where an action can undo govbot's fix of this kind.
    restore: RestoreCommand | None = None
    # What the Cost Explorer service names that bill it contain, lower-cased ("Amazon
    # SageMaker", "Amazon Elastic Compute Cloud - Compute", "EC2 - Other", "AmazonCloudWatch"):
    # a budget or cost anomaly naming such a service sweeps the detectors that judge it.
    billed_as: tuple[str, ...] = ()
    # What one bills while it runs, for findings that price a resource without judging its
    # use (untagged spend); ``prefetch`` reads what pricing many needs at once.
    running_cost: Callable[[RegionInventory, Item], Cost] | None = None
    prefetch: Callable[[RegionInventory, list[Item]], None] | None = None
    # Listed items that no longer count as existing (a Studio app "Deleted").
    alive: Callable[[Item], bool] = lambda _item: True
    # Other words a policy may name it by (earlier policy files).
    aliases: tuple[str, ...] = ()
    # A re-check's "still there" where the listing does not say it (ended training jobs
    # still exist); None: the scoped listing's ids.
    existing_override: Callable[[RegionInventory], set[str]] | None = None
    # How a tag is added to one (the untagged fix): EC2 by id, SageMaker by ARN.
    add_tags: Callable[[AwsClients, str, str, str, list[Any]], None] | None = None
    # The botocore service it lives in: where AWS does not offer it, none can exist, and
    # the kind is not listed there (AwsClients.offers).
    service: str | None = None

    @property
    def permissions(self) -> tuple[str, ...]:
        """Every IAM action reading the kind takes: its listing's and its tags'."""
        return tuple(dict.fromkeys(self.reads + self.tags.reads))

    @property
    def restorable(self) -> bool:
        return self.restore is not None

    def is_gone(self, err: Exception) -> bool:
        return error_code(err) in self.gone_codes

    def tags_of(self, inv: RegionInventory, item: Item) -> dict[str, str]:
        """A listed resource's tags, from where this kind keeps them ({}: never tagged)."""
        return self.tags.of(inv, self, item)

    def existing(self, inv: RegionInventory) -> set[str]:
        """Ids of the scoped resources a re-check's inventory still holds."""
        if self.existing_override is not None:
            return self.existing_override(inv)
        return {self.id_of(i) for i in inv.listed(self) if self.alive(i)}


def all_or_each(
    read: Callable[[list[str]], list[Item]], gone: frozenset[str], ids: list[str]
) -> list[Item]:
    """Resources by id in one call, for the APIs where one id gone fails the whole call
    (EC2's, FSx's): then each on its own, the gone ones simply absent."""
    try:
        return read(ids)
    except Exception as err:
        if error_code(err) not in gone:
            raise
    if len(ids) == 1:
        return []
    return [item for one in ids for item in all_or_each(read, gone, [one])]


def pick(key: str) -> Callable[[Item], str]:
    """An id read from one field of the listing."""
    return lambda item: str(item[key])


def listed_arn(key: str) -> Callable[[RegionInventory, Item], str]:
    """An ARN the listing carries in one field."""
    return lambda _inv, item: str(item[key])


def ec2_tags(
    clients: AwsClients, region: str, resource_id: str, _arn: str, tags: list[Any]
) -> None:
    clients.ec2(region).create_tags(Resources=[resource_id], Tags=tags)


def sagemaker_tags(
    clients: AwsClients, region: str, _resource_id: str, arn: str, tags: list[Any]
) -> None:
    clients.sagemaker(region).add_tags(ResourceArn=arn, Tags=tags)


SAGEMAKER_BILLING = ("sagemaker",)
# EBS volumes and snapshots bill under "EC2 - Other" (or "Amazon Elastic Block Store"),
# instances under "Amazon Elastic Compute Cloud - Compute": an EC2 anomaly sweeps them all.
EC2_BILLING = ("elastic compute cloud", "ec2", "elastic block store")
# SageMaker answers ValidationException for a name it does not know (and for a job that ended).
SAGEMAKER_GONE = frozenset({"ValidationException", "ResourceNotFound"})
# Endpoints and notebook instances share one Tagging API listing per sweep.
SAGEMAKER_INDEX = TagIndex("sagemaker", ("sagemaker:endpoint", "sagemaker:notebook-instance"))
