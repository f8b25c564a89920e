"""The one way govbot builds AWS clients.

Clients are created lazily (never at import time, so moto and assumed roles can reach them),
cached per (service, region), use adaptive retries, and count every API call by
``service.Operation``. boto3's own ``AWS_ENDPOINT_URL`` support is left untouched, so the same
code runs against AWS, moto server or LocalStack.
"""

from __future__ import annotations

import os
import threading
from collections import Counter
from functools import cache
from typing import TYPE_CHECKING, Any

import boto3
import botocore.loaders
import botocore.session
from botocore.config import Config
from botocore.exceptions import ClientError, ConnectionError, HTTPClientError

if TYPE_CHECKING:
    from mypy_boto3_cloudwatch import CloudWatchClient
    from mypy_boto3_ec2 import EC2Client
    from mypy_boto3_logs import CloudWatchLogsClient
    from mypy_boto3_resourcegroupstaggingapi import ResourceGroupsTaggingAPIClient
    from mypy_boto3_sagemaker import SageMakerClient
    from mypy_boto3_ssm import SSMClient
    from mypy_boto3_sts import STSClient

DEFAULT_MAX_ATTEMPTS = 6


def _readable_5xx(response_dict: dict[str, Any], **_: Any) -> None:
    """A 5xx whose body is not the service's own (a gateway's plain-text "Bad Gateway") would
    make botocore's XML parser raise, and the call fail at once without a retry. Seen as an
    empty body it is the generic 5xx botocore already retries with backoff."""
    if response_dict.get("status_code", 0) < 500:
        return
    body = (response_dict.get("body") or b"").strip()
    if body and not body.startswith((b"<", b"{")):
        response_dict["body"] = b""


# Error codes AWS uses for "slow down", as botocore's retry modes list them, and the HTTP
# statuses of a service that failed for now; anything else (access denied, validation) is final.
THROTTLING_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottledException",
        "TooManyRequestsException",
        "ProvisionedThroughputExceededException",
        "TransactionInProgressException",
        "RequestLimitExceeded",
        "BandwidthLimitExceeded",
        "LimitExceededException",
        "RequestThrottled",
        "SlowDown",
        "PriorRequestNotComplete",
        "EC2ThrottledException",
    }
)
TRANSIENT_CODES = frozenset(
    {"RequestTimeout", "RequestTimeoutException", "PriorRequestNotComplete", "InternalError"}
)


def error_code(err: BaseException) -> str:
    """The AWS error code of a failed call ("" for an error that carries none)."""
    return str(getattr(err, "response", {}).get("Error", {}).get("Code", ""))


def is_transient(err: BaseException) -> bool:
    """Whether a failed call may well succeed later: throttling, a 5xx, a timeout or a broken
    connection (after botocore's own retries ran out), as opposed to a refusal that stands."""
    if isinstance(err, ClientError):
        status = err.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        code = error_code(err)
        return code in THROTTLING_CODES or code in TRANSIENT_CODES or int(status or 0) >= 500
    # Timeouts and unreachable endpoints are subclasses of these two.
    return isinstance(err, ConnectionError | HTTPClientError)


def _attempts_from_env() -> int:
    raw = os.environ.get("AWS_MAX_ATTEMPTS") or str(DEFAULT_MAX_ATTEMPTS)
    try:
        attempts = int(raw)
    except ValueError:
        attempts = 0
    if attempts < 1:
        raise ValueError(f"AWS_MAX_ATTEMPTS must be a whole number from 1, not {raw!r}")
    return attempts


@cache
def _models() -> botocore.loaders.Loader:
    return botocore.loaders.create_loader()


def new_session(**credentials: Any) -> boto3.Session:
    """A boto3 session that reads botocore's service models once per process: every session
    (one per member account in an organisation sweep) shares one loader, instead of parsing
    the same JSON again (a new session's first SageMaker client costs about 0.2 s)."""
    core = botocore.session.get_session()
    core.register_component("data_loader", _models())
    return boto3.Session(botocore_session=core, **credentials)


class AwsClients:
    """Lazily built, cached, call-counting boto3 clients for one set of credentials."""

    def __init__(
        self,
        *,
        session: boto3.Session | None = None,
        role_arn: str | None = None,
        external_id: str | None = None,
        role_session_name: str = "govbot",
        max_attempts: int | None = None,
        account_id: str | None = None,
    ) -> None:
        self._base_session = session
        # The account these credentials act in, once known (a member role's ARN names it).
        self._account_id = account_id
        self._role_arn = role_arn
        self._external_id = external_id
        self._role_session_name = role_session_name
        # AWS_MAX_ATTEMPTS (boto3's own setting, first try included) would be hidden by a Config.
        attempts = max_attempts or _attempts_from_env()
        # A pool per client large enough for a sweep's concurrent reads (detectors and
        # describes run side by side within a region).
        self._config = Config(
            retries={"mode": "adaptive", "total_max_attempts": attempts},
            max_pool_connections=32,
        )
        self._session: boto3.Session | None = None
        self._clients: dict[tuple[str, str, str], Any] = {}
        self._regions: dict[tuple[str, str], frozenset[str]] = {}  # by service and partition
        # boto3 sessions are not thread-safe for client creation; clients themselves are.
        self._lock = threading.Lock()
        self._calls_lock = threading.Lock()
        self.calls: Counter[str] = Counter()

    # -- sessions and clients -------------------------------------------------------------

    def _get_session(self) -> boto3.Session:
        if self._session is None:
            base = self._base_session or new_session()
            if self._role_arn:
                base = self._assume_role(base)
            base.events.register("before-call", self._count_call)
            self._session = base
        return self._session

    def _assume_role(self, base: boto3.Session) -> boto3.Session:
        sts = base.client("sts", config=self._config)
        kwargs: dict[str, Any] = {
            "RoleArn": self._role_arn,
            "RoleSessionName": self._role_session_name,
        }
        if self._external_id:
            kwargs["ExternalId"] = self._external_id
        self.calls["sts.AssumeRole"] += 1
        creds = sts.assume_role(**kwargs)["Credentials"]
        return new_session(
            aws_access_key_id=creds["AccessKeyId"],
            aws_secret_access_key=creds["SecretAccessKey"],
            aws_session_token=creds["SessionToken"],
            region_name=base.region_name,
        )

    def _count_call(self, model: Any, **_: Any) -> None:
        # "before-call" fires once per API call, before botocore's own retries.
        with self._calls_lock:
            self.calls[f"{model.service_model.service_name}.{model.name}"] += 1

    def client(self, service: str, region: str, patience: Config | None = None) -> Any:
        """The one way govbot builds a client; ``patience`` tightens timeouts and retries for
        a call that must never hold a sweep up (the Price List)."""
        key = (service, region, "patient" if patience is None else "hurried")
        with self._lock:
            if key not in self._clients:
                client = self._get_session().client(
                    service,  # type: ignore[call-overload]
                    region_name=region,
                    config=self._config.merge(patience) if patience else self._config,
                )
                service_id = client.meta.service_model.service_id.hyphenize()
                client.meta.events.register(f"before-parse.{service_id}", _readable_5xx)
                self._clients[key] = client
            return self._clients[key]

    @property
    def default_region(self) -> str | None:
        """The configured region (profile or AWS_DEFAULT_REGION), else AWS_REGION."""
        with self._lock:
            return self._get_session().region_name or os.environ.get("AWS_REGION") or None

    # -- typed accessors ------------------------------------------------------------------

    def sagemaker(self, region: str) -> SageMakerClient:
        return self.client("sagemaker", region)  # type: ignore[no-any-return]

    def ec2(self, region: str) -> EC2Client:
        return self.client("ec2", region)  # type: ignore[no-any-return]

    def cloudwatch(self, region: str) -> CloudWatchClient:
        return self.client("cloudwatch", region)  # type: ignore[no-any-return]

    def logs(self, region: str) -> CloudWatchLogsClient:
        return self.client("logs", region)  # type: ignore[no-any-return]

    def tagging(self, region: str) -> ResourceGroupsTaggingAPIClient:
        return self.client("resourcegroupstaggingapi", region)  # type: ignore[no-any-return]

    def ssm(self, region: str) -> SSMClient:
        return self.client("ssm", region)  # type: ignore[no-any-return]

    def sts(self, region: str) -> STSClient:
        return self.client("sts", region)  # type: ignore[no-any-return]

    def offers(self, service: str, region: str) -> bool:
        """Whether AWS offers ``service`` in ``region``, as botocore's endpoint data says (Bedrock
        is not in ap-east-1, OpenSearch Serverless not in me-south-1: a client there would wait
        on an endpoint that does not resolve). A service the data lists no region for, or a
        region it does not know at all (newer than this botocore), counts as offered: nothing
        is left unswept on a guess. Read from this session's data, already loaded for its
        clients, once per service and partition."""
        part = partition(region)
        with self._lock:
            session = self._get_session()
            for name in (service, "ec2"):  # ec2: every region of the partition
                if (name, part) not in self._regions:
                    found = session.get_available_regions(name, partition_name=part)
                    self._regions[(name, part)] = frozenset(found)
            regions, known = self._regions[(service, part)], self._regions[("ec2", part)]
        return not regions or region not in known or region in regions

    def account_id(self, region: str) -> str:
        """The account these credentials reach: asked of STS once, then remembered."""
        if self._account_id is None:
            self._account_id = self.sts(region).get_caller_identity()["Account"]
        return self._account_id


def partition(region: str) -> str:
    """The ARN partition of a region."""
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"
