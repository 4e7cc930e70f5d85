"""The headless command line: the second front end, beside gui/, over the same use cases.

Exit codes: 0 success; 1 the operation failed (refused, unreachable, timed out);
2 bad usage or invalid input, found before any network call. Messages go to stderr,
results to stdout. Secrets are never taken from argv: the API key comes from
UNSTRUCTURED_API_KEY or the keyring, private keys from a file or ``keyring:NAME``.

Each command lives in the module of its group (``keys``, ``salesforce``, ``connectors``,
``setup``, ``machine``), its arguments declared next to its ``run``; :data:`cli.commands.COMMANDS`
is the one table of them. Nothing in this package may import Qt, and command modules import
their use cases inside ``run``: ``--version`` and ``keygen`` must not pay for requests or keyring.
"""

from __future__ import annotations

from collections.abc import Sequence

from cli.commands import dispatch
from cli.context import Cli


def run(argv: Sequence[str], *, session: Cli | None = None) -> int:
    """Run the CLI with ``argv`` (without the program name); return the exit code.

    ``session`` is one run's streams, store and timings (tests pass their own)."""
    return dispatch(session or Cli(), argv)


__all__ = ["Cli", "run"]
