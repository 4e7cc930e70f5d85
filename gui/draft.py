"""What the admin has entered so far, typed: the pages write it as it is typed, later pages read it.

In place of Qt's string-named wizard fields (``field("username")``), which a typo turns into an
empty value at run time; mypy checks these names.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from core.defaults import CATEGORIES, CONNECTOR_LOGIN_URL, DEFAULT_APP_NAME
from core.urls import SafeUrl


@dataclass
class WizardDraft:
    #: The connector's Salesforce user and the app's consumer key (Credentials, or the automated set-up).
    username: str = ""
    consumer_key: str = ""
    #: Where Verify logs in: the connector's own host unless the admin diagnoses another one.
    login_url: SafeUrl = CONNECTOR_LOGIN_URL
    #: The automated set-up's app (Manage sets it to finish an unfinished set-up of it).
    app_name: str = DEFAULT_APP_NAME
    #: The Unstructured page.
    api_url: str = ""
    api_key: str = field(default="", repr=False)
    connector_name: str = ""
    categories: list[str] = field(default_factory=lambda: list(CATEGORIES))
