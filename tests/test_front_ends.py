"""Each CLI command and each wizard action is one call into core: the table below is the contract.

A front end composing steps itself is the smell this guards against: the Salesforce set-up and the
rotation were once assembled twice, once per front end, and the copies drifted apart.
"""

from __future__ import annotations

import importlib
import pkgutil
import subprocess
import sys
import types
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import core
from cli.commands import COMMANDS
from core import doctor
from core.salesforce import login
from core.storage.secret_store import SecretStore
from core.unstructured.client import PlatformClient
from core.unstructured.inventory import inventory
from core.usecases import (
    admin,
    app_removal,
    connectors,
    field_check,
    keys,
    reading,
    rotation,
    salesforce_app,
    schedule,
    watch,
)

ROOT = Path(__file__).resolve().parents[1]

#: CLI command -> the core function(s) it calls.
CLI_CALLS: dict[str, tuple[Callable[..., Any], ...]] = {
    "keygen": (keys.save_key_bundle,),
    "import-cert": (keys.save_issued_certificate,),
    "approval-url": (login.approval_url,),
    "verify": (login.verify_jwt_login,),
    "submit": (connectors.create_connector,),
    "list": (inventory,),
    "check": (PlatformClient.run_connection_check,),
    "update": (connectors.update_connector,),
    "delete": (connectors.delete_connector,),
    "setup-salesforce": (salesforce_app.set_up_salesforce_app,),
    "rotate": (rotation.rotate_automatically,),
    "remove-salesforce-app": (app_removal.choose_removal, app_removal.remove),
    "forget-org": (admin.forget_kept_sign_ins,),
    "field-check": (field_check.run_field_check,),
    "doctor": (doctor.offline_findings, doctor.online_findings),
    "set-api-key": (SecretStore.set,),
    "watch": (watch.watch,),
    "set-webhook": (SecretStore.set,),
    "schedule": (schedule.install, schedule.status, schedule.remove),
}


def _gui_actions() -> dict[str, tuple[Callable[..., Any], tuple[Callable[..., Any], ...]]]:
    from gui.pages.key import KeyPage
    from gui.pages.manage.page import ManagePage
    from gui.pages.review import ReviewPage
    from gui.pages.salesforce_auto import SalesforceAutoPage
    from gui.pages.unstructured import UnstructuredPage
    from gui.pages.verify import VerifyPage
    from gui.rotation import ApplyRotationPage

    return {
        "Key: Generate / Import": (KeyPage._act, (keys.save_key_bundle,)),
        "Key: Use the issued certificate": (KeyPage._use_issued, (keys.save_issued_certificate,)),
        "Verify: Verify login": (VerifyPage._verify, (login.verify_jwt_login,)),
        "Set it up for me: Sign in": (SalesforceAutoPage._sign_in, (salesforce_app.prepare_setup,)),
        "Set it up for me: Create": (SalesforceAutoPage._create, (salesforce_app.carry_out_setup,)),
        "Set it up for me: Remove what was created": (SalesforceAutoPage._undo, (salesforce_app.undo_failed_setup,)),
        "Set it up for me: Wait again": (SalesforceAutoPage._wait_again, (salesforce_app.wait_again_for_login,)),
        "Set it up for me: Set up a Connected App instead": (
            SalesforceAutoPage._plan_connected_app,
            (salesforce_app.plan_again,),
        ),
        "Review: Create connector": (ReviewPage._create, (connectors.create_connector,)),
        "Manage: Run a field check": (ManagePage._field_check, (field_check.run_field_check,)),
        "Manage: Delete": (ManagePage._delete, (connectors.delete_connector,)),
        "Manage: Rotate automatically": (ManagePage._rotate_automatically, (rotation.rotate_automatically,)),
        "Manage: Remove app": (ManagePage._remove_app, (app_removal.remove,)),
        "Manage: Remove what the unfinished run created": (ManagePage._remove_unfinished, (app_removal.remove,)),
        "Rotate key...: Update": (ApplyRotationPage._update, (connectors.update_connector,)),
        "Unstructured: the counts, Check again": (UnstructuredPage.check_reading, (reading.survey_reading,)),
        "Manage: what it reads now": (ManagePage._look_at_reading, (reading.survey_connector,)),
        "Rotate key...: what it reads now": (ApplyRotationPage._look_at_reading, (reading.survey_reading,)),
    }


def _names(code: types.CodeType) -> Iterator[str]:
    """Every name a function's code uses, its nested functions and lambdas included."""
    yield from code.co_names
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            yield from _names(const)


def _calls(action: Callable[..., Any], wanted: Callable[..., Any]) -> bool:
    return wanted.__name__ in set(_names(action.__code__))


def test_the_table_names_every_command() -> None:
    assert set(COMMANDS) == set(CLI_CALLS)


def test_verify_with_categories_calls_the_reading_use_case() -> None:
    from cli.login_commands import _verify_reading

    assert _calls(_verify_reading, reading.survey_reading)


@pytest.mark.parametrize("name", sorted(CLI_CALLS))
def test_each_command_calls_its_use_case(name: str) -> None:
    run = COMMANDS[name].run
    missing = [f.__qualname__ for f in CLI_CALLS[name] if not _calls(run, f)]
    assert not missing, f"{name} no longer calls {missing}"


def test_each_wizard_action_calls_its_use_case() -> None:
    broken = {
        action: [f.__qualname__ for f in wanted if not _calls(method, f)]
        for action, (method, wanted) in _gui_actions().items()
    }
    assert not {action: missing for action, missing in broken.items() if missing}


def _every_function(package: str) -> Iterator[tuple[str, types.CodeType]]:
    """Every function and method defined in ``package``'s modules (nested ones through their code)."""
    for info in pkgutil.walk_packages([str(ROOT / package)], prefix=f"{package}."):
        module = importlib.import_module(info.name)
        for value in vars(module).values():
            if getattr(value, "__module__", None) != module.__name__:
                continue  # imported from elsewhere: looked at where it is defined
            members = vars(value).values() if isinstance(value, type) else [value]
            for member in members:
                function = getattr(member, "fget", None) or getattr(member, "__func__", member)
                code = getattr(function, "__code__", None)
                if isinstance(code, types.CodeType):
                    yield f"{module.__name__}.{getattr(function, '__qualname__', '?')}", code


def test_no_front_end_composes_the_salesforce_flows_itself() -> None:
    """The steps of the set-up, the rotation and the removal belong to their use cases, never to a command or a
    page: every function and method of cli/ and gui/ is looked at, not a list of the known buttons."""
    steps = {
        "plan_setup",
        "apply_setup",
        "wait_for_connector_login",
        "rotate_certificate",
        "replace_certificate",
        "undo_setup",
        "deploy",
    }
    looked_at = dict(_every_function("cli")) | dict(_every_function("gui"))
    assert "gui.pages.salesforce_auto.SalesforceAutoPage._wait_again" in looked_at  # once missed by the list
    assert len(looked_at) > 400
    composing = {place: sorted(steps & set(_names(code))) for place, code in looked_at.items()}
    assert not {place: used for place, used in composing.items() if used}


def test_core_and_the_cli_never_import_qt() -> None:
    """Every module of core/ and cli/ imported in a fresh interpreter: PySide6 stays out."""
    modules = [
        info.name
        for package in ("core", "cli")
        for info in pkgutil.walk_packages([str(ROOT / package)], prefix=f"{package}.")
        if not info.name.endswith("winacl")  # Windows only: ctypes.windll
    ]
    assert "core.usecases.rotation" in modules and "cli.app_commands" in modules
    probe = f"import importlib, sys\nfor m in {modules!r}: importlib.import_module(m)\nprint(any(m.startswith('PySide6') for m in sys.modules))"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


def test_every_app_error_lives_in_errors_py() -> None:
    from core.errors import AppError

    for info in pkgutil.walk_packages(core.__path__, prefix="core."):
        if info.name.endswith("winacl"):
            continue
        module = importlib.import_module(info.name)
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, AppError):
                assert value.__module__ == "core.errors", f"{value.__qualname__} is defined in {value.__module__}"
