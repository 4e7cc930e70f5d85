from __future__ import annotations

from enum import IntEnum


class PageId(IntEnum):
    WELCOME = 0
    KEY = 1
    SALESFORCE_APP = 2
    CREDENTIALS = 3
    VERIFY = 4
    UNSTRUCTURED = 5
    REVIEW = 6
    DONE = 7
    SALESFORCE_AUTO = 8  # the branch that creates the app through Salesforce's APIs
    MANAGE = 20
