"""The Connected App fallback: the same automation with the classic type, against a loopback org
that checks the ``ConnectedApp`` file against the Metadata API schema and refuses what Salesforce
refuses (a consumer key in an update, new Connected Apps where the org blocks them)."""

from __future__ import annotations

import io
import zipfile

import pytest

from core.crypto.keypair import KeyBundle, create_key_bundle
from core.errors import InvalidInputError, OrgApiError, SalesforceLoginError
from core.kinds import RunKind, RunStep
from core.salesforce.metadata import CONNECTED_APP, AppSpec, app_package, certificate_package
from core.salesforce.org import OrgClient
from core.steps.journal import Journal, describe
from core.steps.org_state import undo_setup
from core.storage.settings import JournalEntry, SalesforceAppRecord, Settings
from core.usecases.app_removal import leftovers_of, remove_app
from core.usecases.rotation import replace_certificate
from core.usecases.salesforce_app import SetupPlan, apply_setup
from tests.conftest import USERNAME
from tests.core.test_salesforce_setup import _spec as setup_spec
from tests.core.test_salesforce_setup import connector_login
from tests.core.test_salesforce_setup import plan as setup_plan
from tests.fakes.salesforce_org import FakeOrg, metadata_schema


def plan(client: OrgClient, bundle: KeyBundle, **options: str) -> SetupPlan:
    return setup_plan(client, bundle, app_type=CONNECTED_APP, **options)


def _spec(bundle: KeyBundle, **changes: str) -> AppSpec:
    return setup_spec(bundle, **{"label": "Strict App", "app_type": CONNECTED_APP, **changes})


def test_the_connected_app_file_is_schema_valid_and_says_what_the_connector_needs(key_bundle: KeyBundle) -> None:
    spec = _spec(key_bundle, permission_set="Strict_App_Users", ip_relaxation="relax")
    archive = zipfile.ZipFile(io.BytesIO(app_package(spec, api_version="63.0")))
    assert sorted(archive.namelist()) == ["connectedApps/Strict_App.connectedApp", "package.xml"]
    text = archive.read("connectedApps/Strict_App.connectedApp").decode()
    assert metadata_schema().is_valid(text), next(iter(metadata_schema().iter_errors(text)))
    for element in (
        "<callbackUrl>https://localhost</callbackUrl>",
        f"<consumerKey>{spec.consumer_key}</consumerKey>",
        "<isAdminApproved>true</isAdminApproved>",
        "<scopes>Api</scopes>",
        "<scopes>RefreshToken</scopes>",
        "<ipRelaxation>BYPASS</ipRelaxation>",
        "<refreshTokenPolicy>infinite</refreshTokenPolicy>",
        "<permissionSetName>Strict_App_Users</permissionSetName>",
        "-----BEGIN CERTIFICATE-----",
    ):
        assert element in text
    assert b"<name>ConnectedApp</name>" in archive.read("package.xml")
    # A certificate replacement deploys the app whole, but without the consumer key (the app keeps its own).
    replacement = zipfile.ZipFile(io.BytesIO(certificate_package(spec, api_version="63.0")))
    again = replacement.read("connectedApps/Strict_App.connectedApp").decode()
    assert metadata_schema().is_valid(again) and "consumerKey" not in again and "permissionSetName" in again


def test_the_fake_refuses_a_connected_app_out_of_schema_order(client: OrgClient, key_bundle: KeyBundle) -> None:
    files = {
        n: zipfile.ZipFile(io.BytesIO(app_package(_spec(key_bundle), api_version="63.0"))).read(n)
        for n in ("connectedApps/Strict_App.connectedApp", "package.xml")
    }
    path = "connectedApps/Strict_App.connectedApp"
    files[path] = (
        files[path]
        .replace(b"    <label>Strict App</label>\n", b"")
        .replace(b"<oauthPolicy>", b"<label>Strict App</label><oauthPolicy>")
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    outcome = client.deploy(buffer.getvalue(), check_only=True)
    assert not outcome.success and "Unexpected child" in outcome.failures[0].problem


def test_a_connected_app_is_set_up_and_the_connectors_login_works(
    client: OrgClient, org: FakeOrg, key_bundle: KeyBundle
) -> None:
    the_plan = plan(client, key_bundle)
    words = "\n".join(the_plan.describe())
    assert "create the Connected App Unstructured_Connector" in words and "External Client App" not in words
    assert org.connected_apps == {} and org.deploy_requests[-1]["options"]["checkOnly"] is True

    result = apply_setup(client, the_plan, org_id=org.org_id)
    assert [kind for kind, _ in result.created] == ["PermissionSet", "PermissionSetAssignment", "ConnectedApp"]
    app = org.connected_apps["Unstructured_Connector"]
    assert app.consumer_key == result.consumer_key and app.ip_relaxation == "ENFORCE" and org.org_apps == {}
    assert app.permission_set == "Unstructured_Connector_Users" and app.admin_approved
    assert connector_login(org, key_bundle, result.consumer_key).username == USERNAME

    settings = Settings()
    result.apply(settings)
    record = settings.salesforce_app(result.consumer_key)
    assert record is not None and record.app_type == CONNECTED_APP
    assert record.ip_relaxation == "enforce" and record.contact_email == "admin@example.com"

    # The same name again is found by the name Setup shows, and not overwritten.
    with pytest.raises(InvalidInputError, match="A Connected App named Unstructured_Connector already exists"):
        plan(client, key_bundle)


def test_a_connected_app_serves_login_salesforce_com_where_the_eca_only_served_my_domain(
    client: OrgClient, org: FakeOrg, key_bundle: KeyBundle
) -> None:
    org.my_domain_only = True  # what users report of new External Client Apps
    result = apply_setup(client, plan(client, key_bundle))
    assert connector_login(org, key_bundle, result.consumer_key).username == USERNAME


def test_an_org_that_blocks_new_connected_apps_is_told_in_a_sentence_before_anything_is_created(
    client: OrgClient, org: FakeOrg, key_bundle: KeyBundle
) -> None:
    org.connected_apps_blocked = True
    with pytest.raises(OrgApiError) as info:
        plan(client, key_bundle)
    error = info.value
    assert error.code == "CONNECTED_APPS_BLOCKED"
    assert "does not allow new Connected Apps" in error.message and "Spring '26" in error.message
    assert "External Client App" in error.hint and "Salesforce Support" in error.hint and "Traceback" not in str(error)
    assert org.connected_apps == {} and org.permission_sets == {}


def test_an_org_that_refuses_the_consumer_key_of_a_new_connected_app_is_told_in_a_sentence(
    client: OrgClient, org: FakeOrg, key_bundle: KeyBundle
) -> None:
    org.consumer_key_refused_on_create = True
    with pytest.raises(OrgApiError) as info:
        plan(client, key_bundle)
    error = info.value
    assert error.code == "CONSUMER_KEY_REFUSED" and "You cannot provide a Consumer Key" in error.message
    assert "checklist" in error.hint and "Nothing was changed." in error.hint
    assert org.connected_apps == {} and org.permission_sets == {}


def test_the_certificate_of_a_connected_app_is_replaced_and_its_settings_kept(
    client: OrgClient, org: FakeOrg, key_bundle: KeyBundle
) -> None:
    result = apply_setup(client, plan(client, key_bundle, ip_relaxation="relax"))
    settings = Settings()
    result.apply(settings)
    record = settings.salesforce_app(result.consumer_key)
    assert record is not None
    new = create_key_bundle(bits=2048)
    assert new.cert_pem is not None
    replace_certificate(
        client,
        app_name=record.app_name,
        consumer_key=record.consumer_key,
        certificate_pem=new.cert_pem.decode(),
        app=record,
    )
    app = org.connected_apps["Unstructured_Connector"]
    assert app.consumer_key == result.consumer_key  # kept: the deploy did not name it
    assert app.ip_relaxation == "BYPASS" and app.permission_set == "Unstructured_Connector_Users"
    assert connector_login(org, new, result.consumer_key).username == USERNAME
    with pytest.raises(SalesforceLoginError):
        connector_login(org, key_bundle, result.consumer_key, timeout=0.2)


def test_an_update_that_names_the_consumer_key_is_refused_as_salesforce_does(
    client: OrgClient, org: FakeOrg, key_bundle: KeyBundle
) -> None:
    result = apply_setup(client, plan(client, key_bundle))
    again = _spec(key_bundle, name="Unstructured_Connector", consumer_key=result.consumer_key)
    outcome = client.deploy(app_package(again, api_version="63.0"), check_only=True)
    assert not outcome.success and outcome.failures[0].problem == "You cannot provide a Consumer Key"


def test_a_connected_app_made_elsewhere_is_not_redeployed_over(client: OrgClient, key_bundle: KeyBundle) -> None:
    assert key_bundle.cert_pem is not None
    elsewhere = SalesforceAppRecord(app_name="Their_App", consumer_key="3MVGx", instance_url="", app_type=CONNECTED_APP)
    with pytest.raises(InvalidInputError, match="was not created by this wizard") as info:
        replace_certificate(
            client,
            app_name="Their_App",
            consumer_key="3MVGx",
            certificate_pem=key_bundle.cert_pem.decode(),
            app=elsewhere,
        )
    assert "Rotate by hand" in info.value.hint


def test_removing_a_connected_app_removes_it_its_permission_set_and_assignment(
    client: OrgClient, org: FakeOrg, key_bundle: KeyBundle
) -> None:
    result = apply_setup(client, plan(client, key_bundle))
    settings = Settings()
    result.apply(settings)
    record = settings.salesforce_app(result.consumer_key)
    assert record is not None
    removed = remove_app(client, record)
    assert removed.left == []
    assert org.connected_apps == {} and org.permission_sets == {} and org.assignments == []
    removal = zipfile.ZipFile(io.BytesIO(org.deploy_requests[-1]["zip"]))
    assert b"<name>ConnectedApp</name>" in removal.read("destructiveChanges.xml")
    assert org.deploy_requests[-1]["options"]["ignoreWarnings"] is True


def test_undo_and_an_unfinished_run_know_a_connected_app(
    client: OrgClient, org: FakeOrg, key_bundle: KeyBundle
) -> None:
    result = apply_setup(client, plan(client, key_bundle))
    entry = JournalEntry(
        id="x",
        kind=RunKind.SETUP,
        step=RunStep.APP,
        started_at="2026-11-30T08:00:00+00:00",
        app_name="Unstructured_Connector",
        app_type=CONNECTED_APP,
    )
    assert "set-up of the Connected App Unstructured_Connector" in describe(entry)
    assert "stopped while creating the Connected App" in describe(entry)
    assert leftovers_of(client, entry) == [("ConnectedApp", "Unstructured_Connector")]
    assert undo_setup(client, result.created, api_version="63.0") == []
    assert org.connected_apps == {} and org.permission_sets == {}


def test_the_connected_app_journal_entry_names_its_kind(client: OrgClient, org: FakeOrg, key_bundle: KeyBundle) -> None:
    journal = Journal()
    the_plan = plan(client, key_bundle)
    org.deploy_failures = [
        {"componentType": "ConnectedApp", "fullName": "X", "problem": "boom", "problemType": "Error"}
    ]
    with pytest.raises(Exception, match="Creating the Connected App failed"):
        apply_setup(client, the_plan, journal=journal)
    (entry,) = Settings.load().journal
    assert entry.app_type == CONNECTED_APP and entry.step == "app"
