import json

import pytest

from chalicelib.errors import Permanent
from chalicelib.providers.secrets import credential


def test_an_ssm_parameter_is_read_decrypted_and_cached_per_process(clients):
    clients("ssm").put_parameter(Name="/orbit-test/twilio/token", Value="s3cret", Type="SecureString")
    assert credential(clients, "ssm:/orbit-test/twilio/token", "ORBIT_TWILIO_AUTH_TOKEN") == "s3cret"
    clients("ssm").put_parameter(Name="/orbit-test/twilio/token", Value="rotated", Type="SecureString", Overwrite=True)
    assert credential(clients, "ssm:/orbit-test/twilio/token", "ORBIT_TWILIO_AUTH_TOKEN") == "s3cret"


def test_a_secrets_manager_secret_whole_or_one_key_of_its_json(clients):
    clients("secretsmanager").create_secret(Name="orbit-test/bots", SecretString=json.dumps({"viber": "v-1"}))
    clients("secretsmanager").create_secret(Name="orbit-test/telegram", SecretString="123:abc")
    assert credential(clients, "secretsmanager:orbit-test/bots#viber", "X") == "v-1"
    assert credential(clients, "secretsmanager:orbit-test/telegram", "X") == "123:abc"
    with pytest.raises(Permanent, match="no 'fcm' key"):
        credential(clients, "secretsmanager:orbit-test/bots#fcm", "X")


@pytest.mark.parametrize("value", ["", "s3cret-in-the-environment", "ssm:"])
def test_a_setting_must_name_the_credential_not_hold_it(clients, value):
    with pytest.raises(Permanent, match="ORBIT_TWILIO_AUTH_TOKEN") as caught:
        credential(clients, value, "ORBIT_TWILIO_AUTH_TOKEN")
    assert "s3cret" not in str(caught.value)


def test_a_missing_credential_is_permanent_and_names_only_the_reference(clients):
    with pytest.raises(Permanent, match="ssm:/orbit-test/none.*ParameterNotFound"):
        credential(clients, "ssm:/orbit-test/none", "X")
