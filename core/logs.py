"""Logging to a rotating file in the platform's log folder, with secrets redacted.

The redaction filter is a second line of defence: code never logs secrets on purpose, but an
exception text or a server's error body might carry one.
"""

from __future__ import annotations

import io
import logging
import os
import re
import sys
import threading
from pathlib import Path

from core.defaults import LOG_FILE_NAME

_PATTERNS = [
    (
        re.compile(r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----.*?(-----END [A-Z0-9 ]*PRIVATE KEY-----|$)", re.DOTALL),
        "[REDACTED PRIVATE KEY]",
    ),
    (re.compile(r"(?i)(unstructured-api-key[\"']?\s*[:=]\s*[\"']?)[^\s\"',}]+"), r"\1[REDACTED]"),
    (re.compile(r"(?i)(bearer\s+)[A-Za-z0-9!._~+/=-]+"), r"\1[REDACTED]"),
    (
        re.compile(
            r"(?i)([\"']?(?:access_token|refresh_token|assertion|api_key|private_key|password|passphrase)[\"']?\s*[:=]\s*[\"']?)[^\s\"'&,}]+"
        ),
        r"\1[REDACTED]",
    ),
    # A compact JWT (header.payload.signature), e.g. inside a URL or a dump.
    # Anchored at the start of a run of token characters and possessive, so that a long run without
    # dots is scanned once, not once per 'eyJ' in it (that was quadratic: 14 s on 200 KB).
    (
        re.compile(r"(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{5,}+\.[A-Za-z0-9_-]{5,}+\.[A-Za-z0-9_-]++"),
        "[REDACTED JWT]",
    ),
]

_known_secrets: set[str] = set()
_known_lock = threading.Lock()


def register_secret(value: str | None) -> None:
    """Make every later log record and redacted text hide ``value`` (e.g. the API key in use)."""
    if value and len(value) >= 6:
        with _known_lock:
            _known_secrets.add(value)


def redact(text: str) -> str:
    """Hide private keys, API keys, tokens and registered secret values in ``text``."""
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    with _known_lock:
        secrets = sorted(_known_secrets, key=len, reverse=True)
    for secret in secrets:
        text = text.replace(secret, "[REDACTED]")
    return text


class RedactingFilter(logging.Filter):
    """Rewrites each record's final message (and traceback text) with :func:`redact`."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = redact(record.getMessage())
        record.msg, record.args = message, None
        if record.exc_info:
            formatter = logging.Formatter()
            record.exc_text = redact(formatter.formatException(record.exc_info))
            record.exc_info = None
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


def _private_rotating_handler(path: Path) -> logging.Handler:
    """A rotating file handler whose files are created owner-only (0600), whatever the umask."""
    from logging.handlers import RotatingFileHandler  # sockets, pickle: not before the first window

    class PrivateRotatingFileHandler(RotatingFileHandler):
        warned = False
        #: After a rollover Windows refused: the file's size at which the next one is tried.
        retry_at = 0

        def shouldRollover(self, record: logging.LogRecord) -> bool:  # noqa: N802 - logging's name
            self._follow_rollover()
            if self.retry_at and self.stream is not None and self.stream.tell() < self.retry_at:
                return False
            return bool(super().shouldRollover(record))

        def _follow_rollover(self) -> None:
            """Linux and macOS let another run of this app (the wizard beside a scheduled watch) rename the file
            this one has open: this one wrote on into ``.1`` and, once that had grown, rolled the other's fresh
            file away as if it were full (records out of order, the oldest generation dropped early). Before
            each record, a file that is no longer the log's is left for the log's."""
            if self.stream is None or sys.platform == "win32":  # Windows refuses the rename (doRollover)
                return
            try:
                if os.path.samestat(os.stat(self.baseFilename), os.fstat(self.stream.fileno())):
                    return
            except OSError:
                pass  # no log there (renamed a moment ago): a fresh one is opened
            self.stream.close()
            self.stream = self._open()

        def doRollover(self) -> None:  # noqa: N802 - logging's name
            """The file becomes ``.1`` (``.1`` becomes ``.2`` …), or, where Windows refuses to rename it because
            another run of this app has it open (the wizard beside a scheduled watch), it grows a little more
            and the rollover is tried again later. logging's own rollover moved the older files on first, so
            every refused attempt cost a generation of the log, and then it stopped logging altogether."""
            if self.stream:
                self.stream.close()
                self.stream = None  # logging's own way of saying closed
            base = self.baseFilename
            moving = f"{base}.rotating"
            self.retry_at = 0
            try:
                os.replace(base, moving)
            except FileNotFoundError:
                pass  # another run rolled it over meanwhile: this one starts the new file
            except OSError:
                self.retry_at = os.path.getsize(base) + max(self.maxBytes // 10, 1)
            else:
                for n in range(self.backupCount - 1, 0, -1):
                    if os.path.exists(f"{base}.{n}"):
                        os.replace(f"{base}.{n}", f"{base}.{n + 1}")
                os.replace(moving, f"{base}.1")
            self.stream = self._open()

        def handleError(self, record: logging.LogRecord) -> None:  # noqa: N802 - logging's name
            # logging would print a 40-100 line traceback per record (e.g. a full disk): one line, once.
            if not PrivateRotatingFileHandler.warned:
                PrivateRotatingFileHandler.warned = True
                import sys

                print(
                    f"warning: the log file {self.baseFilename} cannot be written; nothing more is logged there.",
                    file=sys.stderr,
                )

        def _open(self) -> io.TextIOWrapper:
            if sys.platform == "win32":
                # An explicit owner-only ACL from creation: a folder made by an older version, or by hand,
                # may pass on a wider one.
                from core.storage import winacl

                try:
                    os.close(winacl.create_private_file(Path(self.baseFilename)))
                except FileExistsError:
                    pass
            fd = os.open(self.baseFilename, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            if sys.platform != "win32":
                os.fchmod(fd, 0o600)
            return os.fdopen(fd, "a", encoding=self.encoding, errors=self.errors)

    return PrivateRotatingFileHandler(path, maxBytes=1_000_000, backupCount=3, encoding="utf-8")


def setup_logging(log_dir: Path, *, level: int = logging.INFO) -> Path:
    """Send the application's logs to ``log_dir/wizard.log`` (1 MB x 3 files), redacted.

    Returns the log file's path. Failing to create the folder leaves logging to stderr only.
    """
    path = Path(log_dir) / LOG_FILE_NAME
    root = logging.getLogger()
    root.setLevel(level)
    for old in list(root.handlers):
        if getattr(old, "_sfcw", False):
            root.removeHandler(old)
            old.close()
    handler: logging.Handler
    try:
        from core.storage.keyfiles import ensure_private_dir

        ensure_private_dir(path.parent)
        handler = _private_rotating_handler(path)
    except OSError:
        handler = logging.NullHandler()
    setattr(handler, "_sfcw", True)  # noqa: B010 - marks our handler so a second setup replaces it
    handler.addFilter(RedactingFilter())
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.addHandler(handler)
    # urllib3 logs full URLs at DEBUG; keep it quiet whatever the level.
    logging.getLogger("urllib3").setLevel(logging.WARNING)
    return path
