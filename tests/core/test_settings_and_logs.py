from __future__ import annotations

import json
import logging
import logging.handlers
import os
from pathlib import Path

import pytest

from core.crypto.keypair import KeyBundle
from core.errors import AppError
from core.logs import redact, register_secret, setup_logging
from core.storage.settings import ConnectorRecord, KeyRecord, Settings, config_dir, log_dir, settings_lock
from tests.platforms import assert_owner_only, posix_only


def test_settings_round_trip_in_the_config_folder(isolated_home: Path) -> None:
    settings = Settings(api_url="https://x.example.com", username="a@b.co")
    settings.remember_key(KeyRecord(name="k", public_key_id="abc", fingerprint_sha256="AA:BB"))
    settings.remember_connector(ConnectorRecord(id="1", name="n", api_url="https://x.example.com", public_key_id="abc"))
    path = settings.save()
    assert path.parent == config_dir() and str(isolated_home) in str(path)
    assert_owner_only(path)
    loaded = Settings.load()
    assert loaded == settings and loaded.key_by_public_id("abc") is not None


def test_a_secret_never_reaches_the_settings_file(key_bundle: KeyBundle) -> None:
    settings = Settings(username=key_bundle.private_key_pem.decode())
    with pytest.raises(AppError, match="secret"):
        settings.save()
    assert not (config_dir() / "settings.json").exists()


def _write(data: object) -> Path:
    config_dir().mkdir(parents=True, exist_ok=True)
    path = config_dir() / "settings.json"
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    return path


def test_one_broken_record_and_one_from_a_newer_version_cost_nothing_else() -> None:
    """The data-loss case: a malformed record used to reset the whole file on the next save."""
    path = _write(
        {
            "schema": 2,
            "username": "u@x.co",
            "keys": [
                {"name": "good", "public_key_id": "k1", "in_keyring": True},
                {"bogus": 1},
                {"name": "newer", "public_key_id": "k2", "hsm_slot": 7},
            ],
            "connectors": [
                {"id": "c1", "name": "prod"},  # no api_url: malformed
                {"id": "c2", "name": "dev", "api_url": "https://api.example.com", "owner_team": "data"},
            ],
        }
    )
    settings = Settings.load()
    assert [k.name for k in settings.keys] == ["good", "newer"]
    assert [c.id for c in settings.connectors] == ["c2"]
    settings.remember_key(KeyRecord(name="added", public_key_id="k3"))
    settings.save()
    saved = json.loads(path.read_text())
    assert {"bogus": 1} in saved["keys"]  # kept as it was, for whoever can read it
    assert {"name": "newer", "public_key_id": "k2", "hsm_slot": 7}.items() <= next(
        k for k in saved["keys"] if k.get("name") == "newer"
    ).items()
    assert {"id": "c1", "name": "prod"} in saved["connectors"]
    assert next(c for c in saved["connectors"] if c.get("id") == "c2")["owner_team"] == "data"
    assert {k.get("name") for k in saved["keys"]} >= {"good", "newer", "added"}
    assert saved["username"] == "u@x.co" and saved["schema"] == 2


def test_a_run_kind_step_or_app_type_this_version_does_not_know_is_kept_as_it_was_never_guessed() -> None:
    """Journal entries and app records are typed when read (core.kinds): a word of a newer version is not guessed
    at (a step misread could undo the wrong thing); the whole record is kept and written back unchanged."""
    from core.kinds import AppType, RunKind, RunStep

    known = {"id": "j1", "kind": "setup", "step": "permission set", "started_at": "2026-12-01T00:00:00+00:00"}
    newer = {**known, "id": "j2", "step": "teleport"}
    app = {"app_name": "A", "consumer_key": "ck1", "instance_url": "https://x.my.salesforce.com", "app_type": "eca"}
    future_app = {**app, "consumer_key": "ck2", "app_type": "quantum-app"}
    path = _write({"schema": 2, "journal": [known, newer], "salesforce_apps": [app, future_app]})
    settings = Settings.load()
    [entry] = settings.journal
    assert (entry.kind, entry.step) == (RunKind.SETUP, RunStep.PERMISSION_SET) and entry.kind is RunKind.SETUP
    [record] = settings.salesforce_apps
    assert record.app_type is AppType.ECA
    settings.username = "changed"
    settings.save()
    saved = json.loads(path.read_text())
    assert newer in saved["journal"] and future_app in saved["salesforce_apps"]
    assert next(e for e in saved["journal"] if e["id"] == "j1")["step"] == "permission set"  # the same words


def test_the_resume_record_is_typed_when_read_and_what_it_cannot_use_is_written_back_as_it_was() -> None:
    """Settings.wizard was a dict read through string keys in six files; it is a ResumeState now, read from the
    same JSON object (a file of an earlier version resumes as before)."""
    from core.storage.settings import ResumeState

    path = _write(
        {
            "schema": 2,
            "wizard": {
                "page": 3,
                "key_name": "salesforce",
                "categories": ["account", "case"],
                "ticks": {"eca": [True, False]},
                "proved_login": {"consumer_key": "ck", "instance_url": "https://x.my.salesforce.com"},
                "connector_name": 42,  # a wrong type: kept, not used
                "hologram": {"from": "a newer version"},
            },
        }
    )
    settings = Settings.load()
    resume = settings.wizard
    assert isinstance(resume, ResumeState)
    assert (resume.page, resume.key_name, resume.categories, resume.connector_name) == (
        3,
        "salesforce",
        ["account", "case"],
        "",
    )
    assert resume.any_ticked() and not ResumeState(ticks={"eca": [False, False]}).any_ticked()
    assert resume.proved_login == {"consumer_key": "ck", "instance_url": "https://x.my.salesforce.com"}
    resume.page = 4
    settings.save()
    saved = json.loads(path.read_text())["wizard"]
    assert saved["page"] == 4 and saved["connector_name"] == 42 and saved["hologram"] == {"from": "a newer version"}
    settings.wizard = ResumeState()
    settings.save()
    assert json.loads(path.read_text())["wizard"] == {}


def test_fields_and_the_schema_of_a_newer_version_are_written_back() -> None:
    path = _write({"schema": 9, "username": "u@x.co", "future": {"on": True}, "api_url": 5})
    settings = Settings.load()
    assert settings.username == "u@x.co" and settings.api_url == ""
    settings.save()
    saved = json.loads(path.read_text())
    assert saved["schema"] == 9 and saved["future"] == {"on": True} and saved["api_url"] == 5


def test_a_file_from_before_the_schema_number_is_migrated_after_a_copy_is_kept() -> None:
    original = json.dumps({"username": "u@x.co", "keys": [{"name": "k", "public_key_id": "p"}]})
    path = _write(original)
    settings = Settings.load()
    assert settings.keys[0].name == "k"
    backups = list(path.parent.glob("settings.json.schema1-*"))
    assert len(backups) == 1 and backups[0].read_text() == original
    assert_owner_only(backups[0])
    settings.save()
    assert json.loads(path.read_text())["schema"] == 2


@pytest.mark.parametrize("content", ["{not json", "[]", "{" * 100000])
def test_a_damaged_file_is_kept_aside_and_said_once(content: str) -> None:
    path = _write(content)
    settings = Settings.load()
    assert settings == Settings() and "damaged" in settings.notice
    aside = list(path.parent.glob("settings.json.damaged-*"))
    assert len(aside) == 1 and aside[0].read_text() == content and str(aside[0]) in settings.notice
    settings.save()
    assert aside[0].read_text() == content  # the next save cannot replace it
    assert Settings.load().notice == ""  # said once


def _with_records() -> tuple[Path, bytes]:
    settings = Settings(username="a@b.co")
    settings.remember_key(KeyRecord(name="k", public_key_id="abc"))
    settings.remember_connector(ConnectorRecord(id="1", name="n", api_url="https://x.example.com"))
    path = settings.save()
    return path, path.read_bytes()


def test_one_invalid_utf8_byte_costs_no_record_the_file_is_kept_aside_as_it_was() -> None:
    path, good = _with_records()
    damaged = good.replace(b'"n"', b'"\xff"')  # one byte that is not UTF-8, in the connector's name
    path.write_bytes(damaged)
    settings = Settings.load()
    aside = list(path.parent.glob("settings.json.damaged-*"))
    assert len(aside) == 1 and str(aside[0]) in settings.notice and "not UTF-8" in settings.notice
    settings.remember_key(KeyRecord(name="new", public_key_id="def"))
    settings.save()
    assert aside[0].read_bytes() == damaged  # every record is still there, byte for byte
    assert [k.name for k in Settings.load().keys] == ["new"]


def test_an_editors_byte_order_mark_is_no_damage() -> None:
    path, good = _with_records()
    path.write_bytes(b"\xef\xbb\xbf" + good)
    settings = Settings.load()
    assert settings.notice == "" and settings.connector("1") is not None


@posix_only
def test_a_file_the_disk_refuses_to_read_is_never_moved_aside_nor_written_over(tmp_path: Path) -> None:
    """EIO for real: reading /proc/self/mem at offset 0 fails with an I/O error. A refusal says nothing of the
    content (on Windows it is most often another program's handle, gone a moment later): the file stays."""
    config_dir().mkdir(parents=True, exist_ok=True)
    path = config_dir() / "settings.json"
    path.symlink_to("/proc/self/mem")
    settings = Settings.load()
    assert "cannot be read (Input/output error)" in settings.notice and "will not save over" in settings.notice
    assert not list(path.parent.glob("settings.json.damaged-*")) and path.is_symlink()
    settings.username = "a@b.co"
    with pytest.raises(AppError, match="not saved over it") as info:
        settings.save()
    assert "another program holds it open" in (info.value.hint or "")
    assert path.is_symlink() and os.readlink(path) == "/proc/self/mem"
    path.unlink()  # once it can be read (here: it is gone), saving works again
    settings.save()
    assert Settings.load().username == "a@b.co"


def test_a_damaged_file_another_run_replaces_meanwhile_is_read_not_set_aside() -> None:
    """The decision to set a file aside is taken holding the lock: the damage read a moment before may be
    gone by then, because another run set it aside and saved good settings (this one must not set those aside)."""
    import threading

    path = _write("{not json")
    lock_waits: list[str] = []

    class Waits(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if "not acquired" in record.getMessage():
                lock_waits.append(record.getMessage())

    handler, filelock_log = Waits(), logging.getLogger("filelock")
    loaded: list[Settings] = []
    with settings_lock(path):  # another run, about to replace the damaged file
        filelock_log.addHandler(handler)
        old_level = filelock_log.level
        filelock_log.setLevel(logging.DEBUG)
        try:
            reader = threading.Thread(target=lambda: loaded.append(Settings.load()))
            reader.start()
            for _ in range(6000):  # the reader has read the damage and now waits for the lock
                if lock_waits or not reader.is_alive():
                    break
                threading.Event().wait(0.01)
            assert lock_waits, "the load did not wait for the lock after reading a damaged file"
            path.write_text(json.dumps({"schema": 2, "username": "good@b.co"}))
        finally:
            filelock_log.removeHandler(handler)
            filelock_log.setLevel(old_level)
    reader.join(timeout=120)
    assert loaded and loaded[0].username == "good@b.co" and loaded[0].notice == ""
    assert not list(path.parent.glob("settings.json.damaged-*"))


def test_a_damaged_file_is_not_set_aside_while_another_run_holds_the_lock(monkeypatch: pytest.MonkeyPatch) -> None:
    from core.storage import settings as settings_module

    path = _write("{not json")
    monkeypatch.setattr(settings_module, "LOCK_TIMEOUT", 0.3)  # held for good here: no need to wait 15 s
    with settings_lock(path):
        settings = Settings.load()
    assert "is being written by another run of this app" in settings.notice and settings.unsaveable
    assert "Wait for the other run to finish, then start the app again." in settings.notice
    assert not list(path.parent.glob("settings.json.damaged-*")) and path.read_text() == "{not json"


def test_a_file_that_can_be_neither_read_nor_moved_aside_is_never_written_over(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Where the move aside fails too (a rename as root cannot be refused here: os.replace refuses instead)."""
    path, good = _with_records()
    path.write_bytes(good[:-3] + b"\xfe\xfe\xfe")
    real_replace = os.replace

    def refusing(src: object, dst: object) -> None:
        if Path(str(src)) == path:
            raise PermissionError(13, "Permission denied")
        real_replace(src, dst)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "replace", refusing)
    settings = Settings.load()
    assert "could not be moved aside (Permission denied)" in settings.notice and "will not save over" in settings.notice
    settings.username = "someone@else.co"
    with pytest.raises(AppError, match="not saved over it") as info:
        settings.save()
    assert "Fix the file's permissions" in (info.value.hint or "")
    assert path.read_bytes() == good[:-3] + b"\xfe\xfe\xfe"  # untouched
    # Another run that loaded it fine before the damage cannot write over it either.
    with pytest.raises(AppError, match="not saved over it"):
        Settings.update(lambda s: setattr(s, "username", "x@y.co"))
    monkeypatch.setattr(os, "replace", real_replace)
    repaired = Settings.load()  # once it can be moved, it is, and saving works again
    assert list(path.parent.glob("settings.json.damaged-*")) and repaired.notice and not repaired.unsaveable
    repaired.save()


def test_a_file_damaged_after_this_run_loaded_it_is_kept_aside_by_the_save() -> None:
    path, good = _with_records()
    settings = Settings.load()
    path.write_bytes(good.replace(b'"k"', b'"\xc3\x28"'))  # another program damages it meanwhile
    settings.username = "z@z.co"
    settings.save()
    aside = list(path.parent.glob("settings.json.damaged-*"))
    assert len(aside) == 1 and b"\xc3\x28" in aside[0].read_bytes()
    assert Settings.load().username == "z@z.co"


def test_the_cli_says_when_the_settings_were_set_aside(tmp_path: Path) -> None:
    from tests.core.test_cli import cli

    _write("{not json")
    run = cli("keygen", "--out", str(tmp_path))
    assert run.code == 0 and "note: The settings file could not be read (it is damaged: not JSON)" in run.err
    assert Settings.load().keys  # the new key is recorded in fresh settings


def test_the_log_rolls_over_and_loses_nothing_while_another_run_has_it_open(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The wizard beside a scheduled watch: both write wizard.log. Windows refuses to rename a file another
    process has open, so the rollover waits (the file grows a little more) instead of moving the older files on
    and failing: logging's own lost a generation of the log per attempt, then stopped logging."""
    from core.logs import _private_rotating_handler

    path = tmp_path / "wizard.log"
    mine, theirs = _private_rotating_handler(path), _private_rotating_handler(path)
    for handler in (mine, theirs):
        handler.setFormatter(logging.Formatter("%(message)s"))
        assert isinstance(handler, logging.handlers.RotatingFileHandler)
        handler.maxBytes = 300

    def line(text: str) -> logging.LogRecord:
        return logging.LogRecord("sfcw", logging.INFO, __file__, 1, text, None, None)

    try:
        theirs.handle(line("the watch started"))  # its file stays open, as a running watch's does
        said = [f"record {n:02d} " + "x" * 40 for n in range(20)]
        for text in said:
            mine.handle(line(text))
    finally:
        mine.close()
        theirs.close()
    kept = "".join(p.read_text() for p in sorted(tmp_path.glob("wizard.log*")))
    assert all(text in kept for text in said)  # 20 lines of ~50 bytes: the base and its 3 older files hold all
    assert "cannot be written" not in capsys.readouterr().err


def test_two_runs_writing_one_log_keep_its_records_in_order(tmp_path: Path) -> None:
    """Where the rename succeeds (Linux, macOS), the other run wrote on into the renamed file and, once that had
    grown, rolled the fresh file away as if it were full: records out of order across the files, and a generation
    of the log used up by a file of a few lines. Each run now follows the rename. (Windows refuses the rename
    while the other has the file open: all stays in one file, in order.)"""
    import re

    from core.logs import _private_rotating_handler

    path = tmp_path / "wizard.log"
    runs = [_private_rotating_handler(path), _private_rotating_handler(path)]
    for handler in runs:
        handler.setFormatter(logging.Formatter("%(message)s"))
        assert isinstance(handler, logging.handlers.RotatingFileHandler)
        handler.maxBytes, handler.backupCount = 300, 50  # every record kept, to read the order back
    try:
        for n in range(60):
            runs[n % 2].handle(
                logging.LogRecord("sfcw", logging.INFO, __file__, 1, f"record {n:03d} {'x' * 30}", None, None)
            )
    finally:
        for handler in runs:
            handler.close()
    oldest_first = [path.with_name(f"wizard.log.{k}") for k in range(50, 0, -1)] + [path]
    text = "".join(p.read_text() for p in oldest_first if p.exists())
    assert [int(n) for n in re.findall(r"record (\d{3})", text)] == list(range(60))


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
