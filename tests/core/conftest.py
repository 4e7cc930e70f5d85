"""Fixtures the core tests share."""

from __future__ import annotations

import pytest

from core.salesforce.org import AdminSession, OrgClient
from tests.conftest import FAST
from tests.fakes.salesforce_org import FakeOrg


@pytest.fixture
def client(org: FakeOrg) -> OrgClient:
    """The admin's REST client into the loopback org."""
    return OrgClient(
        AdminSession(instance_url=org.url, access_token=org.admin_token()),
        timings=FAST._replace(http_timeout=(2.0, 5.0)),
    )
