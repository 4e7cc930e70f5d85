from __future__ import annotations

import datetime as dt

import pytest

from core.crypto.expiry import days_until, expiring_records
from core.crypto.keypair import KeyBundle
from core.errors import InvalidInputError
from core.storage.settings import ConnectorRecord, Settings
from core.unstructured.client import SourceConnector
from core.unstructured.inventory import inventory, merged_config

NOW = dt.datetime(2026, 11, 29, tzinfo=dt.UTC)


def connector(**config: object) -> SourceConnector:
    base: dict[str, object] = {
        "username": "a@b.co",
        "consumer_key": "3MVG9" + "x" * 30,
        "private_key": "**********",
        "categories": ["Lead"],
    }
    base.update(config)
    return SourceConnector(id="c1", name="n", type="salesforce", config=base, created_at="2026-01-01", updated_at=None)


def test_inventory_joins_local_records_and_flags_expiry() -> None:
    settings = Settings()
    settings.remember_connector(
        ConnectorRecord(
            id="c1",
            name="n",
            api_url="x",
            fingerprint_sha256="AA",
            not_after=(NOW + dt.timedelta(days=30, hours=1)).isoformat(),
        )
    )
    other = SourceConnector(id="c2", name="m", type="salesforce", config={}, created_at="", updated_at=None)
    rows = inventory([connector(), other], settings, now=NOW)
    assert rows[0].days_left == 30 and rows[0].expiring and rows[0].fingerprint_sha256 == "AA"
    assert rows[1].days_left is None and not rows[1].expiring
    assert rows[0].to_json()["expiring"] is True


def test_expired_and_unparseable_dates() -> None:
    assert days_until((NOW - dt.timedelta(days=2)).isoformat(), now=NOW) == -2
    assert days_until("garbage", now=NOW) is None and days_until("", now=NOW) is None
    settings = Settings(
        connectors=[
            ConnectorRecord(id="x", name="x", api_url="", not_after="2026-11-01T00:00:00+00:00"),
            ConnectorRecord(id="y", name="y", api_url="", not_after="2027-11-01T00:00:00+00:00"),
        ]
    )
    assert [(r.id, d) for r, d in expiring_records(settings, now=NOW)] == [("x", -28)]


def test_merged_config_keeps_every_other_setting(key_bundle: KeyBundle) -> None:
    config = merged_config(connector(), private_key=key_bundle.private_key_pem)
    assert config.username == "a@b.co" and config.categories == ("Lead",)
    assert config.private_key == key_bundle.private_key_pem.decode()
    changed = merged_config(connector(), private_key=key_bundle.private_key_pem, categories=["Case"], username="z@y.co")
    assert changed.categories == ("Case",) and changed.username == "z@y.co"


def test_merged_config_needs_a_key_when_the_service_redacts_it() -> None:
    with pytest.raises(InvalidInputError, match="does not return the connector's private key"):
        merged_config(connector(), private_key=None)


def test_merged_config_uses_a_returned_key(key_bundle: KeyBundle) -> None:
    config = merged_config(connector(private_key=key_bundle.private_key_pem.decode()), private_key=None)
    assert config.private_key == key_bundle.private_key_pem.decode()


def test_merged_config_refuses_other_connector_types(key_bundle: KeyBundle) -> None:
    other = SourceConnector(id="c", name="n", type="s3", config={}, created_at="", updated_at=None)
    with pytest.raises(InvalidInputError, match="s3"):
        merged_config(other, private_key=key_bundle.private_key_pem)


def test_the_key_page_and_manage_count_the_same_days_for_the_same_certificate(key_bundle: KeyBundle) -> None:
    """A certificate made for 365 days a few seconds ago: 365 on both screens (Manage said 364)."""
    info = key_bundle.certificate_info
    assert info is not None
    later = info.not_before + dt.timedelta(seconds=5)
    assert info.days_left(now=later) == days_until(info.not_after.isoformat(), now=later)
    made = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    assert days_until((made + dt.timedelta(days=365)).isoformat(), now=made + dt.timedelta(seconds=5)) == 365
    assert days_until((made - dt.timedelta(hours=1)).isoformat(), now=made) == -1  # expired, never "0 days"
