"""No request follows a redirect: the API key, a private key in a body or a signed assertion never
reach the address a redirect names, and the admin is told where it pointed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from core.crypto.keypair import KeyBundle
from core.errors import RedirectRefusedError
from core.transport import make_session
from core.unstructured.client import PlatformClient
from core.validation import validate_config
from tests.conftest import API_KEY, CONSUMER_KEY, USERNAME
from tests.core.test_cli import cli, submit_args
from tests.core.test_transport import login
from tests.fakes.platform import FakePlatform
from tests.fakes.salesforce import FakeSalesforce
from tests.fakes.tls import LoopbackTls, make_loopback_tls
from tests.platforms import windows_verifier_on_loopback

REDIRECTS = [301, 302, 303, 307, 308]


class Thief:
    """Another origin that records whatever reaches it."""

    def __init__(self) -> None:
        self.server = HTTPServer(host="127.0.0.1", threaded=True)
        self.received: list[tuple[str, str, dict[str, str], bytes]] = []

    def _handle(self, request: Request) -> Response:
        self.received.append((request.method, request.path, dict(request.headers), request.get_data()))
        return Response('{"id": "stolen", "access_token": "x", "instance_url": ""}', content_type="application/json")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.port}"


@pytest.fixture
def thief() -> Iterator[Thief]:
    import re

    thief = Thief()
    thief.server.expect_request(re.compile(".*")).respond_with_handler(thief._handle)
    thief.server.start()
    yield thief
    thief.server.clear()
    thief.server.stop()


@pytest.fixture
def client(platform: FakePlatform) -> PlatformClient:
    return PlatformClient(api_url=platform.api_url, api_key=API_KEY, timeout=(2.0, 2.0), sleep=lambda s: None)


@pytest.mark.parametrize("status", REDIRECTS)
def test_a_create_redirected_elsewhere_sends_neither_the_api_key_nor_the_private_key(
    client: PlatformClient, platform: FakePlatform, thief: Thief, key_bundle: KeyBundle, status: int
) -> None:
    platform.fail_next(status, "", method="POST", headers={"Location": f"{thief.url}/api/v1/sources/?t=secret"})
    config = validate_config(username=USERNAME, consumer_key=CONSUMER_KEY, private_key=key_bundle.private_key_pem)
    with pytest.raises(RedirectRefusedError) as info:
        client.create_source(name="sf", config=config)
    assert thief.received == []
    message = str(info.value)
    assert f"HTTP {status}" in message and f"{thief.url}/api/v1/sources/" in message
    assert "t=secret" not in message  # the query of a redirect may carry tokens
    assert "settings" in message  # where the admin can put that address, under the URL rules


@pytest.mark.parametrize("status", REDIRECTS)
def test_a_read_redirected_elsewhere_is_not_followed_nor_retried(
    client: PlatformClient, platform: FakePlatform, thief: Thief, status: int
) -> None:
    platform.fail_next(status, "", method="GET", headers={"Location": f"{thief.url}/api/v1/sources/"})
    with pytest.raises(RedirectRefusedError):
        client.list_sources()
    assert thief.received == []
    assert len(platform.requests_of("GET")) == 1


def test_a_relative_redirect_is_named_in_full_and_not_followed(client: PlatformClient, platform: FakePlatform) -> None:
    platform.fail_next(308, "", method="GET", headers={"Location": "/v2/sources/"})
    with pytest.raises(RedirectRefusedError) as info:
        client.list_sources()
    assert info.value.location == f"{platform.url}/v2/sources/"
    assert [r[1] for r in platform.requests] == ["/api/v1/sources/"]


def test_the_cli_does_not_report_a_redirected_create_as_created(
    platform: FakePlatform, thief: Thief, tmp_path: Path, key_bundle: KeyBundle, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("UNSTRUCTURED_API_KEY", API_KEY)
    key_file = tmp_path / "salesforce.pem"
    key_file.write_bytes(key_bundle.private_key_pem)
    platform.fail_next(307, "", method="POST", headers={"Location": f"{thief.url}/api/v1/sources/"})
    run = cli(*submit_args(key_file, platform))
    assert run.code == 1
    assert "Created" not in run.out and "redirect" in run.err and thief.url in run.err
    assert thief.received == []


@pytest.mark.parametrize("status", [302, 307, 308])
def test_a_redirected_token_request_sends_no_assertion_and_proves_nothing(
    salesforce: FakeSalesforce, thief: Thief, key_bundle: KeyBundle, status: int
) -> None:
    salesforce.fail_next(status, "", headers={"Location": f"{thief.url}/services/oauth2/token"})
    with pytest.raises(RedirectRefusedError):
        login(salesforce.url, key_bundle)
    assert thief.received == []


@pytest.fixture(scope="module")
def tls() -> LoopbackTls:
    return make_loopback_tls()


@windows_verifier_on_loopback
def test_https_redirected_to_plain_http_elsewhere_sends_nothing_in_clear(
    tls: LoopbackTls, tmp_path: Path, thief: Thief, key_bundle: KeyBundle, monkeypatch: pytest.MonkeyPatch
) -> None:
    bundle = tmp_path / "corporate-ca.pem"
    bundle.write_bytes(tls.ca_pem)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(bundle))
    secure = FakeSalesforce(ssl_context=tls.server_context(tmp_path)).start()
    try:
        secure.fail_next(307, "", headers={"Location": f"{thief.url}/services/oauth2/token"})
        with pytest.raises(RedirectRefusedError, match="http://127.0.0.1"):
            login(secure.url, key_bundle)
    finally:
        secure.stop()
    assert thief.received == []


def test_a_caller_that_says_allow_redirects_false_reads_the_answer_itself(thief: Thief) -> None:
    """``head`` (the clock check of doctor) reads a 3xx's Date header; nothing is followed either way."""
    target = HTTPServer(host="127.0.0.1")
    target.expect_request("/").respond_with_response(Response("", status=302, headers={"Location": thief.url}))
    target.start()
    try:
        session = make_session()
        response = session.head(f"http://127.0.0.1:{target.port}/", timeout=(2.0, 2.0))
        assert response.status_code == 302
        with pytest.raises(RedirectRefusedError):
            session.get(f"http://127.0.0.1:{target.port}/", timeout=(2.0, 2.0))
    finally:
        target.clear()
        target.stop()
    assert thief.received == []
