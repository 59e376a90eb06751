"""Provision a stage's stateful resources from ``infra/resources.json`` through CloudFormation.

The same template deploys to AWS, so local, test and deployed stages have the same tables,
indexes, queues and dead-letter queues.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mypy_boto3_cloudformation import CloudFormationClient

TEMPLATE = Path(__file__).resolve().parents[2] / "infra" / "resources.json"
OUTPUT_ENV = {
    "ContactsTableName": "ORBIT_CONTACTS_TABLE",
    "EventsTableName": "ORBIT_EVENTS_TABLE",
    "OrdersTableName": "ORBIT_ORDERS_TABLE",
    "MetaTableName": "ORBIT_META_TABLE",
    "ProductsTableName": "ORBIT_PRODUCTS_TABLE",
    "SegmentsTableName": "ORBIT_SEGMENTS_TABLE",
    "MessagesTableName": "ORBIT_MESSAGES_TABLE",
    "JourneysTableName": "ORBIT_JOURNEYS_TABLE",
    "EventsQueueName": "ORBIT_EVENTS_QUEUE",
    "ImportsQueueName": "ORBIT_IMPORTS_QUEUE",
    "WorkflowRoleArn": "ORBIT_WORKFLOW_ROLE_ARN",
}


def provision(cloudformation: CloudFormationClient, stage: str) -> dict[str, str]:
    """Create (or reuse) the stage's stack; return the environment variables naming its resources."""
    stack = f"orbit-{stage}-resources"
    existing = {
        s["StackName"] for s in cloudformation.list_stacks()["StackSummaries"] if s["StackStatus"] != "DELETE_COMPLETE"
    }
    if stack not in existing:
        cloudformation.create_stack(
            StackName=stack,
            TemplateBody=TEMPLATE.read_text(),
            Parameters=[{"ParameterKey": "Stage", "ParameterValue": stage}],
        )
    for _ in range(300):
        desc = cloudformation.describe_stacks(StackName=stack)["Stacks"][0]
        if desc["StackStatus"].endswith("_COMPLETE"):
            break
        if desc["StackStatus"].endswith("FAILED"):
            raise RuntimeError(f"stack {stack} failed: {desc.get('StackStatusReason')}")
        time.sleep(0.1)
    outputs = {o["OutputKey"]: o["OutputValue"] for o in desc.get("Outputs", [])}
    env = {var: outputs[key] for key, var in OUTPUT_ENV.items()}
    env["ORBIT_STAGE"] = stage
    return env
