"""Render the merge template for ``chalice package --merge-template`` (``make package``).

    python -m infra.render --stage prod --out build/merge-prod.json

The output holds ``infra/resources.json``'s resources with ``${Stage}`` replaced by the literal stage
(the packaged template then needs no parameters), plus what Chalice cannot express itself:

* each queue consumer's SQS event source reports partial batch failures
  (``FunctionResponseTypes: [ReportBatchItemFailures]``) and reads the queue this template creates
  (``${EventsQueue.Arn}``, ``${ImportsQueue.Arn}``), so a fresh deploy creates the queue before the event
  source mapping;
* API Gateway's own errors leave in Orbit's error shape (an unknown route is a 404 ``not_found``,
  not API Gateway's 403 "Missing Authentication Token"; a ``Content-Encoding`` the gateway cannot decode,
  such as ``br``, is a 415 ``unsupported_media_type``), as the local runtime answers;
* every function gets the workflow settings (``ORBIT_WORKFLOW_ROLE_ARN``, ``ORBIT_WORKFLOW_TASK_ARN``), which
  name the account and so cannot be written in ``.chalice/config.json``;
* every function gets the name ``chalice deploy`` would give it (``orbit-<stage>`` for the API,
  ``orbit-<stage>-<name>`` for the others), so the log-group scoping in ``.chalice/policy-<stage>.json``
  holds on both deploy routes, and waits for the stage's tables.

Chalice deep-merges this file into its own template: dictionaries merge key by key, anything else
replaces Chalice's value.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESOURCES = ROOT / "infra" / "resources.json"
CHALICE_CONFIG = ROOT / ".chalice" / "config.json"
# each @app.on_sqs_message handler and the logical id of the queue it drains in infra/resources.json
CONSUMERS = {"consume_events": "EventsQueue", "consume_imports": "ImportsQueue"}
API_HANDLER = "APIHandler"  # Chalice's logical id for the REST API's function
REST_API = "RestAPI"  # Chalice's logical id for the AWS::Serverless::Api


def _error_shape(code: str, message: str) -> dict[str, Any]:
    """A VTL template for Orbit's error body; ``message`` is a JSON string or a VTL expression yielding one."""
    body = '{"error": {"code": "' + code + '", "message": ' + message + ', "details": []}}'
    return {"ResponseTemplates": {"application/json": body}}


# SAM folds these into the API's deployment, so a change redeploys the stage.
GATEWAY_RESPONSES = {
    "MISSING_AUTHENTICATION_TOKEN": {"StatusCode": "404", **_error_shape("not_found", '"No route for this path"')},
    "REQUEST_TOO_LARGE": _error_shape("payload_too_large", "$context.error.messageString"),
    # API Gateway itself refuses a body in a content coding it cannot decode (it inflates gzip and deflate)
    "UNSUPPORTED_MEDIA_TYPE": _error_shape("unsupported_media_type", "$context.error.messageString"),
    "THROTTLED": _error_shape("throttled", "$context.error.messageString"),
    "DEFAULT_4XX": _error_shape("bad_request", "$context.error.messageString"),
    "DEFAULT_5XX": _error_shape("internal_error", "$context.error.messageString"),
}


def cfn_name(name: str) -> str:
    """Chalice's logical id for a function name (``consume_events`` → ``ConsumeEvents``)."""
    from chalice.utils import to_cfn_resource_name

    return to_cfn_resource_name(name)


def substitute(node: Any, params: dict[str, str]) -> Any:
    """Replace ``${Param}`` / ``Ref: Param`` by literals; an ``Fn::Sub`` left with nothing to do becomes a string."""
    if isinstance(node, list):
        return [substitute(item, params) for item in node]
    if not isinstance(node, dict):
        return node
    if set(node) == {"Ref"} and node["Ref"] in params:
        return params[node["Ref"]]
    if set(node) == {"Fn::Sub"}:
        sub = node["Fn::Sub"]
        text, variables = (sub, None) if isinstance(sub, str) else (sub[0], sub[1])
        for name, value in params.items():
            if not variables or name not in variables:
                text = text.replace("${" + name + "}", value)
        if variables:
            return {"Fn::Sub": [text, substitute(variables, params)]}
        return text if "${" not in text else {"Fn::Sub": text}
    return {key: substitute(value, params) for key, value in node.items()}


def app_functions() -> list[tuple[str, str]]:
    """(logical id, Chalice function name) of every Lambda function the app defines."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from app import app

    functions = [(API_HANDLER, "")] if app.routes else []
    names = [source.name for source in app.event_sources] + [fn.name for fn in app.pure_lambda_functions]
    return functions + [(cfn_name(name), name) for name in names]


def workflow_settings(stage: str) -> dict[str, Any]:
    """The workflow settings every function gets: the state machines' role (``WorkflowRole`` in
    ``infra/resources.json``) and the ARN of the task function their Task states call (built from its name: a
    reference to the function itself would make it depend on itself)."""
    task = "arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:orbit-" + stage + "-workflow_task"
    return {
        "ORBIT_WORKFLOW_ROLE_ARN": {"Fn::GetAtt": ["WorkflowRole", "Arn"]},
        "ORBIT_WORKFLOW_TASK_ARN": {"Fn::Sub": task},
    }


def render(stage: str, functions: list[tuple[str, str]] | None = None) -> dict[str, Any]:
    infra: dict[str, Any] = json.loads(RESOURCES.read_text())
    pattern = infra["Parameters"]["Stage"].get("AllowedPattern", ".*")
    if not re.fullmatch(pattern, stage):
        raise ValueError(f"stage {stage!r} does not match {pattern}")
    app_name = json.loads(CHALICE_CONFIG.read_text())["app_name"]
    resources: dict[str, Any] = substitute(infra["Resources"], {"Stage": stage})
    tables = sorted(name for name, res in resources.items() if res["Type"] == "AWS::DynamoDB::Table")

    functions = app_functions() if functions is None else functions
    for logical_id, name in functions:
        function_name = f"{app_name}-{stage}" + (f"-{name}" if name else "")
        resources[logical_id] = {
            "DependsOn": tables,
            "Properties": {"FunctionName": function_name, "Environment": {"Variables": workflow_settings(stage)}},
        }
    if any(logical_id == API_HANDLER for logical_id, _ in functions):
        resources[REST_API] = {"Properties": {"GatewayResponses": GATEWAY_RESPONSES}}
    for name, queue in CONSUMERS.items():
        consumer = cfn_name(name)
        if consumer not in resources:
            raise ValueError(f"app.py has no {name!r} SQS handler; update CONSUMERS in infra/render.py")
        resources[consumer]["Properties"]["Events"] = {
            f"{consumer}SqsEventSource": {
                "Properties": {
                    # Chalice writes Fn::Sub with the queue's ARN by name; this keeps the key and names the
                    # resource, which makes the mapping wait for the queue.
                    "Queue": {"Fn::Sub": "${" + queue + ".Arn}"},
                    "FunctionResponseTypes": ["ReportBatchItemFailures"],
                }
            }
        }
    parameters = {k: v for k, v in infra.get("Parameters", {}).items() if k != "Stage"}
    template: dict[str, Any] = {
        "Description": f"Orbit ({stage}): API, functions, tables and queues",
        "Resources": resources,
        "Outputs": substitute(infra.get("Outputs", {}), {"Stage": stage}),
    }
    if parameters:
        template["Parameters"] = parameters
    return template


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--stage", required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    try:
        template = render(args.stage)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(template, indent=2) + "\n")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
