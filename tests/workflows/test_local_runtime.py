"""``make run``: a state machine on the embedded AWS calls the app's real ``workflow_task`` function, through the
runtime's ``POST /_local/lambda/<function>``, and sees the use case's error by its name."""

from __future__ import annotations

import json
import re

import boto3
import pytest

from tests.conftest import Platform

pytestmark = pytest.mark.e2e


def test_a_task_state_on_the_embedded_aws_runs_the_app_task_function(platform: Platform) -> None:
    found = re.search(r"AWS_ENDPOINT_URL=(http://127\.0\.0\.1:\d+)", platform.banner)  # type: ignore[attr-defined]
    assert found
    kwargs = {"endpoint_url": found.group(1), "region_name": "us-east-1"}
    credentials = {"aws_access_key_id": "local", "aws_secret_access_key": "local"}
    sfn = boto3.client("stepfunctions", **kwargs, **credentials)  # type: ignore[call-overload]
    iam = boto3.client("iam", **kwargs, **credentials)  # type: ignore[call-overload]
    role = next(r["Arn"] for r in iam.list_roles()["Roles"] if r["RoleName"] == "orbit-local-workflows")
    task = "arn:aws:lambda:us-east-1:123456789012:function:orbit-local-workflow_task"
    catch = [{"ErrorEquals": ["InvalidInput"], "ResultPath": "$.error", "Next": "Refused"}]
    definition = {
        "StartAt": "Run",
        "States": {
            "Run": {"Type": "Task", "Resource": task, "Catch": catch, "End": True},
            "Refused": {"Type": "Pass", "End": True},
        },
    }
    machine = sfn.create_state_machine(name="orbit-local-e2e", definition=json.dumps(definition), roleArn=role)
    execution = sfn.start_execution(
        stateMachineArn=machine["stateMachineArn"], name="e1", input=json.dumps({"action": "no-such-action"})
    )["executionArn"]

    described = platform.until(
        lambda: (d := sfn.describe_execution(executionArn=execution))["status"] != "RUNNING" and d
    )

    assert described["status"] == "SUCCEEDED"
    assert json.loads(described["output"])["error"]["Error"] == "InvalidInput"
