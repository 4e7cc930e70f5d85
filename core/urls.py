"""Web addresses, checked once: a :class:`SafeUrl` exists only if it passed the rules.

The rules: https, or plain http to this machine (local test services); a host; a port that
is a number; no user name or password in it. A trailing slash is dropped. Light on purpose
(no requests): the CLI's parser and the first window read these.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

from core.errors import InvalidInputError

#: A host with an optional port and path, and no scheme: what "Login host" fields are typed as.
_BARE_HOST = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?(?::\d{1,5})?(?:/\S*)?$")


def is_loopback_host(host: str | None) -> bool:
    if not host:
        return False
    if host.lower() == "localhost":  # not "localhost.": with the dot it is a DNS name like any other
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class SafeUrl(str):
    """A web address that passed the rules when it was made (``SafeUrl(text, what="login URL")``).

    A function that takes a SafeUrl uses it as it is: the check happened where the text came in
    (a field, an option, a settings record, a server's answer), never again at the point of use.
    Made from a SafeUrl, it is that SafeUrl, unchecked.

    ``secret``: the address carries a secret (a webhook's URL is its own credential), so a refusal never
    quotes it: the message may be printed, logged and shown.

    Raises:
        InvalidInputError: the text breaks a rule; the message names ``what`` and, unless ``secret``, the text.
    """

    __slots__ = ()

    def __new__(cls, url: str, *, what: str = "web address", secret: bool = False) -> SafeUrl:
        if isinstance(url, SafeUrl):
            return url
        return super().__new__(cls, _checked(url, what, secret=secret))

    @classmethod
    def typed(cls, text: str, *, what: str) -> SafeUrl:
        """An address as an admin types it into a field or an option: a bare host (``acme.my.salesforce.com``,
        with a port or a path) means https; anything with a scheme is taken as written, and checked."""
        stripped = (text or "").strip()
        return cls(f"https://{stripped}" if _BARE_HOST.match(stripped) else stripped, what=what)


def _checked(url: str, what: str, *, secret: bool) -> str:
    text = (url or "").strip()
    named = f"The {what}" if secret else f"The {what} '{text}'"
    try:
        parts = urlsplit(text)
        hostname = parts.hostname
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number from 0 to 65535
    except ValueError as exc:  # "https://[::1" (Invalid IPv6 URL), "https://host:99999" (its words hold no path)
        raise InvalidInputError(
            f"{named} is not a web address ({exc}).", hint="It should look like https://example.com."
        ) from exc
    if parts.scheme not in ("https", "http") or not hostname:
        raise InvalidInputError(f"{named} is not a web address.", hint="It should look like https://example.com.")
    if parts.scheme == "http" and not is_loopback_host(hostname):
        raise InvalidInputError(
            f"The {what} must use https://." if secret else f"The {what} must use https:// ({text} does not).",
            hint="Plain http is only allowed for local test services on this machine.",
        )
    if parts.username or parts.password:
        raise InvalidInputError(f"The {what} must not contain a user name or password.")
    return text.rstrip("/")
