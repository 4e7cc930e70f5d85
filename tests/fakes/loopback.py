"""Send a client library's requests for a real Salesforce host to a loopback stand-in instead.

simple_salesforce (the connector's login library) builds ``https://login.salesforce.com/...``
itself. Given a session from :func:`routed_session`, its request is sent unchanged — same path,
form body and headers — to the loopback server, so the fake sees exactly what Salesforce would.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests
from requests.adapters import HTTPAdapter


class _Rerouting(HTTPAdapter):
    def __init__(self, target: str) -> None:
        super().__init__()
        self._target = urlsplit(target)

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]  # HTTPAdapter.send's keyword parameters, passed through unchanged
        parts = urlsplit(str(request.url))
        request.url = urlunsplit((self._target.scheme, self._target.netloc, parts.path, parts.query, ""))
        return super().send(request, **kwargs)


def routed_session(host: str, target: str) -> requests.Session:
    """A session whose requests to ``https://HOST`` go to ``target`` (e.g. http://127.0.0.1:PORT)."""
    session = requests.Session()
    session.trust_env = False
    session.mount(f"https://{host}/", _Rerouting(target))
    return session
