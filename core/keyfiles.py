"""Writing key material to disk: owner-only from creation, atomic, never a silent overwrite."""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from core.errors import FileRefusedError
from core.keys import KeyBundle

SECRET_MODE = 0o600
PUBLIC_MODE = 0o644


def write_file_atomic(path: Path, data: bytes, *, mode: int, overwrite: bool = False) -> Path:
    """Write ``data`` to ``path`` atomically with permissions ``mode`` from the first byte.

    The data goes to a temporary file in the same folder (created with ``mode`` by mkstemp's
    0600 default, then widened if asked), is fsynced, and is renamed over ``path``. Without
    ``overwrite`` an existing file is never replaced, even if it appears while writing.

    Raises:
        FileRefusedError: the file exists and ``overwrite`` is false, or the folder is not writable.
    """
    path = Path(path)
    if path.exists() and not overwrite:
        raise FileRefusedError(
            f"{path} already exists and was left untouched.",
            hint="Choose another name or folder, or confirm that it may be replaced (--force).",
        )
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise FileRefusedError(
            f"Cannot write into {path.parent}: {exc.strerror or exc}.",
            hint="Choose a folder you can write to.",
        ) from exc
    try:
        with os.fdopen(fd, "wb") as handle:
            if mode != SECRET_MODE and os.name == "posix":
                os.fchmod(handle.fileno(), mode)
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if overwrite:
            os.replace(tmp_name, path)
        else:
            # link() fails if the target appeared meanwhile: no race can clobber a key.
            try:
                os.link(tmp_name, path)
            except FileExistsError as exc:
                raise FileRefusedError(f"{path} appeared while writing and was left untouched.") from exc
            except OSError:
                # File systems without hard links (FAT, some network shares).
                if path.exists():
                    raise FileRefusedError(f"{path} already exists and was left untouched.") from None
                os.replace(tmp_name, path)
    except OSError as exc:
        raise FileRefusedError(f"Cannot write {path}: {exc.strerror or exc}.") from exc
    finally:
        if os.path.exists(tmp_name):
            os.unlink(tmp_name)
    _fsync_dir(path.parent)
    return path


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
    if not overwrite:
        existing = [str(p) for p, _, _ in planned if p is not None and p.exists()]
        if existing:
            raise FileRefusedError(
                f"{', '.join(existing)} already exist{'s' if len(existing) == 1 else ''}; nothing was written.",
                hint="Choose another name or folder, or confirm that the files may be replaced (--force).",
            )
    for target, data, mode in planned:
        assert target is not None
        write_file_atomic(target, data, mode=mode, overwrite=overwrite)
    return WrittenFiles(
        private_key=paths.private_key if include_private_key else None,
        certificate=paths.certificate if bundle.cert_pem is not None else None,
        csr=paths.csr if bundle.csr_pem is not None else None,
    )
