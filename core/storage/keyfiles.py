"""Writing key material to disk: owner-only from creation, atomic, never a silent overwrite.

Owner-only is mode 0600 (files) and 0700 (folders) on macOS and Linux, and an explicit protected
ACL for the current user and SYSTEM on Windows (core/storage/winacl.py).
"""

from __future__ import annotations

import glob
import os
import secrets
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from core.errors import FileRefusedError
from core.storage import winacl
from core.storage.fileshare import sharing_retry

if TYPE_CHECKING:
    from core.crypto.keypair import KeyBundle

SECRET_MODE = 0o600
PUBLIC_MODE = 0o644


def write_file_atomic(path: Path, data: bytes, *, mode: int, overwrite: bool = False) -> Path:
    """Write ``data`` to ``path`` atomically with permissions ``mode`` from the first byte.

    The data goes to a temporary file in the same folder (created with ``mode`` by mkstemp's
    0600 default, then widened if asked), is fsynced, and is renamed over ``path``. Without
    ``overwrite`` an existing file (or link, even a dangling one) is never replaced, even if it
    appears while writing.

    Raises:
        FileRefusedError: the file exists and ``overwrite`` is false, or the folder is not writable.
    """
    path = Path(path)
    refuse_existing([path], overwrite=overwrite, nothing="it was left untouched")
    staged = _stage(path, data, mode=mode)
    try:
        _commit(staged, path, overwrite=overwrite)
    finally:
        _unlink_quietly(staged)
    _fsync_dir(path.parent)
    return path


_TEMP_SUFFIX = ".tmp"
#: A temp file of ours older than this is left over from a killed run, not one being written.
_STALE_SECONDS = 60.0


def refuse_existing(
    paths: list[Path | None],
    *,
    overwrite: bool,
    nothing: str,
    field: str = "",
    hint: str = "Choose another name or folder, or confirm that the files may be replaced (--force).",
) -> None:
    """The one "never over an existing file" rule: raise unless ``overwrite`` or none of ``paths`` exists.

    Uses lstat, so a link counts even when it points nowhere (following it would let a dangling
    link pass the check and fail the write half-way).

    Raises:
        FileRefusedError: naming every existing path and ``nothing`` (what was not done).
    """
    if overwrite:
        return
    existing = [str(p) for p in paths if p is not None and os.path.lexists(p)]
    if existing:
        raise FileRefusedError(
            f"{', '.join(existing)} already exist{'s' if len(existing) == 1 else ''}; {nothing}.",
            field=field,
            hint=hint,
        )


def ensure_private_dir(folder: Path) -> None:
    """Create ``folder`` and any missing parents owner-only (0700), whatever the umask.

    ``mkdir(parents=True)`` would give the parents it makes the default 0777 & ~umask (0777 under
    umask 000); every folder this app creates is made here instead. Existing folders are left as
    they are: they are the admin's.
    """
    missing = []
    current = Path(folder)
    while not current.exists():
        missing.append(current)
        if current.parent == current:
            break
        current = current.parent
    for created in reversed(missing):
        try:
            if sys.platform == "win32":
                winacl.make_private_dir(created)  # an explicit owner-only ACL: 0700 means nothing there
            else:
                created.mkdir(mode=0o700)
        except FileExistsError:
            continue
        if os.name == "posix":
            os.chmod(created, 0o700)  # mkdir's mode is filtered by the umask


def _stage(path: Path, data: bytes, *, mode: int) -> str:
    """Write ``data`` to a new hidden temp file beside ``path`` (owner-only from creation); return its name."""
    try:
        ensure_private_dir(path.parent)
        if sys.platform == "win32" and mode == SECRET_MODE:
            fd, tmp_name = _windows_private_temp(path)
        else:
            fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=_TEMP_SUFFIX)
    except OSError as exc:
        raise FileRefusedError(
            f"Cannot write into {path.parent}: {exc.strerror or exc}.",
            hint="Choose a folder you can write to.",
        ) from exc
    try:
        with os.fdopen(fd, "wb") as handle:
            if mode != SECRET_MODE and sys.platform != "win32":
                os.fchmod(handle.fileno(), mode)
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
    except OSError as exc:
        _unlink_quietly(tmp_name)
        raise FileRefusedError(f"Cannot write {path}: {exc.strerror or exc}.") from exc
    return tmp_name


def _windows_private_temp(path: Path) -> tuple[int, str]:
    """A new temp file beside ``path`` that only this user (and SYSTEM) can open, from creation on.

    The rename to ``path`` keeps its ACL, so a key saved into a shared folder stays the user's own.
    """
    if sys.platform != "win32":
        raise NotImplementedError("only Windows needs an ACL")
    for _ in range(100):
        name = str(path.parent / f".{path.name}.{secrets.token_hex(4)}{_TEMP_SUFFIX}")
        try:
            return winacl.create_private_file(Path(name)), name
        except FileExistsError:
            continue
    raise FileExistsError(f"no free temporary name beside {path}")


def _commit(tmp_name: str, path: Path, *, overwrite: bool) -> None:
    """Move a staged file to ``path``; without ``overwrite`` never over anything that appeared meanwhile."""
    try:
        if overwrite:
            sharing_retry(lambda: os.replace(tmp_name, path))
            return
        # link() fails if the target appeared meanwhile: no race can clobber a key.
        try:
            os.link(tmp_name, path)
        except FileExistsError as exc:
            raise FileRefusedError(f"{path} appeared while writing and was left untouched.") from exc
        except OSError:
            # File systems without hard links (FAT, some network shares).
            if os.path.lexists(path):
                raise FileRefusedError(f"{path} already exists and was left untouched.") from None
            sharing_retry(lambda: os.replace(tmp_name, path))
    except FileRefusedError:
        raise
    except OSError as exc:
        raise FileRefusedError(f"Cannot write {path}: {exc.strerror or exc}.") from exc


def _unlink_quietly(name: str | Path) -> None:
    """Remove a temp file; on Windows after any scanner lets go of it (a staged key must not stay behind)."""
    try:
        sharing_retry(lambda: os.unlink(name))
    except OSError:
        pass


def clear_stale_temps(folder: Path, names: list[str], *, now: float | None = None) -> list[Path]:
    """Remove temp files this module left beside ``names`` in ``folder`` when a run was killed.

    A killed write leaves ``.NAME.XXXX.tmp`` (for a key: the whole private key). Only files of
    that exact form, older than a minute (so never one a running write is filling), are removed.
    """
    removed = []
    moment = time.time() if now is None else now
    for name in names:
        for candidate in Path(folder).glob(f".{glob.escape(name)}.*{_TEMP_SUFFIX}"):
            try:
                if candidate.is_file() and not candidate.is_symlink():
                    if moment - candidate.stat().st_mtime > _STALE_SECONDS:
                        candidate.unlink()
                        removed.append(candidate)
            except OSError:
                continue
    return removed


def _fsync_dir(folder: Path) -> None:
    if os.name != "posix":
        return
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@dataclass(frozen=True)
class WrittenFiles:
    private_key: Path | None
    certificate: Path | None
    csr: Path | None


def bundle_paths(folder: Path, name: str) -> WrittenFiles:
    folder = Path(folder)
    return WrittenFiles(folder / f"{name}.pem", folder / f"{name}.crt", folder / f"{name}.csr")


def write_key_bundle(
    bundle: KeyBundle,
    folder: Path,
    *,
    name: str = "salesforce",
    overwrite: bool = False,
    include_private_key: bool = True,
) -> WrittenFiles:
    """Write ``NAME.pem`` (0600), ``NAME.crt`` and, if the bundle has one, ``NAME.csr``.

    Every target is checked before anything is written, so a refusal leaves no partial set.

    Raises:
        FileRefusedError: a target exists and ``overwrite`` is false, or the folder is not writable.
    """
    if not name or any(c in name for c in '/\\:*?"<>|') or name.startswith("."):
        raise FileRefusedError(f"'{name}' cannot be used as a file name.", hint="Use letters, digits, '-' or '_'.")
    paths = bundle_paths(folder, name)
    planned = []
    if include_private_key:
        planned.append((paths.private_key, bundle.private_key_pem, SECRET_MODE))
    if bundle.cert_pem is not None:
        planned.append((paths.certificate, bundle.cert_pem, PUBLIC_MODE))
    if bundle.csr_pem is not None:
        planned.append((paths.csr, bundle.csr_pem, PUBLIC_MODE))
    targets = [target for target, _, _ in planned if target is not None]
    refuse_existing(list(targets), overwrite=overwrite, nothing="nothing was written")
    folder_path = Path(folder)
    if folder_path.is_dir():
        clear_stale_temps(folder_path, [t.name for t in targets])
    # All or nothing: every file is staged first; then each is moved into place (an earlier file
    # being replaced is kept aside until all are in); any failure undoes this call's moves.
    staged: list[tuple[str, Path]] = []
    try:
        for target, data, mode in planned:
            assert target is not None
            staged.append((_stage(target, data, mode=mode), target))
        _commit_all(staged, overwrite=overwrite)
    finally:
        for tmp_name, _ in staged:
            _unlink_quietly(tmp_name)
    _fsync_dir(folder_path)
    return WrittenFiles(
        private_key=paths.private_key if include_private_key else None,
        certificate=paths.certificate if bundle.cert_pem is not None else None,
        csr=paths.csr if bundle.csr_pem is not None else None,
    )


def _commit_all(staged: list[tuple[str, Path]], *, overwrite: bool) -> None:
    """Move every staged file into place, or none: on failure, restore what was there before."""
    moved: list[Path] = []
    kept_aside: list[tuple[str, Path]] = []
    try:
        for tmp_name, target in staged:
            if overwrite and os.path.lexists(target):
                # Not a .tmp name: a run killed here leaves the previous file as .NAME.XXXX.previous,
                # which the stale-temp clean-up never deletes.
                aside = str(target.parent / f".{target.name}.{secrets.token_hex(6)}.previous")
                os.replace(target, aside)
                kept_aside.append((aside, target))
            _commit(tmp_name, target, overwrite=overwrite)
            moved.append(target)
    except (OSError, FileRefusedError) as exc:
        for target in moved:
            _unlink_quietly(target)
        for aside, target in kept_aside:
            try:
                os.replace(aside, target)
            except OSError:
                pass
        if isinstance(exc, FileRefusedError):
            raise FileRefusedError(f"{exc.message} Nothing was written.", hint=exc.hint) from exc
        raise FileRefusedError(
            f"Cannot write {exc.filename or 'the files'}: {exc.strerror or exc}. Nothing was written."
        ) from exc
    for aside, _ in kept_aside:
        _unlink_quietly(aside)
