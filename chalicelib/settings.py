"""Typed settings for every function; the one reader of ``os.environ``."""

from __future__ import annotations

import os
from functools import lru_cache
from typing import Literal

from pydantic import BaseModel, Field


class Settings(BaseModel):
    """Names of the stage's resources and tunables, read once per process."""

    stage: str = "dev"
    region: str = "us-east-1"
    contacts_table: str = Field(default="orbit-dev-contacts", min_length=1)
    events_table: str = Field(default="orbit-dev-events", min_length=1)
    orders_table: str = Field(default="orbit-dev-orders", min_length=1)
    meta_table: str = Field(default="orbit-dev-meta", min_length=1)
    products_table: str = Field(default="orbit-dev-products", min_length=1)
    segments_table: str = Field(default="orbit-dev-segments", min_length=1)
    messages_table: str = Field(default="orbit-dev-messages", min_length=1)
    journeys_table: str = Field(default="orbit-dev-journeys", min_length=1)
    events_queue: str = Field(default="orbit-dev-events", min_length=1)
    imports_queue: str = Field(default="orbit-dev-imports", min_length=1)
    events_dlq: str = Field(default="orbit-dev-events-dlq", min_length=1)
    imports_dlq: str = Field(default="orbit-dev-imports-dlq", min_length=1)
    events_retention_days: int = 400
    counter_window_days: int = 90
    dedupe_window_hours: int = Field(default=24, ge=1, le=24 * 14)
    consumer_concurrency: int = Field(default=8, ge=1, le=64)  # contacts of a batch written in parallel
    # how far ahead of the server's clock a client time may be: /v1/events and /v1/orders reject beyond it,
    # tracking calls are dated their receive time (docs/tracking.md, Time)
    max_future_skew_seconds: int = Field(default=300, ge=0, le=24 * 3600)
    time_scale: float = 1.0
    demo_site_key: str = ""
    allow_private_webhooks: bool = False
    # messages (docs/messages.md): each channel's provider ("email=ses,sms=sns"; a channel not named goes to the
    # sandbox), the secrets that sign tracking and unsubscribe links (comma-separated, the first signs; empty: a
    # secret generated once and kept in the messages table) and the public base URL those links point at (empty:
    # the URL the sending request came in on)
    message_providers: str = ""
    link_secret: str = ""
    # sending policies (docs/messages.md, Sending policies): frequency caps ("email=2/day,5/week;sms=1/day"), local
    # send hours ("09:00-21:00"), the zone of contacts without one, and campaign sends per second per provider
    # ("ses=14,sns=20"); parsed into ``messaging.policies.Policies`` by the composition root
    caps: str = ""
    send_hours: str = ""
    default_time_zone: str = "UTC"
    provider_rates: str = ""
    public_url: str = ""
    # providers (docs/providers.md): credentials are references (ssm:NAME or secretsmanager:NAME[#key]), never values
    ses_configuration_set: str = ""
    sns_sms_sender_id: str = ""
    sns_sms_type: str = "Transactional"
    sns_platform_application_arn: str = ""  # SNS mobile push: the FCM (GCM) platform application
    sns_apns_application_arn: str = ""  # and optionally an APNs one
    twilio_account_sid: str = ""
    twilio_auth_token: str = ""
    twilio_from: str = ""
    twilio_base_url: str = "https://api.twilio.com"
    telegram_bot_token: str = ""
    telegram_base_url: str = "https://api.telegram.org"
    telegram_bot_username: str = ""  # the bot's username: contact links are https://t.me/<username>?start=<code>
    viber_auth_token: str = ""
    viber_sender_name: str = ""
    viber_base_url: str = "https://chatapi.viber.com"
    viber_chat_uri: str = ""  # the bot's chat URI: contact links are viber://pa?chatURI=<uri>&context=<code>
    fcm_project: str = ""
    fcm_service_account: str = ""
    fcm_base_url: str = "https://fcm.googleapis.com"
    vapid_private_key: str = ""
    vapid_subject: str = ""
    # workflows (docs/operators.md, Workflows): the role Step Functions runs state machines as, the task function their
    # Task states call (both set by the packaged template and by the local runtime), and what executions start on:
    # the ``live`` alias (AWS) or the state machine itself (moto cannot start executions on an alias)
    workflow_role_arn: str = ""
    workflow_task_arn: str = ""
    workflow_start_on: Literal["alias", "machine"] = "alias"


ENV_VARS = {
    "stage": "ORBIT_STAGE",
    "region": "AWS_DEFAULT_REGION",
    "contacts_table": "ORBIT_CONTACTS_TABLE",
    "events_table": "ORBIT_EVENTS_TABLE",
    "orders_table": "ORBIT_ORDERS_TABLE",
    "meta_table": "ORBIT_META_TABLE",
    "products_table": "ORBIT_PRODUCTS_TABLE",
    "segments_table": "ORBIT_SEGMENTS_TABLE",
    "messages_table": "ORBIT_MESSAGES_TABLE",
    "journeys_table": "ORBIT_JOURNEYS_TABLE",
    "events_queue": "ORBIT_EVENTS_QUEUE",
    "imports_queue": "ORBIT_IMPORTS_QUEUE",
    "events_dlq": "ORBIT_EVENTS_DLQ",
    "imports_dlq": "ORBIT_IMPORTS_DLQ",
    "events_retention_days": "ORBIT_EVENTS_RETENTION_DAYS",
    "counter_window_days": "ORBIT_COUNTER_WINDOW_DAYS",
    "dedupe_window_hours": "ORBIT_DEDUPE_WINDOW_HOURS",
    "consumer_concurrency": "ORBIT_CONSUMER_CONCURRENCY",
    "max_future_skew_seconds": "ORBIT_MAX_FUTURE_SKEW_SECONDS",
    "time_scale": "ORBIT_TIME_SCALE",
    "demo_site_key": "ORBIT_DEMO_SITE_KEY",
    "allow_private_webhooks": "ORBIT_ALLOW_PRIVATE_WEBHOOKS",
    "message_providers": "ORBIT_MESSAGE_PROVIDERS",
    "link_secret": "ORBIT_LINK_SECRET",
    "caps": "ORBIT_CAPS",
    "send_hours": "ORBIT_SEND_HOURS",
    "default_time_zone": "ORBIT_DEFAULT_TIME_ZONE",
    "provider_rates": "ORBIT_PROVIDER_RATES",
    "public_url": "ORBIT_PUBLIC_URL",
    "ses_configuration_set": "ORBIT_SES_CONFIGURATION_SET",
    "sns_sms_sender_id": "ORBIT_SNS_SMS_SENDER_ID",
    "sns_sms_type": "ORBIT_SNS_SMS_TYPE",
    "sns_platform_application_arn": "ORBIT_SNS_PLATFORM_APPLICATION_ARN",
    "sns_apns_application_arn": "ORBIT_SNS_APNS_APPLICATION_ARN",
    "twilio_account_sid": "ORBIT_TWILIO_ACCOUNT_SID",
    "twilio_auth_token": "ORBIT_TWILIO_AUTH_TOKEN",
    "twilio_from": "ORBIT_TWILIO_FROM",
    "twilio_base_url": "ORBIT_TWILIO_BASE_URL",
    "telegram_bot_token": "ORBIT_TELEGRAM_BOT_TOKEN",
    "telegram_base_url": "ORBIT_TELEGRAM_BASE_URL",
    "telegram_bot_username": "ORBIT_TELEGRAM_BOT_USERNAME",
    "viber_auth_token": "ORBIT_VIBER_AUTH_TOKEN",
    "viber_sender_name": "ORBIT_VIBER_SENDER_NAME",
    "viber_base_url": "ORBIT_VIBER_BASE_URL",
    "viber_chat_uri": "ORBIT_VIBER_CHAT_URI",
    "fcm_project": "ORBIT_FCM_PROJECT",
    "fcm_service_account": "ORBIT_FCM_SERVICE_ACCOUNT",
    "fcm_base_url": "ORBIT_FCM_BASE_URL",
    "vapid_private_key": "ORBIT_VAPID_PRIVATE_KEY",
    "vapid_subject": "ORBIT_VAPID_SUBJECT",
    "workflow_role_arn": "ORBIT_WORKFLOW_ROLE_ARN",
    "workflow_task_arn": "ORBIT_WORKFLOW_TASK_ARN",
    "workflow_start_on": "ORBIT_WORKFLOW_START_ON",
}


def settings_from_env(environ: dict[str, str] | None = None) -> Settings:
    """Build settings from an environment mapping (``os.environ`` by default)."""
    env = os.environ if environ is None else environ
    values = {field: env[var] for field, var in ENV_VARS.items() if env.get(var)}
    stage = values.get("stage", "dev")
    for field in ("contacts", "events", "orders", "meta", "products", "segments", "messages", "journeys"):
        values.setdefault(f"{field}_table", f"orbit-{stage}-{field}")
    for queue in ("events", "imports"):
        values.setdefault(f"{queue}_queue", f"orbit-{stage}-{queue}")
        values.setdefault(f"{queue}_dlq", f"orbit-{stage}-{queue}-dlq")
    return Settings.model_validate(values)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings; tests call ``get_settings.cache_clear()``."""
    return settings_from_env()
