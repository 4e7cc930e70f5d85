"""The owner-only security descriptor that key files and the app's folders get on Windows.

Only its structure can be checked here; the Windows jobs of .github/workflows create real files
with it and read their ACL back with icacls (scripts/check_windows_acl.py), and
the test command type-checks the ctypes calls with mypy --platform win32.
"""

from __future__ import annotations

import re

import pytest

from core.storage.winacl import owner_only_sddl

USER = "S-1-5-21-1004336348-1177238915-682003330-1001"
ACE = re.compile(
    r"\((?P<type>[^;]*);(?P<flags>[^;]*);(?P<rights>[^;]*);(?P<object>[^;]*);(?P<inherit>[^;]*);(?P<sid>[^)]*)\)"
)


def parse(sddl: str) -> tuple[str, str, list[dict[str, str]]]:
    found = re.fullmatch(r"O:(?P<owner>[^D]+)D:(?P<control>[A-Z]*)(?P<aces>(\([^)]*\))+)", sddl)
    assert found, sddl
    aces = [m.groupdict() for m in ACE.finditer(found["aces"])]
    return found["owner"], found["control"], aces


@pytest.mark.parametrize("folder", [False, True])
def test_only_the_user_and_system_get_access_and_nothing_is_inherited_from_the_parent(folder: bool) -> None:
    owner, control, aces = parse(owner_only_sddl(USER, folder=folder))
    assert owner == USER  # not the Administrators group an elevated admin's files would get
    assert control == "P"  # protected: the parent folder's entries (Everyone, Users, ...) do not apply
    assert [ace["sid"] for ace in aces] == [USER, "SY"]
    assert {ace["type"] for ace in aces} == {"A"}  # allow entries only; no deny entry to get around
    assert {ace["rights"] for ace in aces} == {"FA"}
    assert {ace["flags"] for ace in aces} == {"OICI" if folder else ""}


@pytest.mark.parametrize("bad", ["", "WD", "S-1-1-0)(A;;FA;;;WD", "BU", "S-1-5-21-1-2-3-1001(A;;FA;;;WD)"])
def test_anything_but_a_sid_is_refused_rather_than_put_into_the_descriptor(bad: str) -> None:
    with pytest.raises(ValueError):
        owner_only_sddl(bad, folder=False)
