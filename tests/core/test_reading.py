"""What the connector will read: per category readable or not and how many records, and the first
run against the org's daily API allowance (verify --categories, and the use case under it)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from cli import Cli, run
from core.crypto.keypair import KeyBundle
from core.salesforce.connector_reader import (
    QUERY_BATCH,
    Allowance,
    CategoryReading,
    allowance_warnings,
    first_run_calls,
)
from core.usecases.reading import survey_reading
from tests.conftest import CONSUMER_KEY, FAST, USERNAME
from tests.core.test_cli import Run
from tests.fakes.salesforce_org import FakeOrg

ALL = "Account,Campaign,Case,EmailMessage,Lead"


@pytest.fixture
def connector_org(org: FakeOrg, key_bundle: KeyBundle) -> FakeOrg:
    """The org with the connector's app admitting its user: the JWT login works."""
    assert key_bundle.cert_pem is not None
    org.register_app(CONSUMER_KEY, key_bundle.cert_pem, approved={USERNAME})
    return org


@pytest.fixture
def key_file(tmp_path: Path, key_bundle: KeyBundle) -> Path:
    path = tmp_path / "salesforce.key"
    path.write_bytes(key_bundle.private_key_pem)
    return path


def cli(*argv: str) -> Run:
    out, err = io.StringIO(), io.StringIO()
    code = run(list(argv), session=Cli(stdout=out, stderr=err, stdin=io.StringIO(""), timings=FAST))
    return Run(code, out.getvalue(), err.getvalue())


def verify(org: FakeOrg, key_file: Path, *extra: str) -> Run:
    return cli(
        "verify", "--username", USERNAME, "--consumer-key", CONSUMER_KEY, "--private-key", str(key_file),
        "--login-url", org.url, *extra,
    )  # fmt: skip


def test_a_mixed_org_shows_each_category_and_exits_1(connector_org: FakeOrg, key_file: Path) -> None:
    connector_org.disabled_objects = {"Campaign"}
    connector_org.unreadable[USERNAME] = {"EmailMessage"}
    result = verify(connector_org, key_file, "--categories", ALL)
    assert result.code == 1, result.err
    lines = result.out.splitlines()
    assert lines[0].startswith("The JWT login works: " + USERNAME)
    assert "  Account       readable, 1,234 records" in lines
    assert "  Case          readable, 57 records" in lines
    campaign = next(line for line in lines if line.startswith("  Campaign"))
    assert "NOT readable" in campaign and "INVALID_TYPE: sObject type 'Campaign' is not supported" in campaign
    assert "ERROR at Row" not in result.out and "^" not in campaign  # the query's echo is not Salesforce's point
    text = " ".join(result.out.split())
    assert "Give the connector's user Read on Campaign" in text and "custom object" not in text
    email = text[text.index("EmailMessage NOT readable") : text.index("Lead readable")]
    assert "Read on Cases" in email  # a user reads an email message through its parent case
    # Account 1 + 1234, Case 1 + 57, Lead 1 + 80: the unreadable ones cost nothing (they fail the run)
    assert "reads 1,371 records with about 1,374 API requests" in result.out
    assert "cannot read Campaign, EmailMessage" in result.err and "leave them out" in result.err


def test_json_gives_one_object_with_login_categories_and_api(connector_org: FakeOrg, key_file: Path) -> None:
    connector_org.disabled_objects = {"Campaign"}
    connector_org.api_used = 1000
    result = verify(connector_org, key_file, "--categories", "Account,Campaign,Lead", "--json")
    assert result.code == 1
    body = json.loads(result.out)
    assert body["login"] == {"username": USERNAME, "org_id": connector_org.org_id, "instance_url": connector_org.url}
    assert [(c["name"], c["readable"], c["records"]) for c in body["categories"]] == [
        (
            "Account",
            True,
            1234,
        ),
        ("Campaign", False, None),
        ("Lead", True, 80),
    ]
    assert body["categories"][0]["reason"] is None and "not supported" in body["categories"][1]["reason"]
    # 1000 used before, 3 counts now: the limits resource itself is free
    assert body["api"] == {
        "daily_max": 15000,
        "daily_remaining": 15000 - 1003,
        "first_run_calls": 1235 + 81,
        "first_run_logins": 1234 + 80 + 2,  # one per record, the precheck and the listing
    }


def test_every_category_readable_exits_0(connector_org: FakeOrg, key_file: Path) -> None:
    result = verify(connector_org, key_file, "--categories", "Account,Case", "--json")
    assert result.code == 0, result.err
    assert all(c["readable"] for c in json.loads(result.out)["categories"])


def test_a_refused_login_exits_1_with_no_counts(connector_org: FakeOrg, key_file: Path) -> None:
    connector_org.apps[CONSUMER_KEY].approved.clear()
    result = verify(connector_org, key_file, "--categories", "Account", "--json")
    assert result.code == 1
    body = json.loads(result.out)
    assert body["login"] is None and body["categories"] == [] and body["api"] is None
    assert "approved" in body["error"]["message"] and "Approval URL" in result.err
    assert connector_org.api_used == 0  # nothing was counted


def test_without_categories_verify_is_the_login_alone(connector_org: FakeOrg, key_file: Path) -> None:
    plain = verify(connector_org, key_file)
    assert plain.code == 0 and plain.out.startswith("The JWT login works") and "readable" not in plain.out
    as_json = json.loads(verify(connector_org, key_file, "--json").out)
    assert as_json == {
        "login": {"username": USERNAME, "org_id": connector_org.org_id, "instance_url": connector_org.url}
    }
    assert connector_org.api_used == 0


def test_a_wrong_category_name_exits_2_before_any_request(connector_org: FakeOrg, key_file: Path) -> None:
    result = verify(connector_org, key_file, "--categories", "Account,account,Contact")
    assert result.code == 2 and "Did you mean 'Account'" in result.err
    assert connector_org.token_requests == []


def test_an_org_over_its_allowance_reads_nothing_and_says_why(connector_org: FakeOrg, key_file: Path) -> None:
    connector_org.api_used = connector_org.api_max
    result = verify(connector_org, key_file, "--categories", "Account,Lead", "--json")
    assert result.code == 1
    body = json.loads(result.out)
    assert [c["readable"] for c in body["categories"]] == [False, False]
    assert "REQUEST_LIMIT_EXCEEDED" in body["categories"][0]["reason"]
    assert "used all its API requests of the last 24 hours" in body["categories"][0]["reason"]
    assert body["api"]["daily_remaining"] == 0


def test_a_first_run_beyond_what_is_left_is_warned_about(connector_org: FakeOrg, key_file: Path) -> None:
    connector_org.api_used = 14500  # 500 left; Account alone needs 1,235
    result = verify(connector_org, key_file, "--categories", "Account")
    assert result.code == 0  # readable: the warning does not fail the check
    assert "Warning: The first run needs about 1,235 API requests, more than the 499 the org has left" in result.err


def test_a_user_who_may_not_read_limits_gets_them_from_the_usage_header(connector_org: FakeOrg, key_file: Path) -> None:
    connector_org.limits_hidden_from = {USERNAME}
    body = json.loads(verify(connector_org, key_file, "--categories", "Lead", "--json").out)
    assert body["api"] == {"daily_max": 15000, "daily_remaining": 14999, "first_run_calls": 81, "first_run_logins": 82}
    connector_org.usage_header = False  # a proxy that strips Salesforce's headers: unknown, and said
    result = verify(connector_org, key_file, "--categories", "Lead", "--json")
    assert result.code == 0 and json.loads(result.out)["api"] is None
    assert "may not read the org's API limits" in result.err and "View Setup and Configuration" in result.err


def test_the_survey_uses_the_connectors_api_version_and_its_own_token(
    connector_org: FakeOrg, key_bundle: KeyBundle
) -> None:
    survey = survey_reading(
        username=USERNAME,
        consumer_key=CONSUMER_KEY,
        private_key=key_bundle.key,
        categories=["Case"],
        login_url=connector_org.url,
        timings=FAST,
    )
    assert survey.readable and survey.reading("Case") == CategoryReading("Case", True, 57)
    assert connector_org.admin_tokens == {}  # no admin sign-in: the connector's own login did it
    assert "57.0" in connector_org.api_versions and repr(survey).count("access_token") == 0


@pytest.mark.parametrize(
    ("records", "calls"), [(0, 1), (1, 2), (QUERY_BATCH, 1 + QUERY_BATCH), (QUERY_BATCH + 1, 2 + QUERY_BATCH + 1)]
)
def test_the_estimate_counts_listing_batches_and_one_call_per_record(records: int, calls: int) -> None:
    assert first_run_calls([CategoryReading("Account", True, records)]) == calls
    assert first_run_calls([CategoryReading("Account", False, None, code="INVALID_TYPE")]) == 0


def test_warnings_for_what_is_left_and_for_half_the_daily_maximum() -> None:
    assert allowance_warnings(100, Allowance(15000, 15000)) == []
    assert allowance_warnings(100, None) == []
    [left] = allowance_warnings(600, Allowance(15000, 500))
    assert "more than the 500" in left
    [half] = allowance_warnings(8000, Allowance(15000, 15000))
    assert "more than half" in half and "8,000 of 15,000" in half


def test_simple_salesforce_reads_the_fake_as_the_connector_does(connector_org: FakeOrg, key_bundle: KeyBundle) -> None:
    """The connector's own library (simple_salesforce at API 57.0) reads the same answers."""
    from urllib.parse import urlsplit

    from simple_salesforce.api import Salesforce
    from simple_salesforce.exceptions import SalesforceMalformedRequest
    from simple_salesforce.login import SalesforceLogin

    from tests.fakes.loopback import routed_session

    connector_org.disabled_objects = {"Campaign"}
    session_id, instance = SalesforceLogin(
        username=USERNAME,
        consumer_key=CONSUMER_KEY,
        privatekey=key_bundle.private_key_pem.decode(),
        domain="login",
        session=routed_session("login.salesforce.com", connector_org.url),
    )
    assert instance == urlsplit(connector_org.url).netloc
    sf = Salesforce(
        session_id=session_id, instance=instance, version="57.0", session=routed_session(instance, connector_org.url)
    )
    assert sf.query("SELECT COUNT() FROM Account")["totalSize"] == 1234
    assert sf.limits()["DailyApiRequests"]["Max"] == 15000
    assert sf.api_usage["api-usage"].used == 1 and sf.api_usage["api-usage"].total == 15000
    with pytest.raises(SalesforceMalformedRequest, match="INVALID_TYPE"):
        sf.query("SELECT COUNT() FROM Campaign")


def test_a_first_run_with_more_logins_than_an_hour_allows_is_warned_about(
    connector_org: FakeOrg, key_file: Path
) -> None:
    """The connector logs in once per record; Salesforce allows 3,600 logins per user per hour."""
    connector_org.records["Account"] = 5000
    result = verify(connector_org, key_file, "--categories", "Account", "--json")
    body = json.loads(result.out)
    assert body["api"]["first_run_logins"] == 5002
    said = verify(connector_org, key_file, "--categories", "Account").err
    assert "about 5,002 logins" in said and "3,600 logins per user per hour (LOGIN_RATE_EXCEEDED)" in said
    assert "fewer categories" in said and "more than 2 hours" in said
    connector_org.records["Account"] = 3000
    assert "LOGIN_RATE_EXCEEDED" not in verify(connector_org, key_file, "--categories", "Account").err


def test_the_estimate_says_the_allowance_may_lag_and_the_limit_header_splits_on_semicolons(
    connector_org: FakeOrg, key_file: Path
) -> None:
    from core.salesforce.connector_reader import _usage

    said = verify(connector_org, key_file, "--categories", "Lead").out
    assert "daily API requests left now (Salesforce's count may lag up to 5 minutes)" in said

    assert _usage("api-usage=25/5000; per-app-api-usage=17/250(appName=Unstructured)") == (25, 5000)
    assert _usage("per-app-api-usage=17/250(appName=x); api-usage=26/5000") == (26, 5000)  # before: lost


def test_the_waits_say_how_long_each_kind_of_app_takes() -> None:
    from core.salesforce import login

    assert "usually apply at once, sometimes after minutes" in login._PROPAGATION
    assert "Connected App's can take up to 10 minutes" in login._PROPAGATION
