"""The closed sets of values the records, requests and journal use, as types: a value is checked once, where it
enters (the command line, a page, the settings file), and is then one of these, never a string compared again.

Each is a StrEnum whose values are the words the settings file and the command line have always used, so the
file's format does not change and ``json`` writes them as the strings they are. Import-light (no third-party
import): the settings, Salesforce and journal layers all use it.
"""

from __future__ import annotations

from enum import StrEnum


class AppType(StrEnum):
    """The kind of Salesforce app the wizard creates or rotates."""

    ECA = "eca"
    CONNECTED_APP = "connected-app"


class IpRelaxation(StrEnum):
    """The app's IP policy for the connector's logins: enforce the user's IP ranges, or relax them."""

    ENFORCE = "enforce"
    RELAX = "relax"


class RunKind(StrEnum):
    """What a journal entry's run does to an org."""

    SETUP = "setup"  # creating an app (a set-up, or a field check's throw-away one)
    ROTATION = "rotation"  # replacing its certificate and the connector's key


class RunStep(StrEnum):
    """The step a journal entry's run was about to make, or made last."""

    PERMISSION_SET = "permission set"
    ASSIGNMENT = "assignment"
    APP = "app"
    CERTIFICATE = "certificate"
    CONNECTOR = "connector"


class CheckStatus(StrEnum):
    """A connection check's status as the Platform reports it."""

    SCHEDULED = "SCHEDULED"
    SUCCESS = "SUCCESS"
    FAILURE = "FAILURE"
