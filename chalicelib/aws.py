"""Lazily created, cached boto3 clients: the one place that imports boto3.

Endpoints are never passed in code: moto, LocalStack or AWS are chosen with the standard
``AWS_ENDPOINT_URL`` variable, so the same code runs everywhere.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config

if TYPE_CHECKING:
    from mypy_boto3_cloudformation import CloudFormationClient
    from mypy_boto3_cloudwatch import CloudWatchClient
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_stepfunctions import SFNClient

_CONFIG = Config(retries={"mode": "standard", "max_attempts": 4}, max_pool_connections=32)


@cache
def session() -> boto3.session.Session:
    return boto3.session.Session()


@cache
def dynamodb() -> DynamoDBClient:
    return session().client("dynamodb", config=_CONFIG)


@cache
def sqs() -> SQSClient:
    return session().client("sqs", config=_CONFIG)


@cache
def cloudformation() -> CloudFormationClient:
    return session().client("cloudformation", config=_CONFIG)


@cache
def cloudwatch() -> CloudWatchClient:
    return session().client("cloudwatch", config=_CONFIG)


@cache
def stepfunctions() -> SFNClient:
    return session().client("stepfunctions", config=_CONFIG)


@cache
def client(service: str) -> Any:
    """A separate client for any service, cached per name (benchmarks use it for baselines)."""
    return session().client(service, config=_CONFIG)  # type: ignore[call-overload]


def reset_clients() -> None:
    """Forget every cached client (tests switch endpoints between fixtures)."""
    for fn in (session, dynamodb, sqs, cloudformation, cloudwatch, stepfunctions, client):
        fn.cache_clear()
