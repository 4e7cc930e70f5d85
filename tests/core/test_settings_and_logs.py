from __future__ import annotations

import json
import logging
import stat
from pathlib import Path

import pytest

from core.errors import AppError
from core.keys import KeyBundle
from core.logs import redact, register_secret, setup_logging
from core.settings import ConnectorRecord, KeyRecord, Settings, config_dir, log_dir


def test_settings_round_trip_in_the_config_folder(isolated_home: Path) -> None:
    settings = Settings(api_url="https://x.example.com", username="a@b.co")
    settings.remember_key(KeyRecord(name="k", public_key_id="abc", fingerprint_sha256="AA:BB"))
    settings.remember_connector(ConnectorRecord(id="1", name="n", api_url="https://x.example.com", public_key_id="abc"))
    path = settings.save()
    assert path.parent == config_dir() and str(isolated_home) in str(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    loaded = Settings.load()
    assert loaded == settings and loaded.key_by_public_id("abc") is not None


def test_a_secret_never_reaches_the_settings_file(key_bundle: KeyBundle) -> None:
    settings = Settings(username=key_bundle.private_key_pem.decode())
    with pytest.raises(AppError, match="secret"):
        settings.save()
    assert not (config_dir() / "settings.json").exists()


@pytest.mark.parametrize("content", ["{not json", "[]", json.dumps({"keys": [{"bogus": 1}]})])
def test_damaged_settings_fall_back_to_defaults(content: str) -> None:
    config_dir().mkdir(parents=True)
    (config_dir() / "settings.json").write_text(content)
    assert Settings.load() == Settings()


def test_unknown_fields_from_newer_versions_are_ignored() -> None:
    config_dir().mkdir(parents=True)
    (config_dir() / "settings.json").write_text(json.dumps({"username": "u@x.co", "future": True}))
    assert Settings.load().username == "u@x.co"


def test_redaction_of_keys_tokens_and_registered_secrets(key_bundle: KeyBundle) -> None:
    register_secret("my-very-secret-api-key")
    text = (
        f"key={key_bundle.private_key_pem.decode()} unstructured-api-key: abc123 "
        'Authorization: Bearer 00Dxx!AQ4AQ.token {"access_token": "tok"} '
        "assertion=eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJ4In0.c2lnbmF0dXJl also my-very-secret-api-key"
    )
    out = redact(text)
    for secret in [
        "BEGIN RSA PRIVATE KEY",
        "abc123",
        "00Dxx!AQ4AQ.token",
        '"tok"',
        "eyJhbGci",
        "my-very-secret-api-key",
    ]:
        assert secret not in out
    assert out.count("[REDACTED") >= 6


def test_log_file_is_redacted_including_tracebacks(key_bundle: KeyBundle) -> None:
    path = setup_logging(log_dir())
    log = logging.getLogger("test")
    log.warning("sending %s", key_bundle.private_key_pem.decode())
    try:
        raise ValueError(f"bad key {key_bundle.private_key_pem.decode()}")
    except ValueError:
        log.exception("failed")
    for handler in logging.getLogger().handlers:
        handler.flush()
    content = path.read_text()
    assert "failed" in content and "Traceback" in content
    assert "BEGIN RSA PRIVATE KEY" not in content and "[REDACTED PRIVATE KEY]" in content
