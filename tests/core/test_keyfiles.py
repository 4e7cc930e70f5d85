from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from core.crypto.keypair import KeyBundle
from core.errors import FileRefusedError
from core.storage.keyfiles import write_file_atomic, write_key_bundle
from tests.platforms import WINDOWS, assert_owner_only, posix_only


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_bundle_files_have_owner_only_key_and_readable_certificate(tmp_path: Path, key_bundle: KeyBundle) -> None:
    written = write_key_bundle(key_bundle, tmp_path, name="sf")
    assert written.private_key == tmp_path / "sf.pem"
    assert_owner_only(tmp_path / "sf.pem")
    assert WINDOWS or mode(tmp_path / "sf.crt") == 0o644  # Windows: the folder's ACL, as for any document
    assert (tmp_path / "sf.pem").read_bytes() == key_bundle.private_key_pem
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sf.crt", "sf.pem"]  # no temp files left


@posix_only  # umask
def test_key_file_is_owner_only_even_with_a_permissive_umask(tmp_path: Path, key_bundle: KeyBundle) -> None:
    old = os.umask(0)
    try:
        write_key_bundle(key_bundle, tmp_path)
    finally:
        os.umask(old)
    assert mode(tmp_path / "salesforce.pem") == 0o600


def test_existing_key_is_never_overwritten_and_nothing_partial_is_written(
    tmp_path: Path, key_bundle: KeyBundle
) -> None:
    (tmp_path / "salesforce.crt").write_text("keep me")
    with pytest.raises(FileRefusedError, match="already exist"):
        write_key_bundle(key_bundle, tmp_path)
    assert not (tmp_path / "salesforce.pem").exists()
    assert (tmp_path / "salesforce.crt").read_text() == "keep me"


def test_overwrite_only_with_consent(tmp_path: Path, key_bundle: KeyBundle) -> None:
    (tmp_path / "salesforce.pem").write_text("old")
    write_key_bundle(key_bundle, tmp_path, overwrite=True)
    assert (tmp_path / "salesforce.pem").read_bytes() == key_bundle.private_key_pem
    assert_owner_only(tmp_path / "salesforce.pem")


def test_atomic_write_refuses_a_file_that_exists(tmp_path: Path) -> None:
    target = tmp_path / "x"
    target.write_bytes(b"original")
    with pytest.raises(FileRefusedError):
        write_file_atomic(target, b"new", mode=0o600)
    assert target.read_bytes() == b"original"


def test_unwritable_folder_gives_a_clear_error(tmp_path: Path, key_bundle: KeyBundle) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(FileRefusedError, match="Cannot write"):
        write_key_bundle(key_bundle, blocker / "sub")


@pytest.mark.parametrize("name", ["", "../evil", "a/b", ".hidden"])
def test_bad_names_are_refused(tmp_path: Path, key_bundle: KeyBundle, name: str) -> None:
    with pytest.raises(FileRefusedError):
        write_key_bundle(key_bundle, tmp_path, name=name)


# --- a key and its certificate are one unit -----------------------------------------------------


@pytest.mark.skipif(WINDOWS, reason="a symbolic link needs a privilege Windows gives only admins or Developer Mode")
def test_a_dangling_link_counts_as_an_existing_file_and_nothing_is_written(
    tmp_path: Path, key_bundle: KeyBundle
) -> None:
    (tmp_path / "salesforce.crt").symlink_to(tmp_path / "elsewhere.crt")
    with pytest.raises(FileRefusedError, match="salesforce.crt already exists"):
        write_key_bundle(key_bundle, tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["salesforce.crt"]
    assert not (tmp_path / "elsewhere.crt").exists()  # the link was not followed


def _failing_on(monkeypatch: pytest.MonkeyPatch, suffix: str) -> None:
    """The OS refuses to put the new ``suffix`` file in place (a share that goes away); moving old files works."""
    import errno

    real_link, real_replace = os.link, os.replace

    def link(src: str, dst: str | Path) -> None:
        if str(dst).endswith(suffix) and str(src).endswith(".tmp"):
            raise OSError(errno.ENOSPC, "No space left on device", str(dst))
        real_link(src, dst)

    def replace(src: str, dst: str | Path) -> None:
        if str(dst).endswith(suffix) and str(src).endswith(".tmp"):
            raise OSError(errno.ENOSPC, "No space left on device", str(dst))
        real_replace(src, dst)

    monkeypatch.setattr(os, "link", link)
    monkeypatch.setattr(os, "replace", replace)


def test_a_failure_on_the_certificate_leaves_no_key_alone(
    tmp_path: Path, key_bundle: KeyBundle, monkeypatch: pytest.MonkeyPatch
) -> None:
    _failing_on(monkeypatch, ".crt")
    with pytest.raises(FileRefusedError, match="No space left.*Nothing was written"):
        write_key_bundle(key_bundle, tmp_path)
    assert list(tmp_path.iterdir()) == []  # neither the key nor any temp file holding it


def test_a_failed_replace_keeps_the_old_key_and_certificate_together(
    tmp_path: Path, key_bundle: KeyBundle, other_bundle: KeyBundle, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_key_bundle(key_bundle, tmp_path)
    _failing_on(monkeypatch, ".crt")
    with pytest.raises(FileRefusedError):
        write_key_bundle(other_bundle, tmp_path, overwrite=True)
    assert (tmp_path / "salesforce.pem").read_bytes() == key_bundle.private_key_pem
    assert (tmp_path / "salesforce.crt").read_bytes() == key_bundle.cert_pem
    assert sorted(p.name for p in tmp_path.iterdir()) == ["salesforce.crt", "salesforce.pem"]


def test_a_temp_file_left_by_a_killed_run_is_cleared_on_the_next_write(tmp_path: Path, key_bundle: KeyBundle) -> None:
    stale = tmp_path / ".salesforce.pem.k3y9x0.tmp"
    stale.write_bytes(b"-----BEGIN RSA PRIVATE KEY-----\n...")
    os.utime(stale, (0, 0))
    fresh = tmp_path / ".salesforce.crt.abcdef.tmp"  # another run may be writing this one right now
    fresh.write_bytes(b"x")
    kept_previous = tmp_path / ".salesforce.pem.abcdef.previous"  # an old key set aside: never removed
    kept_previous.write_bytes(b"old")
    os.utime(kept_previous, (0, 0))
    write_key_bundle(key_bundle, tmp_path)
    assert not stale.exists() and fresh.exists() and kept_previous.exists()
