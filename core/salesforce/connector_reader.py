"""What the connector will read: per category, can its user read it and how many records, and
the org's daily API allowance.

Read as the connector reads (unstructured-ingest's Salesforce connector): with the connector's own
JWT login, through the ``instance_url`` it returns, at REST API version 57.0. The connector lists
each category with ``query_all`` (one API call per batch of up to 2,000 rows), then fetches every
record with one more call each; any query error fails its whole run. Here ``SELECT COUNT() FROM
CATEGORY`` answers both questions (readable? how many?) with one call per category.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, TypeGuard
from urllib.parse import urlsplit

import requests

from core.defaults import CATEGORIES, HTTP_TIMEOUT
from core.errors import InvalidInputError, NetworkError, OrgApiError
from core.salesforce.org import error_of, json_of
from core.text import printable
from core.transport import make_session, network_error
from core.urls import SafeUrl

#: The REST API version the connector's simple_salesforce client uses.
CONNECTOR_API_VERSION = "57.0"
#: Rows per call of the connector's listing query (Salesforce's batch size for query/queryMore).
QUERY_BATCH = 2000

_NOT_AVAILABLE = (
    "Salesforce answers this way both when {name} is not enabled in the org and when the user's profile and "
    "permission sets give no Read on it. {where}Give the connector's user Read on {name} (a permission set is "
    "simplest), then check again; or leave {name} out."
)
# Where each category comes from, for the "not available" fix.
_WHERE = {
    "Account": "Accounts are in every edition with Sales or Service Cloud. ",
    "Campaign": "Campaigns exist only in orgs with Sales Cloud's marketing features; Setup > Object Manager lists "
    "Campaign when the org has them. ",
    "Case": "Cases come with Service Cloud (and most Sales Cloud editions). ",
    "EmailMessage": "Email messages exist when Email-to-Case or Enhanced Email is on, and a user reads one only "
    "through its parent: the user also needs Read on Cases (and access to those cases). ",
    "Lead": "Leads come with Sales Cloud. ",
}


@dataclass(frozen=True)
class CategoryReading:
    """One category as the connector's user sees it. ``records`` is None when it cannot be read."""

    name: str
    readable: bool
    records: int | None = None
    code: str = ""  # Salesforce's errorCode
    salesforce_says: str = ""  # Salesforce's own words
    fix: str = ""  # what to do, in plain words

    @property
    def said(self) -> str:
        """Salesforce's answer, as shown: "Salesforce says: CODE: words"."""
        return f"Salesforce says: {self.code + ': ' if self.code else ''}{self.salesforce_says}".strip()

    @property
    def reason(self) -> str | None:
        """Why it cannot be read, and the way out (None when readable)."""
        if self.readable:
            return None
        return f"{self.said} {self.fix}".strip()

    @property
    def first_run_calls(self) -> int:
        """API calls the connector's first full run makes for this category (0 when unreadable)."""
        if not self.readable or self.records is None:
            return 0
        return max(1, -(-self.records // QUERY_BATCH)) + self.records  # whole numbers: no float to overflow

    def to_json(self) -> dict[str, object]:
        return {"name": self.name, "readable": self.readable, "records": self.records, "reason": self.reason}


@dataclass(frozen=True)
class Allowance:
    """The org's daily API requests (a rolling 24 hours): the most, and what is left now."""

    daily_max: int
    daily_remaining: int


def first_run_calls(readings: Iterable[CategoryReading]) -> int:
    """The first full run's API calls, estimated the way the connector reads."""
    return sum(reading.first_run_calls for reading in readings)


#: Salesforce refuses more than 3,600 logins per user per hour (LOGIN_RATE_EXCEEDED): Salesforce Help,
#: "Sign In Error 'Login Rate Exceeded'" (article 000381578).
LOGINS_PER_USER_PER_HOUR = 3600


def first_run_logins(readings: Iterable[CategoryReading]) -> int:
    """The first full run's JWT logins: the connector builds a new client, a new login, for every record it
    downloads, besides one for its precheck and one for the listing (ΣN + 2). Not API requests."""
    return sum(r.records or 0 for r in readings if r.readable) + 2


def login_warnings(logins: int, username: str = "") -> list[str]:
    """A warning when the first run logs in more often than Salesforce allows one user in an hour."""
    if logins <= LOGINS_PER_USER_PER_HOUR:
        return []
    hours = -(-logins // LOGINS_PER_USER_PER_HOUR)
    user = f" as {username}" if username else ""
    return [
        f"The first run logs in once per record: about {logins:,} logins{user}, and Salesforce refuses more than "
        f"{LOGINS_PER_USER_PER_HOUR:,} logins per user per hour (LOGIN_RATE_EXCEEDED). Unless the run takes more "
        f"than {hours} hours, Salesforce will refuse its logins part-way. Choose fewer categories for the first "
        "run and add the others later, or split them across connectors with a user each."
    ]


def allowance_warnings(calls: int, allowance: Allowance | None) -> list[str]:
    """Plain-word warnings when the first run would not fit in today's allowance (empty when it does)."""
    if allowance is None:
        return []
    found = []
    if calls > allowance.daily_remaining:
        found.append(
            f"The first run needs about {calls:,} API requests, more than the {allowance.daily_remaining:,} the org "
            f"has left in the last 24 hours (of {allowance.daily_max:,}): the run would stop part-way and block the "
            "org's other integrations. Start it when the allowance has recovered, choose fewer categories, or ask "
            "Salesforce for a higher allowance."
        )
    if calls * 2 > allowance.daily_max:
        found.append(
            f"The first run would use more than half of the org's daily API requests ({calls:,} of "
            f"{allowance.daily_max:,}); other integrations share that allowance. Consider running it at a quiet "
            "time or with fewer categories."
        )
    return found


class ConnectorReader:
    """REST reads into the org as the connector's user (its access token, its instance URL)."""

    def __init__(
        self,
        instance_url: SafeUrl,
        access_token: str,
        *,
        session: requests.Session | None = None,
        timeout: tuple[float, float] = HTTP_TIMEOUT,
    ) -> None:
        self.instance_url = instance_url
        self.host = urlsplit(self.instance_url).hostname or self.instance_url
        self._token = access_token
        self._session = session or make_session()
        self._timeout = timeout
        #: The org's API usage as the last answer's ``Sforce-Limit-Info`` header gave it: (used, max).
        self.usage: tuple[int, int] | None = None

    def _get(self, path: str, **params: str) -> requests.Response:
        url = f"{self.instance_url}/services/data/v{CONNECTOR_API_VERSION}{path}"
        headers = {"Authorization": f"Bearer {self._token}", "Accept": "application/json"}
        try:
            response = self._session.get(url, headers=headers, params=params or None, timeout=self._timeout)
        except requests.RequestException as exc:
            raise network_error(exc, what=f"Salesforce ({self.host})") from exc
        self.usage = _usage(response.headers.get("Sforce-Limit-Info", "")) or self.usage
        return response

    def _body(self, response: requests.Response) -> Any:
        return json_of(response, self.host)

    def count(self, category: str) -> CategoryReading:
        """``SELECT COUNT() FROM category`` as the connector's user: readable with N records, or why not.

        Raises NetworkError when Salesforce cannot be reached (nothing is known then)."""
        if category not in CATEGORIES:  # the name goes into SOQL: only the connector's own five
            raise InvalidInputError(f"'{category}' is not one of the connector's categories.", field="categories")
        response = self._get("/query/", q=f"SELECT COUNT() FROM {category}")  # noqa: S608 - one of CATEGORIES, checked above
        if response.status_code == 200:
            body = self._body(response)
            total = body.get("totalSize") if isinstance(body, dict) else None
            if not _plausible(total):
                raise OrgApiError(f"Salesforce counted {category} in an unexpected shape.", status=200)
            return CategoryReading(category, True, total)
        if response.status_code >= 500:
            raise NetworkError(
                f"Salesforce ({self.host}) had a server error (HTTP {response.status_code}) counting {category}.",
                hint="This is on Salesforce's side; check again in a few minutes.",
            )
        code, words = error_of(response)
        return CategoryReading(
            category,
            False,
            None,
            code=printable(code),
            salesforce_says=printable(_without_query_echo(words)),
            fix=_fix(category, code),
        )

    def allowance(self) -> tuple[Allowance | None, str]:
        """The org's daily API requests, or None with the reason the user may not read them."""
        response = self._get("/limits/")
        if response.status_code == 200:
            body = self._body(response)
            daily = body.get("DailyApiRequests") if isinstance(body, dict) else None
            top = daily.get("Max") if isinstance(daily, dict) else None
            left = daily.get("Remaining") if isinstance(daily, dict) else None
            if _plausible(top) and isinstance(left, int) and not isinstance(left, bool) and abs(left) <= MOST:
                return Allowance(top, max(0, left)), ""
            return None, "Salesforce listed the org's limits without the daily API requests."
        if response.status_code >= 500:
            return None, f"Salesforce had a server error (HTTP {response.status_code}) reading the org's limits."
        if self.usage is not None:  # every REST answer says "api-usage=USED/MAX": the same numbers
            used, most = self.usage
            return Allowance(most, max(0, most - used)), ""
        code, words = error_of(response)
        said = printable(f"{code + ': ' if code else ''}{words}")
        return None, (
            f"The connector's user may not read the org's API limits (Salesforce says: {said}). That needs "
            "'View Setup and Configuration'; the connector does not. The estimate is shown without the allowance."
        )


#: Larger than any count or allowance an org has: a number above it is an odd answer, not a fact.
MOST = 10**15


def _plausible(number: object) -> TypeGuard[int]:
    """A count Salesforce could give: a whole number from 0 to MOST (not a bool, not 10**400)."""
    return isinstance(number, int) and not isinstance(number, bool) and 0 <= number <= MOST


def _usage(header: str) -> tuple[int, int] | None:
    """(used, max) from ``Sforce-Limit-Info: api-usage=113/15000`` (None when absent or odd)."""
    for part in header.replace(";", ",").split(","):  # "api-usage=25/5000; per-app-api-usage=17/250(appName=x)"
        name, _, value = part.strip().partition("=")
        used, _, most = value.partition("/")
        if name == "api-usage" and _digits(used) and _digits(most):
            return int(used), int(most)
    return None


def _digits(text: str) -> bool:
    """ASCII digits only, and not too many ('²'.isdigit() is True; int('²') fails)."""
    return text.isascii() and text.isdigit() and len(text) <= 15


def _without_query_echo(words: str) -> str:
    """Salesforce's SOQL errors start by echoing the query, a caret and "ERROR at Row:1:Column:22":
    keep the sentence after them."""
    # The server's text arrives on one line (core.text.server_text): the sentence follows the position.
    words = " ".join(re.split(r"ERROR at Row:\d+:Column:\d+", words)[-1].split())
    # The rest of INVALID_TYPE's sentence is about custom objects ('__c'), which categories never are.
    return words.split(" If you are attempting to use a custom object")[0]


def _fix(category: str, code: str) -> str:
    if code == "INVALID_TYPE":
        return _NOT_AVAILABLE.format(name=category, where=_WHERE.get(category, ""))
    if code == "REQUEST_LIMIT_EXCEEDED":
        return (
            "The org has used all its API requests of the last 24 hours: the connector could read nothing now. "
            "Check again when the allowance has recovered (Setup > Company Information shows it), or ask "
            "Salesforce for a higher allowance."
        )
    if code in ("API_DISABLED_FOR_ORG", "API_DISABLED_FOR_USER", "FUNCTIONALITY_NOT_ENABLED"):
        return (
            "The connector's user cannot use the API: give its profile or a permission set 'API Enabled' "
            "(the org's edition must include API access)."
        )
    if code == "INVALID_SESSION_ID":
        return "The connector's session ended during the check; check again."
    if code in ("INSUFFICIENT_ACCESS", "INSUFFICIENT_ACCESS_OR_READONLY"):
        return f"Give the connector's user Read on {category} (a permission set is simplest), then check again."
    return f"Check the connector's user's access to {category} in Setup, then check again."
