"""Values fixed by Salesforce, the connector and the product.

Import-light on purpose (no third-party imports): the CLI's argument parser reads these
before it knows which command runs, and must not pay for cryptography or requests to do so.
"""

from __future__ import annotations

from typing import NamedTuple

from core.urls import SafeUrl

ALLOWED_KEY_SIZES = (2048, 3072, 4096)
DEFAULT_KEY_SIZE = 2048
DEFAULT_VALIDITY_DAYS = 365
DEFAULT_COMMON_NAME = "Unstructured Salesforce connector"

#: unstructured-ingest always logs in here (simple_salesforce without a domain).
CONNECTOR_LOGIN_URL = SafeUrl("https://login.salesforce.com")
SANDBOX_LOGIN_URL = SafeUrl("https://test.salesforce.com")
DEFAULT_CALLBACK_URL = "https://localhost"

DEFAULT_API_URL = SafeUrl("https://platform.unstructuredapp.io/api/v1")
API_URL_ENV = "UNSTRUCTURED_API_URL"
API_KEY_ENV = "UNSTRUCTURED_API_KEY"

#: The connector's categories, exactly (case-sensitive).
CATEGORIES = ("Account", "Campaign", "Case", "EmailMessage", "Lead")

#: Certificates expiring within this many days are flagged.
EXPIRY_WARN_DAYS = 30

#: The app's log file, in the log folder (rotated: wizard.log.1, .2, .3).
LOG_FILE_NAME = "wizard.log"

#: Keyring entry for the Unstructured API key; private keys are ``private-key:NAME``.
API_KEY_ENTRY = "unstructured-api-key"


def private_key_name(key_name: str) -> str:
    """The keyring entry name of a private key, e.g. ``private-key:salesforce``."""
    return f"private-key:{key_name}"


#: (connect, read) seconds for every HTTP call unless a caller says otherwise.
HTTP_TIMEOUT = (5.0, 20.0)

#: The admin's browser sign-in: Salesforce CLI's public OAuth client and the loopback port it is registered for.
SIGN_IN_CLIENT_ID = "PlatformCLI"
SIGN_IN_PORT = 1717
#: The API name of the External Client App the automated set-up creates.
DEFAULT_APP_NAME = "Unstructured_Connector"


class Timings(NamedTuple):
    """How long the app waits, and how often it asks, in seconds: read from one place.

    Both front ends take one of these (tests and the demo a faster one, made with ``_replace``) and
    hand it down whole, so no layer drops a knob on the way. A NamedTuple, not a dataclass: the
    CLI's start-up imports this module and must not pay for ``dataclasses``.
    """

    #: (connect, read) for every HTTP call.
    http_timeout: tuple[float, float] = HTTP_TIMEOUT
    #: A connector's connection check: how long to wait for its verdict, and between polls.
    check_timeout: float = 120.0
    check_poll_interval: float = 2.0
    #: The connector's login after its app was created or its certificate replaced (Salesforce applies
    #: new apps within minutes): between polls, and the limit.
    login_poll_interval: float = 25.0
    login_wait: float = 15 * 60.0
    #: A Metadata API deploy: the limit, and between polls of its status.
    deploy_timeout: float = 600.0
    deploy_poll_interval: float = 2.0
    #: The admin's browser sign-in: how long to wait for Salesforce's redirect back.
    sign_in_timeout: float = 300.0


TIMINGS = Timings()

#: The keyring entry of the watch's webhook URL (it carries its own secret: never argv, settings or a log),
#: and the environment variable a scheduler may hold it in instead.
WEBHOOK_ENTRY = "watch-webhook-url"
WEBHOOK_ENV = "SFCW_WEBHOOK_URL"
