from __future__ import annotations

import socket
import time

import pytest

from core.crypto.keypair import KeyBundle
from core.errors import (
    ApiKeyRefusedError,
    ConnectorNotFoundError,
    InvalidInputError,
    NetworkError,
    PlatformApiError,
    RequestMayHaveReachedServerError,
)
from core.unstructured.client import PlatformClient, default_api_url, normalise_api_url
from core.validation import SalesforceConfig, validate_config
from tests.conftest import API_KEY, CONSUMER_KEY, USERNAME
from tests.fakes.platform import FakePlatform
from tests.fakes.salesforce import FakeSalesforce


@pytest.fixture
def config(key_bundle: KeyBundle) -> SalesforceConfig:
    return validate_config(username=USERNAME, consumer_key=CONSUMER_KEY, private_key=key_bundle.private_key_pem)


@pytest.fixture
def client(platform: FakePlatform) -> PlatformClient:
    return PlatformClient(api_url=platform.api_url, api_key=API_KEY, timeout=(2.0, 2.0), sleep=lambda s: None)


@pytest.mark.parametrize("suffix", ["", "/", "/api/v1", "/api/v1/"])
def test_both_url_forms_reach_the_specs_paths(platform: FakePlatform, suffix: str) -> None:
    client = PlatformClient(api_url=platform.url + suffix, api_key=API_KEY)
    assert client.list_sources() == []
    assert platform.requests[-1][:2] == ("GET", "/api/v1/sources/")


def test_default_url_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    assert default_api_url() == "https://platform.unstructuredapp.io/api/v1"
    monkeypatch.setenv("UNSTRUCTURED_API_URL", "https://custom.example.com/api/v1")
    assert default_api_url() == "https://custom.example.com/api/v1"
    assert normalise_api_url(default_api_url()) == "https://custom.example.com"


def test_the_host_alone_means_https() -> None:
    assert normalise_api_url("platform.unstructuredapp.io/api/v1/") == "https://platform.unstructuredapp.io"


@pytest.mark.parametrize("url", ["http://platform.unstructuredapp.io", "ftp://platform.unstructuredapp.io", ""])
def test_unsafe_api_urls_are_refused(url: str) -> None:
    with pytest.raises(InvalidInputError):
        PlatformClient(api_url=url, api_key=API_KEY)


def test_create_sends_a_spec_valid_body_and_returns_the_connector(
    client: PlatformClient, platform: FakePlatform, config: SalesforceConfig
) -> None:
    connector = client.create_source(name="sf-prod", config=config)
    assert connector.name == "sf-prod" and connector.type == "salesforce"
    method, path, body = platform.requests_of("POST")[0]
    assert path == "/api/v1/sources/"
    assert body["config"]["categories"] == ["Account", "Campaign", "Case", "EmailMessage", "Lead"]
    assert body["config"]["private_key"].startswith("-----BEGIN RSA PRIVATE KEY-----\n")
    assert platform.spec_violations == []
    assert "private_key" not in str(connector.redacted()).replace("'private_key': '<redacted>'", "")


def test_full_lifecycle_against_the_service(
    client: PlatformClient, platform: FakePlatform, config: SalesforceConfig
) -> None:
    created = client.create_source(name="sf", config=config)
    assert [c.id for c in client.list_sources()] == [created.id]
    assert client.get_source(created.id).name == "sf"
    updated = client.update_source(created.id, config=config)
    assert updated.updated_at
    assert platform.requests_of("PUT")[0][2] == {"config": config.to_api()}
    client.delete_source(created.id)
    with pytest.raises(ConnectorNotFoundError, match=created.id):
        client.get_source(created.id)


def test_connection_check_polls_to_success(
    client: PlatformClient, platform: FakePlatform, config: SalesforceConfig
) -> None:
    platform.scheduled_polls = 3
    created = client.create_source(name="sf", config=config)
    seen: list[str] = []
    check = client.run_connection_check(created.id, poll_interval=0, on_status=lambda c: seen.append(c.status))
    assert check.status == "SUCCESS"
    assert seen == ["SCHEDULED"] * 4 + ["SUCCESS"]


def test_connection_check_failure_carries_the_reason(
    client: PlatformClient, platform: FakePlatform, salesforce: FakeSalesforce, config: SalesforceConfig
) -> None:
    created = client.create_source(name="sf", config=config)
    next(iter(salesforce.apps.values())).approved.clear()
    check = client.run_connection_check(created.id, poll_interval=0)
    assert check.status == "FAILURE" and check.reason == "SalesforceAuthenticationFailed(code=invalid_grant)"
    from core.unstructured.inventory import explain_check_failure

    assert "run Verify login" in explain_check_failure(check.reason)


def test_connection_check_timeout(client: PlatformClient, platform: FakePlatform, config: SalesforceConfig) -> None:
    platform.scheduled_polls = 10**6
    created = client.create_source(name="sf", config=config)
    ticks = iter(range(1000))
    with pytest.raises(NetworkError, match="no verdict within 5 seconds"):
        client.run_connection_check(created.id, timeout=5, poll_interval=0, clock=lambda: next(ticks))


def test_refused_api_key_says_so(platform: FakePlatform, config: SalesforceConfig) -> None:
    client = PlatformClient(api_url=platform.api_url, api_key="wrong-key-123")
    with pytest.raises(ApiKeyRefusedError) as info:
        client.create_source(name="sf", config=config)
    assert (
        info.value.status == 401
        and "refused the API key" in str(info.value)
        and "API key is invalid" in str(info.value)
    )
    assert "wrong-key-123" not in str(info.value)


def test_validation_error_list_becomes_one_sentence(
    client: PlatformClient, platform: FakePlatform, config: SalesforceConfig
) -> None:
    platform.fail_next(
        422,
        {
            "detail": [
                {"loc": ["body", "config", "categories"], "msg": "Field required", "type": "missing"},
                {"loc": ["body", "name"], "msg": "too long", "type": "x"},
            ]
        },
    )
    with pytest.raises(PlatformApiError) as info:
        client.create_source(name="sf", config=config)
    assert "config.categories: Field required; name: too long" in str(info.value)


@pytest.mark.parametrize(
    ("status", "body", "ctype", "words"),
    [
        (422, {"detail": "Invalid config"}, "application/json", "Invalid config"),
        (412, {"errors": [{"field": "username", "message": "bad user"}]}, "application/json", "username: bad user"),
        (500, "Internal Server Error", "text/plain", "server error (HTTP 500: Internal Server Error)"),
        (
            502,
            "<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>",
            "text/html",
            "502 Bad Gateway",
        ),
        (409, {"detail": "Source connector with name sf already exists"}, "application/json", "already exists"),
        (403, "", "text/plain", "refused this operation"),
    ],
)
def test_error_bodies_of_every_shape(
    client: PlatformClient,
    platform: FakePlatform,
    config: SalesforceConfig,
    status: int,
    body: object,
    ctype: str,
    words: str,
) -> None:
    platform.fail_next(status, body, content_type=ctype)
    with pytest.raises(PlatformApiError) as info:
        client.create_source(name="sf", config=config)
    assert words in str(info.value) and info.value.status == status


def test_create_is_never_resent_after_a_server_error(
    client: PlatformClient, platform: FakePlatform, config: SalesforceConfig
) -> None:
    platform.fail_next(500, "boom", content_type="text/plain")
    with pytest.raises(PlatformApiError):
        client.create_source(name="sf", config=config)
    assert len(platform.requests_of("POST")) == 1


def test_create_timeout_says_it_may_have_arrived_and_is_not_resent(
    platform: FakePlatform, config: SalesforceConfig
) -> None:
    client = PlatformClient(api_url=platform.api_url, api_key=API_KEY, timeout=(1.0, 0.3))
    platform.fail_next(200, "{}", delay=1.5)
    with pytest.raises(RequestMayHaveReachedServerError, match="may have reached"):
        client.create_source(name="sf", config=config)
    assert platform.wait_idle()
    assert len(platform.requests_of("POST")) == 1


def test_reads_are_retried_honouring_retry_after(platform: FakePlatform) -> None:
    slept: list[float] = []
    client = PlatformClient(api_url=platform.api_url, api_key=API_KEY, sleep=slept.append)
    platform.fail_next(503, "busy", content_type="text/plain", headers={"Retry-After": "2"})
    platform.fail_next(429, "slow down", content_type="text/plain", headers={"Retry-After": "999"})
    assert client.list_sources() == []
    assert slept == [2.0, 10.0]  # Retry-After honoured, and capped
    assert len(platform.requests_of("GET")) == 3


def test_reads_give_up_after_bounded_retries(platform: FakePlatform) -> None:
    client = PlatformClient(api_url=platform.api_url, api_key=API_KEY, sleep=lambda s: None)
    for _ in range(3):
        platform.fail_next(500, "down", content_type="text/plain")
    with pytest.raises(PlatformApiError, match="HTTP 500"):
        client.list_sources()
    assert len(platform.requests_of("GET")) == 3


def test_slow_read_times_out_within_the_limit(platform: FakePlatform) -> None:
    client = PlatformClient(api_url=platform.api_url, api_key=API_KEY, timeout=(1.0, 0.3), sleep=lambda s: None)
    platform.delay = 1.0
    started = time.monotonic()
    with pytest.raises(NetworkError, match="did not answer in time"):
        client.list_sources()
    assert time.monotonic() - started < 5


def test_refused_connection_is_unreachable_not_maybe_sent(config: SalesforceConfig) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    client = PlatformClient(api_url=f"http://127.0.0.1:{port}", api_key=API_KEY, sleep=lambda s: None)
    with pytest.raises(NetworkError, match="Could not reach") as info:
        client.create_source(name="sf", config=config)
    assert not isinstance(info.value, RequestMayHaveReachedServerError)


def test_non_json_success_is_reported(client: PlatformClient, platform: FakePlatform) -> None:
    platform.fail_next(200, "<html>login page</html>", content_type="text/html")
    with pytest.raises(PlatformApiError, match="not JSON"):
        client.list_sources()


def test_unknown_id_shape_is_refused_before_sending(client: PlatformClient, platform: FakePlatform) -> None:
    with pytest.raises(InvalidInputError):
        client.get_source("../../etc")
    assert platform.requests == []


def test_error_bodies_are_redacted(client: PlatformClient, platform: FakePlatform, config: SalesforceConfig) -> None:
    platform.fail_next(500, f"could not parse {config.private_key}", content_type="text/plain")
    with pytest.raises(PlatformApiError) as info:
        client.create_source(name="sf", config=config)
    assert "PRIVATE KEY" not in str(info.value).replace("[REDACTED PRIVATE KEY]", "")


def test_a_hung_server_cannot_hold_a_read_beyond_the_call_budget(platform: FakePlatform) -> None:
    client = PlatformClient(api_url=platform.api_url, api_key=API_KEY, timeout=(1.0, 0.6), budget=1.5)
    platform.delay = 3.0
    started = time.monotonic()
    with pytest.raises(NetworkError, match="did not answer in time"):
        client.list_sources()
    assert time.monotonic() - started < 2.5
    assert len(platform.requests_of("GET")) <= 2


@pytest.mark.parametrize(
    "reason",
    [
        "SalesforceAuthenticationFailed(status=401, code=invalid_grant)",  # current connectors
        "SalesforceAuthenticationFailed(code=invalid_grant)",  # earlier ones
        "SalesforceAuthenticationFailed(code='invalid_grant', status=400)",
        "Error: SalesforceAuthenticationFailed: invalid_grant",
    ],
)
def test_the_oauth_code_is_found_wherever_it_stands_in_a_failed_check(reason: str) -> None:
    from core.unstructured.inventory import explain_check_failure, login_failure_code

    assert login_failure_code(reason) == "invalid_grant"  # before: "status" for the current form
    assert "Salesforce refused the connector's login (invalid_grant)" in explain_check_failure(reason)
    in_manage = explain_check_failure(reason, where="manage")
    assert "verify command" not in in_manage and "Finish it" in in_manage and "Rotate automatically" in in_manage


def test_a_failed_listing_query_is_explained_as_a_category_that_cannot_be_read() -> None:
    from core.unstructured.inventory import explain_check_failure

    reason = "TypeError: SalesforceError.__init__() missing 3 required positional arguments: 'status', 'resource_name', and 'content'"
    said = explain_check_failure(reason)
    assert "one of its categories cannot be read" in said and "verify --categories" in said
