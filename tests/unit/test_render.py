"""The merge template for ``chalice package`` and the per-stage IAM policies (reads repo files only)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from infra.render import app_functions, render, substitute

ROOT = Path(__file__).resolve().parents[2]
FUNCTIONS = [
    ("APIHandler", ""),
    ("ConsumeEvents", "consume_events"),
    ("ConsumeImports", "consume_imports"),
    ("SweepCounters", "sweep_counters"),
]
CONSUMERS = [("ConsumeEvents", "EventsQueue"), ("ConsumeImports", "ImportsQueue")]
CONFIG = json.loads((ROOT / ".chalice" / "config.json").read_text())
STAGES = sorted(CONFIG["stages"])
# Actions a statement may allow on "*" (and nothing else), each with why it cannot name orbit-<stage>.
UNSCOPED_ACTIONS = {
    # IAM defines no resource type for it
    "cloudwatch:GetMetricStatistics",
    # an SMS publish goes to a phone number, which has no ARN: IAM authorises it only against "*"
    "sns:Publish",
    # a parked workflow task is named by its task token, which has no ARN: IAM authorises these only against "*"
    "states:SendTaskSuccess",
    "states:SendTaskFailure",
}
# Resources outside orbit-<stage> a statement of exactly these actions may name, with why.
FOREIGN_RESOURCES = {
    # SES authorises SendEmail against the sending identity (the shop's domain or address, verified by the
    # operator); its name is the domain, never the stage's
    "arn:aws:ses:*:*:identity/*": {"ses:SendEmail"},
}


def _unscoped(statement: dict[str, Any]) -> bool:
    """A statement of unscoped actions only, on "*" alone."""
    return set(_listed(statement["Action"])) <= UNSCOPED_ACTIONS and _listed(statement["Resource"]) == ["*"]


def _strings(node: Any) -> list[str]:
    if isinstance(node, dict):
        return [s for key, value in node.items() for s in [key, *_strings(value)]]
    if isinstance(node, list):
        return [s for item in node for s in _strings(item)]
    return [node] if isinstance(node, str) else []


def _listed(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else value


@pytest.fixture(scope="module")
def merged() -> dict[str, Any]:
    return render("prod", FUNCTIONS)


@pytest.mark.parametrize(("consumer", "queue"), CONSUMERS)
def test_consumer_event_reports_batch_item_failures(merged: dict[str, Any], consumer: str, queue: str) -> None:
    event = merged["Resources"][consumer]["Properties"]["Events"][f"{consumer}SqsEventSource"]
    assert event["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]


@pytest.mark.parametrize(("consumer", "queue"), CONSUMERS)
def test_consumer_event_reads_the_queue_this_template_creates(
    merged: dict[str, Any], consumer: str, queue: str
) -> None:
    event = merged["Resources"][consumer]["Properties"]["Events"][f"{consumer}SqsEventSource"]
    assert event["Properties"]["Queue"] == {"Fn::Sub": "${" + queue + ".Arn}"}


def test_every_infra_resource_is_merged(merged: dict[str, Any]) -> None:
    infra = json.loads((ROOT / "infra" / "resources.json").read_text())
    for name, resource in infra["Resources"].items():
        assert merged["Resources"][name]["Type"] == resource["Type"]


def test_stage_is_substituted_and_needs_no_parameter(merged: dict[str, Any]) -> None:
    assert not any("${Stage}" in s for s in _strings(merged))
    assert "Stage" not in merged.get("Parameters", {})
    assert '"Ref": "Stage"' not in json.dumps(merged)
    assert merged["Resources"]["ContactsTable"]["Properties"]["TableName"] == "orbit-prod-contacts"


def test_functions_get_chalice_deploy_names(merged: dict[str, Any]) -> None:
    names = {k: merged["Resources"][k]["Properties"]["FunctionName"] for k, _ in FUNCTIONS}
    assert names == {
        "APIHandler": "orbit-prod",
        "ConsumeEvents": "orbit-prod-consume_events",
        "ConsumeImports": "orbit-prod-consume_imports",
        "SweepCounters": "orbit-prod-sweep_counters",
    }


@pytest.mark.parametrize(("logical_id", "name"), FUNCTIONS)
def test_every_function_gets_the_workflow_role_and_task_function(
    merged: dict[str, Any], logical_id: str, name: str
) -> None:
    variables = merged["Resources"][logical_id]["Properties"]["Environment"]["Variables"]
    assert variables["ORBIT_WORKFLOW_ROLE_ARN"] == {"Fn::GetAtt": ["WorkflowRole", "Arn"]}
    assert variables["ORBIT_WORKFLOW_TASK_ARN"]["Fn::Sub"].endswith(":function:orbit-prod-workflow_task")


def test_the_workflow_role_lets_step_functions_invoke_only_the_task_function(merged: dict[str, Any]) -> None:
    role = merged["Resources"]["WorkflowRole"]["Properties"]
    (trust,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "states.amazonaws.com"}
    (policy,) = role["Policies"]
    (grant,) = policy["PolicyDocument"]["Statement"]
    assert grant["Action"] == "lambda:InvokeFunction"
    assert [r["Fn::Sub"].rsplit(":function:", 1)[1] for r in grant["Resource"]] == [
        "orbit-prod-workflow_task",
        "orbit-prod-workflow_task:*",
    ]


@pytest.mark.parametrize("stage", STAGES)
@pytest.mark.parametrize(
    "action",
    [
        "states:CreateStateMachine",
        "states:UpdateStateMachine",
        "states:PublishStateMachineVersion",
        "states:CreateStateMachineAlias",
        "states:UpdateStateMachineAlias",
        "states:StartExecution",
        "states:StopExecution",
        "states:DescribeExecution",
        "states:GetExecutionHistory",
        "states:SendTaskSuccess",
        "iam:PassRole",
    ],
)
def test_policy_lets_the_app_deploy_and_run_workflows(stage: str, action: str) -> None:
    policy = json.loads((ROOT / ".chalice" / CONFIG["stages"][stage]["iam_policy_file"]).read_text())
    assert [s for s in policy["Statement"] if action in _listed(s["Action"])], action


def test_unknown_route_is_a_404_in_the_error_shape(merged: dict[str, Any]) -> None:
    responses = merged["Resources"]["RestAPI"]["Properties"]["GatewayResponses"]
    missing = responses["MISSING_AUTHENTICATION_TOKEN"]
    assert missing["StatusCode"] == "404"
    body = json.loads(missing["ResponseTemplates"]["application/json"])
    assert body["error"]["code"] == "not_found"


def test_app_defines_the_consumers_the_renderer_patches() -> None:
    assert {("ConsumeEvents", "consume_events"), ("ConsumeImports", "consume_imports")} <= set(app_functions())


def test_bad_stage_name_is_refused() -> None:
    with pytest.raises(ValueError, match="does not match"):
        render("Prod_1", FUNCTIONS)


def test_sub_keeps_other_variables() -> None:
    node = {"Fn::Sub": "arn:${AWS::Partition}:sqs:::orbit-${Stage}"}
    assert substitute(node, {"Stage": "dev"}) == {"Fn::Sub": "arn:${AWS::Partition}:sqs:::orbit-dev"}


@pytest.mark.parametrize("stage", STAGES)
def test_policy_has_no_wildcard_action_or_resource(stage: str) -> None:
    policy = json.loads((ROOT / ".chalice" / CONFIG["stages"][stage]["iam_policy_file"]).read_text())
    for statement in policy["Statement"]:
        actions = _listed(statement["Action"])
        assert not [a for a in actions if a == "*" or a.endswith(":*")], statement["Sid"]
        if not _unscoped(statement):
            assert "*" not in _listed(statement["Resource"]), statement["Sid"]


@pytest.mark.parametrize("stage", STAGES)
def test_policy_names_only_the_stage_resources(stage: str) -> None:
    policy = json.loads((ROOT / ".chalice" / CONFIG["stages"][stage]["iam_policy_file"]).read_text())
    for statement in policy["Statement"]:
        if _unscoped(statement):
            continue
        for resource in _listed(statement["Resource"]):
            if set(_listed(statement["Action"])) <= FOREIGN_RESOURCES.get(resource, set()):
                continue
            assert f"orbit-{stage}" in resource, resource


@pytest.mark.parametrize("stage", STAGES)
def test_policy_lets_the_queue_status_read_the_age_of_the_oldest_message(stage: str) -> None:
    policy = json.loads((ROOT / ".chalice" / CONFIG["stages"][stage]["iam_policy_file"]).read_text())
    assert [s for s in policy["Statement"] if "cloudwatch:GetMetricStatistics" in _listed(s["Action"])]


@pytest.mark.parametrize("stage", STAGES)
@pytest.mark.parametrize(
    "action",
    [
        "ses:SendEmail",
        "sns:Publish",
        "sns:CreatePlatformEndpoint",
        "sns:GetEndpointAttributes",
        "sns:SetEndpointAttributes",
        "ssm:GetParameter",
        "secretsmanager:GetSecretValue",
    ],
)
def test_policy_lets_the_providers_send_and_read_their_credentials(stage: str, action: str) -> None:
    policy = json.loads((ROOT / ".chalice" / CONFIG["stages"][stage]["iam_policy_file"]).read_text())
    assert [s for s in policy["Statement"] if action in _listed(s["Action"])], action


def test_a_content_encoding_the_gateway_refuses_is_a_415_in_the_error_shape(merged: dict[str, Any]) -> None:
    responses = merged["Resources"]["RestAPI"]["Properties"]["GatewayResponses"]
    refused = responses["UNSUPPORTED_MEDIA_TYPE"]
    assert "StatusCode" not in refused  # API Gateway's own 415 stands
    template = refused["ResponseTemplates"]["application/json"]
    assert json.loads(template.replace("$context.error.messageString", '"m"'))["error"]["code"] == (
        "unsupported_media_type"
    )


def test_the_packaged_api_declares_the_binary_media_types_that_carry_gzip_bodies() -> None:
    """``chalice package`` writes ``app.api.binary_types`` into the REST API's definition; with ``application/*`` and
    ``text/*`` there, a gzip body of any type a route accepts reaches the function byte for byte (base64)."""
    from chalice.deploy.swagger import CFNSwaggerGenerator

    from app import app

    definition = CFNSwaggerGenerator().generate_swagger(app)
    assert {"application/*", "text/*"} <= set(definition["x-amazon-apigateway-binary-media-types"])
    assert "*/*" not in definition["x-amazon-apigateway-binary-media-types"]


def _tables(stage: str) -> dict[str, str]:
    """Logical id → table name of every DynamoDB table in infra/resources.json, for ``stage``."""
    infra = json.loads((ROOT / "infra" / "resources.json").read_text())
    resources = substitute(infra["Resources"], {"Stage": stage})
    return {k: r["Properties"]["TableName"] for k, r in resources.items() if r["Type"] == "AWS::DynamoDB::Table"}


@pytest.mark.parametrize("stage", STAGES)
def test_policy_grants_every_table_of_the_stage_and_its_indexes(stage: str) -> None:
    policy = json.loads((ROOT / ".chalice" / CONFIG["stages"][stage]["iam_policy_file"]).read_text())
    (tables,) = [s for s in policy["Statement"] if s["Sid"] == "Tables"]
    for name in _tables(stage).values():
        assert f"arn:aws:dynamodb:*:*:table/{name}" in tables["Resource"], name
        assert f"arn:aws:dynamodb:*:*:table/{name}/index/*" in tables["Resource"], name


@pytest.mark.parametrize("stage", STAGES)
def test_every_table_reaches_the_settings_by_stage_config_and_local_provisioning(stage: str) -> None:
    from chalicelib.local.provision import OUTPUT_ENV
    from chalicelib.settings import ENV_VARS, settings_from_env

    infra = json.loads((ROOT / "infra" / "resources.json").read_text())
    outputs = {o["Value"]["Ref"]: key for key, o in infra["Outputs"].items() if "Ref" in o["Value"]}
    environment = CONFIG["stages"][stage]["environment_variables"]
    defaults = settings_from_env({"ORBIT_STAGE": stage})
    for logical_id, name in _tables(stage).items():
        variable = OUTPUT_ENV[outputs[logical_id]]
        assert environment[variable] == name
        (setting,) = [field for field, var in ENV_VARS.items() if var == variable]
        assert getattr(defaults, setting) == name
