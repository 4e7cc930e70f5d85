"""Text from elsewhere (a server's answer, a browser's callback) made safe to show: one function for all of it.

A server's words reach the admin's terminal and the wizard's labels inside our sentences. An
escape sequence in them could rewrite the terminal (its title, colours, the screen), and a
bidirectional control could make a label read other than it is. :func:`printable` turns every
control and format character into a visible escape.
"""

from __future__ import annotations

import unicodedata


def printable(text: str, *, keep_newlines: bool = False) -> str:
    """``text`` with control and format characters (C0, C1, DEL, bidi overrides...) shown as ``\\xNN``/``\\uNNNN``.

    Tabs become spaces, and so do line breaks unless ``keep_newlines`` (for our own multi-line text).
    """
    if text.isprintable():
        return text
    out = []
    for char in text:
        if char == "\n" and keep_newlines:
            out.append(char)
        elif char in "\t\n\r":
            out.append(" ")
        elif char.isprintable() or unicodedata.category(char) == "Zs":
            out.append(char)
        else:
            code = ord(char)
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}")
    return "".join(out)


#: The most of one server text that is shown (a multi-megabyte answer is cut, not printed whole).
SERVER_TEXT_MAX = 500


def server_text(value: object, limit: int = SERVER_TEXT_MAX) -> str:
    """What a server said, as data on one line: any value as text, control characters escaped, line breaks
    and runs of spaces made one space (a newline must not forge an output line), cut to ``limit`` characters."""
    text = value if isinstance(value, str) else "" if value is None else str(value)
    if len(text) > 4 * limit:
        text = text[: 4 * limit]  # before the work below: a huge answer costs no more than a short one
    flat = " ".join(printable(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "\u2026"


def duration(seconds: float) -> str:
    """A wait in words: "40 seconds", "1 minute", "15 minutes" (never "0 minutes")."""
    if seconds < 60:
        whole = max(1, round(seconds))
        return f"{whole} second{'s' if whole != 1 else ''}"
    minutes = round(seconds / 60)
    return f"{minutes} minute{'s' if minutes != 1 else ''}"
