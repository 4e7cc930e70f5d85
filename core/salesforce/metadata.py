"""The External Client App the connector logs in through, as a Metadata API deploy package.

Five components make one app (all in one deploy, API 60.0 or later): the app, its OAuth
settings (scopes), its global OAuth settings (certificate, consumer key, callback), its OAuth
policies (admin-approved users through a permission set, IP relaxation) and its policies
(enabled, OAuth plug-in). Every file is written in the element order the Metadata API schema
fixes (its ``xsd:sequence``s: alphabetical), and ``package.xml`` lists exactly what the zip
holds. ``isNamedUserJwtEnabled`` is never written: it fails deploys at API 64+.

Builds bytes only; nothing here talks to Salesforce.
"""

from __future__ import annotations

import io
import re
import secrets
import string
import zipfile
from dataclasses import dataclass, field
from xml.etree import ElementTree as ET

from core.errors import InvalidInputError

NAMESPACE = "http://soap.sforce.com/2006/04/metadata"
#: What the connector's JWT login needs: API access, and refresh/offline access.
OAUTH_SCOPES = "Api, RefreshToken"
CALLBACK_URL = "https://localhost"
MIN_API_VERSION = 60.0
#: ``ipRelaxationPolicyType`` values (Metadata API reference: Enforce, Bypass, Bypass_2factor, Enforce_RelaxRefresh).
IP_RELAXATION = {"enforce": "Enforce", "relax": "Bypass"}

#: (Metadata type, folder, file suffix, component name suffix). The app itself has no suffix.
COMPONENTS: tuple[tuple[str, str, str, str], ...] = (
    ("ExternalClientApplication", "externalClientApps", "eca", ""),
    ("ExtlClntAppOauthSettings", "extlClntAppOauthSettings", "ecaOauth", "_oauth"),
    ("ExtlClntAppGlobalOauthSettings", "extlClntAppGlobalOauthSets", "ecaGlblOauth", "_glbl"),
    ("ExtlClntAppOauthConfigurablePolicies", "extlClntAppOauthPolicies", "ecaOauthPlcy", "_plcy"),
    ("ExtlClntAppConfigurablePolicies", "extlClntAppPolicies", "ecaPlcy", "_appPlcy"),
)
_API_NAME = re.compile(r"^[A-Za-z](?:[A-Za-z0-9]|_(?!_)){0,38}[A-Za-z0-9]$")
_CONSUMER_KEY_ALPHABET = string.ascii_letters + string.digits


def validate_api_name(name: str, *, what: str = "app name") -> str:
    """A Salesforce API name: letters, digits and single underscores, starting with a letter, at most 40.

    Raises:
        InvalidInputError: anything else, with the rule.
    """
    value = (name or "").strip()
    if not _API_NAME.match(value):
        raise InvalidInputError(
            f"'{value}' cannot be used as a Salesforce {what}.",
            field="app_name",
            hint="Use 2 to 40 letters, digits and single underscores, starting with a letter and not ending "
            "with an underscore (e.g. Unstructured_Connector).",
        )
    return value


def new_consumer_key() -> str:
    """A consumer key for a new app: long, random and unique (Salesforce refuses one already taken)."""
    return "3MVG" + "".join(secrets.choice(_CONSUMER_KEY_ALPHABET) for _ in range(80))


@dataclass(frozen=True)
class EcaSpec:
    """Everything the app is made of. ``certificate_pem`` is public; there is no secret here."""

    name: str
    label: str
    contact_email: str
    certificate_pem: str
    consumer_key: str
    permission_set: str
    ip_relaxation: str = "enforce"
    description: str = "Lets the Unstructured Salesforce source connector log in with its certificate (JWT bearer)."
    scopes: str = OAUTH_SCOPES
    extra: dict[str, str] = field(default_factory=dict)

    def component_names(self) -> dict[str, str]:
        """Metadata type -> component (file) name."""
        return {kind: f"{self.name}{suffix}" for kind, _, _, suffix in COMPONENTS}


def _document(root_tag: str, fields: list[tuple[str, str]]) -> bytes:
    """``<root_tag>`` with ``fields`` as child elements, in the order given (callers sort them)."""
    ET.register_namespace("", NAMESPACE)
    root = ET.Element(f"{{{NAMESPACE}}}{root_tag}")
    for name, value in fields:
        ET.SubElement(root, f"{{{NAMESPACE}}}{name}").text = value
    return _serialise(root)


def _serialise(root: ET.Element) -> bytes:
    ET.indent(root, space="    ")
    body: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=False)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + body + b"\n"


def _ordered(fields: dict[str, str]) -> list[tuple[str, str]]:
    # The schema's sequences for these types are alphabetical; sorting keeps every file valid.
    return sorted(fields.items())


def _bool(value: bool) -> str:
    return "true" if value else "false"


def global_oauth_settings(spec: EcaSpec) -> bytes:
    """The component that holds the certificate: also all that a certificate replacement deploys."""
    return _document(
        "ExtlClntAppGlobalOauthSettings",
        _ordered(
            {
                "callbackUrl": CALLBACK_URL,
                "certificate": spec.certificate_pem.strip(),
                "consumerKey": spec.consumer_key,
                "externalClientApplication": spec.name,
                "isClientCredentialsFlowEnabled": _bool(False),
                "isConsumerSecretOptional": _bool(True),
                "isPkceRequired": _bool(False),
                "label": f"{spec.label} global OAuth settings",
                "shouldRotateConsumerKey": _bool(False),
                "shouldRotateConsumerSecret": _bool(False),
            }
        ),
    )


def component_files(spec: EcaSpec) -> dict[str, bytes]:
    """Path in the zip -> file content, for the five components."""
    names = spec.component_names()
    ip = IP_RELAXATION.get(spec.ip_relaxation)
    if ip is None:
        raise InvalidInputError(
            f"IP relaxation must be one of {', '.join(IP_RELAXATION)}, not '{spec.ip_relaxation}'.",
            field="ip_relaxation",
        )
    documents = {
        "ExternalClientApplication": _document(
            "ExternalClientApplication",
            _ordered(
                {
                    "contactEmail": spec.contact_email,
                    "description": spec.description,
                    "distributionState": "Local",
                    "isProtected": _bool(False),
                    "label": spec.label,
                }
            ),
        ),
        "ExtlClntAppOauthSettings": _document(
            "ExtlClntAppOauthSettings",
            _ordered(
                {
                    "commaSeparatedOauthScopes": spec.scopes,
                    "externalClientApplication": spec.name,
                    "label": f"{spec.label} OAuth settings",
                }
            ),
        ),
        "ExtlClntAppGlobalOauthSettings": global_oauth_settings(spec),
        "ExtlClntAppOauthConfigurablePolicies": _document(
            "ExtlClntAppOauthConfigurablePolicies",
            _ordered(
                {
                    # Left out, not left empty, while the permission set does not exist yet (the check-only
                    # deploy before it is created): an empty element may be refused, or read as a set named "".
                    **({"commaSeparatedPermissionSet": spec.permission_set} if spec.permission_set else {}),
                    "externalClientApplication": spec.name,
                    "ipRelaxationPolicyType": ip,
                    "label": f"{spec.label} OAuth policies",
                    "permittedUsersPolicyType": "AdminApprovedPreAuthorized",
                    "refreshTokenPolicyType": "Infinite",
                }
            ),
        ),
        "ExtlClntAppConfigurablePolicies": _document(
            "ExtlClntAppConfigurablePolicies",
            _ordered(
                {
                    "externalClientApplication": spec.name,
                    "isEnabled": _bool(True),
                    "isOauthPluginEnabled": _bool(True),
                    "label": f"{spec.label} policies",
                }
            ),
        ),
    }
    return {f"{folder}/{names[kind]}.{suffix}": documents[kind] for kind, folder, suffix, _ in COMPONENTS}


def package_xml(members: dict[str, list[str]], *, api_version: str) -> bytes:
    """``package.xml`` listing ``members`` (type -> names), types in alphabetical order."""
    ET.register_namespace("", NAMESPACE)
    root = ET.Element(f"{{{NAMESPACE}}}Package")
    for kind in sorted(members):
        types = ET.SubElement(root, f"{{{NAMESPACE}}}types")
        for member in sorted(members[kind]):
            ET.SubElement(types, f"{{{NAMESPACE}}}members").text = member
        ET.SubElement(types, f"{{{NAMESPACE}}}name").text = kind
    ET.SubElement(root, f"{{{NAMESPACE}}}version").text = api_version
    return _serialise(root)


def _zip(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(files):
            archive.writestr(path, files[path])
    return buffer.getvalue()


def app_package(spec: EcaSpec, *, api_version: str) -> bytes:
    """The zip that creates the whole app in one deploy."""
    files = component_files(spec)
    members = {kind: [name] for kind, name in spec.component_names().items()}
    files["package.xml"] = package_xml(members, api_version=api_version)
    return _zip(files)


def certificate_package(spec: EcaSpec, *, api_version: str) -> bytes:
    """The zip that replaces the app's certificate (its global OAuth settings, nothing else)."""
    kind, folder, suffix, name_suffix = COMPONENTS[2]
    name = f"{spec.name}{name_suffix}"
    return _zip(
        {
            f"{folder}/{name}.{suffix}": global_oauth_settings(spec),
            "package.xml": package_xml({kind: [name]}, api_version=api_version),
        }
    )


def removal_package(app_name: str, *, api_version: str) -> bytes:
    """The zip that deletes the app: an empty package and ``destructiveChanges.xml`` naming the app alone.

    Deleting the header deletes its parts whatever their names (an app made elsewhere need not
    name them ``{app}{suffix}``); listing them too would make each a "not found" warning, which
    fails a deploy that does not ignore warnings (sfdx-hardis removes an app the same way). Deploy
    it with ``ignore_warnings=True``.
    """
    return _zip(
        {
            "package.xml": package_xml({}, api_version=api_version),
            "destructiveChanges.xml": package_xml({"ExternalClientApplication": [app_name]}, api_version=api_version),
        }
    )
