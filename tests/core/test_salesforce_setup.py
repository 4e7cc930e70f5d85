"""The automated Salesforce set-up against a loopback org that checks what Salesforce checks."""

from __future__ import annotations

import io
import re
import threading
import zipfile
from typing import Any

import pytest
import requests

from core.crypto.keypair import KeyBundle
from core.errors import (
    AppAlreadyExists,
    CancelledError,
    InvalidInputError,
    OrgApiError,
    PropagationTimeout,
    SalesforceLoginError,
    SetupFailed,
    SignInError,
)
from core.salesforce.login import LoginResult
from core.salesforce.metadata import AppSpec, app_package, component_files, new_consumer_key, package_xml
from core.salesforce.org import AdminSession, OrgClient
from core.salesforce.signin import sign_in
from core.steps.login_wait import wait_for_connector_login
from core.steps.org_state import undo_setup
from core.steps.progress import CancelToken, LoginAttempt, Runtime, ignore
from core.storage.settings import Settings
from core.usecases.rotation import replace_certificate
from core.usecases.salesforce_app import SetupPlan, apply_setup, plan_setup
from tests.conftest import FAST, USERNAME
from tests.fakes.salesforce_org import FakeOrg


def plan(client: OrgClient, bundle: KeyBundle, **options: Any) -> SetupPlan:
    assert bundle.cert_pem is not None
    return plan_setup(
        client,
        username=options.pop("username", USERNAME),
        certificate_pem=bundle.cert_pem.decode(),
        contact_email="admin@example.com",
        **options,
    )


def cancelled() -> CancelToken:
    token = CancelToken()
    token.cancel()
    return token


def connector_login(org: FakeOrg, bundle: KeyBundle, consumer_key: str, **options: Any) -> LoginResult:
    timings = FAST._replace(
        login_poll_interval=options.pop("poll_interval", 0.05),
        login_wait=options.pop("timeout", 5.0),
        http_timeout=(2.0, 5.0),
    )
    run = Runtime(
        progress=options.pop("progress", ignore), cancel=options.pop("cancel", CancelToken()), timings=timings
    )
    return wait_for_connector_login(
        username=USERNAME,
        consumer_key=consumer_key,
        private_key=bundle.key,
        login_url=org.url,
        run=run,
        **options,
    )


# --- the whole path ---------------------------------------------------------------------------------


def test_set_up_creates_the_app_the_connectors_login_then_works(
    client: OrgClient, org: FakeOrg, key_bundle: KeyBundle
) -> None:
    the_plan = plan(client, key_bundle)
    words = "\n".join(the_plan.describe())
    assert "Unstructured_Connector_Users" in words and USERNAME in words and "Unstructured_Connector" in words
    assert org.org_apps == {} and org.permission_sets == {}  # the plan changed nothing
    assert org.deploy_requests[-1]["options"]["checkOnly"] is True

    result = apply_setup(client, the_plan, org_id=org.org_id)
    assert [kind for kind, _ in result.created] == [
        "PermissionSet",
        "PermissionSetAssignment",
        "ExternalClientApplication",
    ]
    app = org.org_apps["Unstructured_Connector"]
    assert app.consumer_key == result.consumer_key and app.ip_relaxation == "Enforce"
    assert app.permission_set == "Unstructured_Connector_Users"

    login = connector_login(org, key_bundle, result.consumer_key)
    assert login.username == USERNAME and login.org_id == org.org_id

    settings = Settings()
    result.apply(settings)
    record = settings.salesforce_app(result.consumer_key)
    assert record is not None and record.app_name == "Unstructured_Connector" and record.created_permission_set


def test_the_connectors_own_library_logs_in_through_the_new_app(
    client: OrgClient, org: FakeOrg, key_bundle: KeyBundle
) -> None:
    from simple_salesforce.login import SalesforceLogin

    from tests.fakes.loopback import routed_session

    result = apply_setup(client, plan(client, key_bundle))
    session_id, _ = SalesforceLogin(
        username=USERNAME,
        consumer_key=result.consumer_key,
        privatekey=key_bundle.private_key_pem.decode(),
        domain="login",
        session=routed_session("login.salesforce.com", org.url),
    )
    assert session_id


def test_only_users_holding_the_permission_set_are_admitted(
    client: OrgClient, org: FakeOrg, key_bundle: KeyBundle
) -> None:
    org.add_user("other@example.com")
    result = apply_setup(client, plan(client, key_bundle))
    with pytest.raises(SalesforceLoginError) as info:
        wait_for_connector_login(
            username="other@example.com",
            consumer_key=result.consumer_key,
            private_key=key_bundle.key,
            login_url=org.url,
            run=Runtime(timings=FAST._replace(login_poll_interval=0.05, login_wait=2.0)),
        )
    assert info.value.error == "invalid_app_access"  # not retried: waiting cannot fix it


def test_a_reused_permission_set_and_assignment_are_not_created_again(
    client: OrgClient, org: FakeOrg, key_bundle: KeyBundle
) -> None:
    ps = client.create("PermissionSet", {"Name": "Unstructured_Connector_Users", "Label": "x"})
    client.create("PermissionSetAssignment", {"AssigneeId": org.user_id(USERNAME), "PermissionSetId": ps})
    the_plan = plan(client, key_bundle)
    assert the_plan.permission_set_id == ps and the_plan.assignment_exists
    assert "use the existing permission set" in "\n".join(the_plan.describe())
    result = apply_setup(client, the_plan)
    assert [kind for kind, _ in result.created] == ["ExternalClientApplication"]


def test_ip_relaxation_relax_is_written_as_bypass(client: OrgClient, org: FakeOrg, key_bundle: KeyBundle) -> None:
    apply_setup(client, plan(client, key_bundle, ip_relaxation="relax"))
    assert org.org_apps["Unstructured_Connector"].ip_relaxation == "Bypass"


# --- waiting for Salesforce ------------------------------------------------------------------------


def test_the_login_is_polled_until_salesforce_has_applied_the_app(
    client: OrgClient, org: FakeOrg, key_bundle: KeyBundle
) -> None:
    org.propagation_delay = 0.6
    result = apply_setup(client, plan(client, key_bundle))
    seen: list[LoginAttempt] = []
    login = connector_login(org, key_bundle, result.consumer_key, poll_interval=0.2, progress=seen.append)
    assert login.username == USERNAME
    assert seen and all("invalid_client_id" in a.answer for a in seen)
    assert seen == sorted(seen, key=lambda a: a.elapsed)


def test_a_login_that_never_works_ends_with_a_sentence(client: OrgClient, org: FakeOrg, key_bundle: KeyBundle) -> None:
    org.never_propagates = True
    result = apply_setup(client, plan(client, key_bundle))
    with pytest.raises(PropagationTimeout, match="still answers 'invalid_client_id.*nothing needs to be created again"):
        connector_login(org, key_bundle, result.consumer_key, poll_interval=0.1, timeout=0.5)


def test_when_only_my_domain_works_it_says_exactly_that(client: OrgClient, org: FakeOrg, key_bundle: KeyBundle) -> None:
    org.my_domain_only = True
    result = apply_setup(client, plan(client, key_bundle))
    with pytest.raises(PropagationTimeout) as info:
        connector_login(
            org, key_bundle, result.consumer_key, poll_interval=0.1, timeout=0.5, my_domain_url=org.my_domain_url
        )
    message = str(info.value)
    assert f"works through your My Domain host ({org.my_domain_url})" in message
    assert "can only log in through" in message


def test_waiting_can_be_cancelled(client: OrgClient, org: FakeOrg, key_bundle: KeyBundle) -> None:
    org.never_propagates = True
    result = apply_setup(client, plan(client, key_bundle))
    with pytest.raises(CancelledError):
        connector_login(org, key_bundle, result.consumer_key, poll_interval=5.0, timeout=60.0, cancel=cancelled())


# --- pre-flight refusals: nothing is created ---------------------------------------------------------


def test_an_org_below_api_60_is_refused_in_a_sentence(client: OrgClient, org: FakeOrg, key_bundle: KeyBundle) -> None:
    org.api_versions = ["57.0", "58.0", "59.0"]
    with pytest.raises(InvalidInputError, match="newest API version is 59.0.*60.0 or later"):
        plan(client, key_bundle)


@pytest.mark.parametrize("active", [None, False])
def test_a_missing_or_inactive_connector_user_is_refused(
    client: OrgClient, org: FakeOrg, key_bundle: KeyBundle, active: bool | None
) -> None:
    if active is False:
        org.add_user("idle@example.com", active=False)
    with pytest.raises(InvalidInputError, match="inactive" if active is False else "no user") as info:
        plan(client, key_bundle, username="idle@example.com" if active is False else "nobody@example.com")
    assert info.value.field == "username" and org.deploy_requests == []


def test_a_username_with_a_quote_is_escaped_in_soql(client: OrgClient, org: FakeOrg, key_bundle: KeyBundle) -> None:
    org.add_user("o'brien@example.com")
    the_plan = plan(client, key_bundle, username="o'brien@example.com")
    assert the_plan.user.username == "o'brien@example.com"


def test_an_existing_app_of_that_name_offers_rotation(client: OrgClient, org: FakeOrg, key_bundle: KeyBundle) -> None:
    apply_setup(client, plan(client, key_bundle))
    with pytest.raises(AppAlreadyExists, match="already exists") as info:
        plan(client, key_bundle)
    # In words both front ends can show: the wizard has no --app-name (it said "(--app-name)" before).
    assert "rotate" in str(info.value) and "another app name" in str(info.value) and "--" not in str(info.value)


def test_an_admin_who_may_not_deploy_is_told_before_anything_is_created(
    client: OrgClient, org: FakeOrg, key_bundle: KeyBundle
) -> None:
    org.admin_can_deploy = False
    with pytest.raises(OrgApiError, match="INSUFFICIENT_ACCESS") as info:
        plan(client, key_bundle)
    assert "System Administrator" in str(info.value)
    assert org.permission_sets == {} and org.assignments == [] and org.org_apps == {}


def test_an_expired_admin_session_says_sign_in_again(org: FakeOrg, key_bundle: KeyBundle) -> None:
    stale = OrgClient(AdminSession(instance_url=org.url, access_token="00D!expired"), timeout=(2.0, 5.0))
    with pytest.raises(OrgApiError, match="sign in to Salesforce again"):
        plan(stale, key_bundle)


def test_the_plan_never_shows_or_logs_the_admin_token(client: OrgClient, org: FakeOrg, key_bundle: KeyBundle) -> None:
    token = next(iter(org.admin_tokens))
    the_plan = plan(client, key_bundle)
    assert token not in repr(the_plan) and token not in "\n".join(the_plan.describe())
    assert token not in repr(AdminSession(instance_url=org.url, access_token=token))


# --- a failure after something was created: undo ----------------------------------------------------


def test_a_deploy_failure_after_the_permission_set_offers_undo_and_undo_removes_it(
    client: OrgClient, org: FakeOrg, key_bundle: KeyBundle
) -> None:
    the_plan = plan(client, key_bundle)
    org.deploy_failures = [
        {
            "componentType": "ExtlClntAppGlobalOauthSettings",
            "fullName": "Unstructured_Connector_glbl",
            "problem": "The consumer key is already taken.",
            "problemType": "Error",
        }
    ]
    with pytest.raises(SetupFailed) as info:
        apply_setup(client, the_plan)
    failure = info.value
    assert "ExtlClntAppGlobalOauthSettings Unstructured_Connector_glbl: The consumer key is already taken" in str(
        failure
    )
    assert [kind for kind, _ in failure.created] == ["PermissionSet", "PermissionSetAssignment"]
    assert org.permission_sets and org.assignments
    assert undo_setup(client, failure.created, api_version=the_plan.api_version) == []
    assert org.permission_sets == {} and org.assignments == [] and org.org_apps == {}


def test_undo_removes_a_created_app_too(client: OrgClient, org: FakeOrg, key_bundle: KeyBundle) -> None:
    the_plan = plan(client, key_bundle)
    result = apply_setup(client, the_plan)
    assert undo_setup(client, result.created, api_version=the_plan.api_version) == []
    assert org.org_apps == {} and org.permission_sets == {}


# --- replacing the certificate ----------------------------------------------------------------------


def test_replacing_the_certificate_switches_the_login_to_the_new_key(
    client: OrgClient, org: FakeOrg, key_bundle: KeyBundle, other_bundle: KeyBundle
) -> None:
    result = apply_setup(client, plan(client, key_bundle))
    connector_login(org, key_bundle, result.consumer_key)
    assert other_bundle.cert_pem is not None
    replace_certificate(
        client,
        app_name=result.app_name,
        consumer_key=result.consumer_key,
        certificate_pem=other_bundle.cert_pem.decode(),
    )
    assert connector_login(org, other_bundle, result.consumer_key).username == USERNAME
    with pytest.raises(SalesforceLoginError, match="invalid assertion"):
        connector_login(org, key_bundle, result.consumer_key)


# --- the loopback org is as strict as Salesforce ------------------------------------------------------


def _deploy_files(client: OrgClient, files: dict[str, bytes]) -> str:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path, data in files.items():
            archive.writestr(path, data)
    outcome = client.deploy(buffer.getvalue(), check_only=True)
    return "; ".join(f.problem for f in outcome.failures)


def _spec(key_bundle: KeyBundle, **changes: str) -> AppSpec:
    assert key_bundle.cert_pem is not None
    values = dict(
        name="Strict_App",
        label="Strict",
        contact_email="a@b.co",
        certificate_pem=key_bundle.cert_pem.decode(),
        consumer_key=new_consumer_key(),
        permission_set="",
    )
    values.update(changes)
    return AppSpec(**values)  # type: ignore[arg-type]


def test_the_fake_refuses_elements_out_of_schema_order(client: OrgClient, key_bundle: KeyBundle) -> None:
    package = zipfile.ZipFile(io.BytesIO(app_package(_spec(key_bundle), api_version="63.0")))
    files = {n: package.read(n) for n in package.namelist()}
    path = "externalClientApps/Strict_App.eca"
    text = files[path].decode()
    moved = text.replace("    <contactEmail>a@b.co</contactEmail>\n", "").replace(
        "</ExternalClientApplication>", "    <contactEmail>a@b.co</contactEmail>\n</ExternalClientApplication>"
    )
    files[path] = moved.encode()
    assert "Unexpected child" in _deploy_files(client, files)


def test_the_fake_refuses_a_package_xml_that_does_not_list_what_the_zip_holds(
    client: OrgClient, key_bundle: KeyBundle
) -> None:
    files = component_files(_spec(key_bundle))
    files["package.xml"] = package_xml({}, api_version="63.0")  # lists nothing, the zip holds five
    assert "not listed in package.xml" in _deploy_files(client, files)


def test_the_fake_refuses_an_unknown_ip_relaxation_value(client: OrgClient, key_bundle: KeyBundle) -> None:
    package = zipfile.ZipFile(io.BytesIO(app_package(_spec(key_bundle), api_version="63.0")))
    files = {n: package.read(n) for n in package.namelist()}
    path = "extlClntAppOauthPolicies/Strict_App_plcy.ecaOauthPlcy"
    files[path] = files[path].replace(b"<ipRelaxationPolicyType>Enforce<", b"<ipRelaxationPolicyType>relax<")
    assert "Invalid ipRelaxationPolicyType" in _deploy_files(client, files)


# --- the admin's browser sign-in -------------------------------------------------------------------------


class Browser:
    """Follows Salesforce's redirect to the wizard's listener, as the admin's browser does."""

    def __init__(self, *, state_override: str | None = None) -> None:
        self.state_override = state_override
        self.opened: list[str] = []

    def __call__(self, url: str) -> bool:
        self.opened.append(url)

        def visit() -> None:
            answer = requests.get(url, allow_redirects=False, timeout=5)
            location = answer.headers["Location"]
            if self.state_override is not None:
                location = location.split("&state=")[0] + f"&state={self.state_override}"
            requests.get(location, allow_redirects=False, timeout=5)

        threading.Thread(target=visit, daemon=True).start()
        return True


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_the_browser_sign_in_gives_an_org_session_with_pkce(org: FakeOrg) -> None:
    browser = Browser()
    admin = sign_in(open_browser=browser, login_url=org.url, port=_free_port(), timeout=10)
    assert admin.instance_url == org.url and admin.org_id == org.org_id
    assert "code_challenge_method=S256" in browser.opened[0] and "state=" in browser.opened[0]
    assert admin.access_token in org.admin_tokens
    assert admin.access_token not in repr(admin)


def test_a_denied_sign_in_is_a_sentence(org: FakeOrg) -> None:
    org.sign_in_denied = True
    with pytest.raises(SignInError, match="did not allow access"):
        sign_in(open_browser=Browser(), login_url=org.url, port=_free_port(), timeout=10)


def test_a_busy_port_is_named_before_the_browser_opens(org: FakeOrg) -> None:
    import socket

    browser = Browser()
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(SignInError, match=f"Port {port}.*in use"):
            sign_in(open_browser=browser, login_url=org.url, port=port, timeout=10)
    assert browser.opened == []


def test_an_answer_with_another_state_is_ignored_and_the_wait_ends_in_time(org: FakeOrg) -> None:
    with pytest.raises(SignInError, match="No answer from the browser"):
        sign_in(open_browser=Browser(state_override="forged"), login_url=org.url, port=_free_port(), timeout=1.0)


def test_an_abandoned_sign_in_can_be_cancelled(org: FakeOrg) -> None:
    with pytest.raises(CancelledError):
        sign_in(open_browser=lambda url: True, login_url=org.url, port=_free_port(), timeout=30, cancelled=lambda: True)


def test_the_wait_ticks_every_second_between_polls(client: OrgClient, org: FakeOrg, key_bundle: KeyBundle) -> None:
    """The wizard's counter said "(0 s)" for a whole poll interval, then jumped: it now hears every second."""
    from core.steps.progress import Waiting

    org.never_propagates = True
    result = apply_setup(client, plan(client, key_bundle))
    now = [0.0]

    def sleep(seconds: float) -> None:
        now[0] += seconds

    events: list[object] = []
    with pytest.raises(PropagationTimeout):
        wait_for_connector_login(
            username=USERNAME,
            consumer_key=result.consumer_key,
            private_key=key_bundle.key,
            login_url=org.url,
            run=Runtime(progress=events.append, timings=FAST._replace(login_poll_interval=5.0, login_wait=12.0)),
            sleep=sleep,
            clock=lambda: now[0],
        )
    ticks = [round(e.elapsed) for e in events if isinstance(e, Waiting)]
    assert ticks == [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
    assert all("invalid_client_id" in e.answer for e in events if isinstance(e, Waiting))


def test_the_check_only_deploy_leaves_the_permission_set_out_rather_than_empty(
    client: OrgClient, org: FakeOrg, key_bundle: KeyBundle
) -> None:
    """Before the permission set exists the policy cannot name it; an empty element is refused (as by the fake)."""
    plan(client, key_bundle)
    check = zipfile.ZipFile(io.BytesIO(org.deploy_requests[-1]["zip"]))
    assert org.deploy_requests[-1]["options"]["checkOnly"] is True
    [policy] = [n for n in check.namelist() if n.endswith(".ecaOauthPlcy")]
    assert b"commaSeparatedPermissionSet" not in check.read(policy)
    named = _spec(key_bundle, permission_set="Strict_App_Users")
    package = zipfile.ZipFile(io.BytesIO(app_package(named, api_version="63.0")))
    files = {n: package.read(n) for n in package.namelist()}
    path = "extlClntAppOauthPolicies/Strict_App_plcy.ecaOauthPlcy"
    files[path] = re.sub(rb"<commaSeparatedPermissionSet>[^<]*<", b"<commaSeparatedPermissionSet><", files[path])
    outcome = _deploy_files(client, files)
    assert "permission set ." in outcome


def test_an_org_without_external_client_apps_is_said_with_the_setting_to_turn_on(
    client: OrgClient, org: FakeOrg, key_bundle: KeyBundle
) -> None:
    org.eca_unavailable = True
    with pytest.raises(OrgApiError) as info:
        plan(client, key_bundle)
    assert "does not offer External Client Apps" in info.value.message and "INVALID_TYPE" in info.value.message
    assert "External Client App Settings" in info.value.hint and "checklist" in info.value.hint
    assert org.deploy_requests == []


@pytest.mark.parametrize(
    ("error", "description", "words"),
    [
        ("OAUTH_APP_BLOCKED", "this app is blocked by admin", "blocks the Salesforce CLI's app"),
        ("invalid_request", "app must be installed into org", "Approve Uninstalled Connected Apps"),
        ("invalid_app_access", "user is not admin approved to access this app", "only approved users"),
        ("access_denied", "end-user denied authorization", "You did not allow access"),
    ],
)
def test_each_way_an_org_refuses_the_sign_in_is_a_sentence_with_the_way_out(
    org: FakeOrg, error: str, description: str, words: str
) -> None:
    org.sign_in_refusal = (error, description)
    with pytest.raises(SignInError) as info:
        sign_in(open_browser=Browser(), login_url=org.url, port=_free_port(), timeout=10)
    assert words in info.value.message
    if error != "access_denied":
        assert description in info.value.message  # Salesforce's own words stay
        assert "System Administrator" in info.value.hint or "Unblock" in info.value.hint


def test_my_domain_is_probed_from_the_first_refusal_and_said_plainly_while_the_wait_goes_on(
    client: OrgClient, org: FakeOrg, key_bundle: KeyBundle
) -> None:
    from core.steps.progress import Notice

    org.my_domain_only = True
    result = apply_setup(client, plan(client, key_bundle))
    events: list[object] = []
    with pytest.raises(PropagationTimeout):
        connector_login(
            org,
            key_bundle,
            result.consumer_key,
            poll_interval=0.1,
            timeout=0.5,
            my_domain_url=org.my_domain_url,
            progress=events.append,
        )
    notices = [e for e in events if isinstance(e, Notice)]
    first_attempt = next(i for i, e in enumerate(events) if isinstance(e, LoginAttempt))
    assert notices and events.index(notices[0]) == first_attempt + 1  # said at once, not after the limit
    assert "already works through your My Domain host" in notices[0].text and "Waiting up to" in notices[0].text
    assert len(notices) == 1


def test_a_deploy_is_asked_about_soon_then_less_and_less_often(org: FakeOrg) -> None:
    """A deploy polled every 2 s from the start kept "Checking the org..." at 4 s on an org that answers at once."""
    from core.salesforce.org import AdminSession

    org.deploy_polls = 5  # "in progress" five times, then the result
    slow = OrgClient(
        AdminSession(instance_url=org.url, access_token=org.admin_token()),
        timings=FAST._replace(deploy_poll_interval=2.0, deploy_timeout=60.0),
    )
    waits: list[float] = []
    now = [0.0]

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        now[0] += seconds

    package = io.BytesIO()
    with zipfile.ZipFile(package, "w") as archive:
        archive.writestr(
            "package.xml",
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<Package xmlns="http://soap.sforce.com/2006/04/metadata"><version>60.0</version></Package>',
        )
    slow.deploy(package.getvalue(), check_only=True, sleep=sleep, clock=lambda: now[0])
    assert waits == [0.25, 0.5, 1.0, 2.0, 2.0]
