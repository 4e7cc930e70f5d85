"""Values fixed by Salesforce, the connector and the product.

Import-light on purpose (no third-party imports): the CLI's argument parser reads these
before it knows which command runs, and must not pay for cryptography or requests to do so.
"""

from __future__ import annotations

ALLOWED_KEY_SIZES = (2048, 3072, 4096)
DEFAULT_KEY_SIZE = 2048
DEFAULT_VALIDITY_DAYS = 365
DEFAULT_COMMON_NAME = "Unstructured Salesforce connector"

#: unstructured-ingest always logs in here (simple_salesforce without a domain).
CONNECTOR_LOGIN_URL = "https://login.salesforce.com"
SANDBOX_LOGIN_URL = "https://test.salesforce.com"
DEFAULT_CALLBACK_URL = "https://localhost"

DEFAULT_API_URL = "https://platform.unstructuredapp.io/api/v1"
API_URL_ENV = "UNSTRUCTURED_API_URL"
API_KEY_ENV = "UNSTRUCTURED_API_KEY"

#: The connector's categories, exactly (case-sensitive).
CATEGORIES = ("Account", "Campaign", "Case", "EmailMessage", "Lead")

#: Certificates expiring within this many days are flagged.
EXPIRY_WARN_DAYS = 30

#: Keyring entry for the Unstructured API key; private keys are ``private-key:NAME``.
API_KEY_ENTRY = "unstructured-api-key"


def private_key_name(key_name: str) -> str:
    """The keyring entry name of a private key, e.g. ``private-key:salesforce``."""
    return f"private-key:{key_name}"


#: (connect, read) seconds for every HTTP call unless a caller says otherwise.
HTTP_TIMEOUT = (5.0, 20.0)
