"""The app the connector logs in through, as a Metadata API deploy package: an External Client
App, or (the fallback) a Connected App.

**External Client App** (the default, :data:`ECA`): five components make one app (all in one
deploy, API 60.0 or later): the app, its OAuth settings (scopes), its global OAuth settings
(certificate, consumer key, callback), its OAuth policies (admin-approved users through a
permission set, IP relaxation) and its policies (enabled, OAuth plug-in). Every file is written
in the element order the Metadata API schema fixes (its ``xsd:sequence``s: alphabetical), and
``package.xml`` lists exactly what the zip holds. ``isNamedUserJwtEnabled`` is never written: it
fails deploys at API 64+.

**Connected App** (:data:`CONNECTED_APP`), for orgs where an External Client App cannot serve
login.salesforce.com: one ``ConnectedApp`` component (``connectedApps/NAME.connectedApp``) with
its ``oauthConfig`` (certificate, consumer key, callback, scopes ``Api`` and ``RefreshToken``,
admin approved), ``oauthPolicy`` (IP relaxation, refresh token valid until revoked) and the
permission set its users are pre-authorised through; elements in the schema's order (alphabetical
for these types too, as for the External Client App's). Since Spring '26 many orgs refuse to create one.

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
from core.kinds import AppType, IpRelaxation

NAMESPACE = "http://soap.sforce.com/2006/04/metadata"
#: What the connector's JWT login needs: API access, and refresh/offline access.
OAUTH_SCOPES = "Api, RefreshToken"
CALLBACK_URL = "https://localhost"
MIN_API_VERSION = 60.0
#: ``ipRelaxationPolicyType`` values (Metadata API reference: Enforce, Bypass, Bypass_2factor, Enforce_RelaxRefresh).
IP_RELAXATION: dict[str, str] = {IpRelaxation.ENFORCE: "Enforce", IpRelaxation.RELAX: "Bypass"}

#: The two kinds of app, as the command line names them, and in words.
ECA = AppType.ECA
CONNECTED_APP = AppType.CONNECTED_APP
APP_TYPES: dict[str, str] = {ECA: "External Client App", CONNECTED_APP: "Connected App"}
#: ``ConnectedAppOauthPolicy.ipRelaxation`` values (upper case, unlike the ECA's policy type).
CONNECTED_APP_IP_RELAXATION: dict[str, str] = {IpRelaxation.ENFORCE: "ENFORCE", IpRelaxation.RELAX: "BYPASS"}
#: A field check's throw-away apps' names start so (core.usecases.field_check).
FIELD_CHECK_PREFIX = "SFCW_Field_Check_"
#: The Metadata type, folder and file suffix of a Connected App.
CONNECTED_APP_COMPONENT = ("ConnectedApp", "connectedApps", "connectedApp")

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


def validate_app_type(value: str) -> AppType:
    """``eca`` or ``connected-app`` as an AppType; raises InvalidInputError for anything else."""
    kind = (value or "").strip().lower()
    if kind not in APP_TYPES:
        raise InvalidInputError(
            f"'{value}' is not a kind of app the wizard can create.",
            field="app_type",
            hint=f"Use {ECA} (an External Client App, the default) or {CONNECTED_APP} (a Connected App).",
        )
    return AppType(kind)


def validate_ip_relaxation(value: str) -> IpRelaxation:
    """``enforce`` or ``relax`` as an IpRelaxation; raises InvalidInputError for anything else."""
    try:
        return IpRelaxation((value or "").strip().lower())
    except ValueError:
        raise InvalidInputError("IP relaxation must be 'enforce' or 'relax'.", field="ip_relaxation") from None


def app_kind(app_type: str) -> str:
    """The kind of app in words: "External Client App" or "Connected App"."""
    return APP_TYPES.get(app_type, APP_TYPES[ECA])


def a_kind(app_type: str) -> str:
    """The kind of app with its article: "an External Client App", "a Connected App"."""
    kind = app_kind(app_type)
    return ("an " if kind[:1] in "AEIOU" else "a ") + kind


def new_consumer_key() -> str:
    """A consumer key for a new app: long, random and unique (Salesforce refuses one already taken)."""
    return "3MVG" + "".join(secrets.choice(_CONSUMER_KEY_ALPHABET) for _ in range(80))


@dataclass(frozen=True)
class AppSpec:
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
    app_type: AppType = AppType.ECA

    @property
    def kind(self) -> str:
        """The kind of app in words."""
        return app_kind(self.app_type)

    def component_names(self) -> dict[str, str]:
        """Metadata type -> component (file) name."""
        if self.app_type == CONNECTED_APP:
            return {CONNECTED_APP_COMPONENT[0]: self.name}
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


def global_oauth_settings(spec: AppSpec) -> bytes:
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


def connected_app(spec: AppSpec, *, with_consumer_key: bool = True) -> bytes:
    """The whole Connected App, in the schema's element order (ConnectedApp, ConnectedAppOauthConfig and
    ConnectedAppOauthPolicy each fix their own sequence, alphabetical as the metadata WSDL lists it).

    ``with_consumer_key=False`` for an app that exists already: Salesforce refuses a consumer key in a
    deploy that updates a Connected App ("You cannot provide a Consumer Key"); it keeps the one it has.
    """
    ip = CONNECTED_APP_IP_RELAXATION.get(spec.ip_relaxation)
    if ip is None:
        raise InvalidInputError(
            f"IP relaxation must be one of {', '.join(CONNECTED_APP_IP_RELAXATION)}, not '{spec.ip_relaxation}'.",
            field="ip_relaxation",
        )
    ET.register_namespace("", NAMESPACE)

    def add(parent: ET.Element, name: str, value: str) -> None:
        ET.SubElement(parent, f"{{{NAMESPACE}}}{name}").text = value

    root = ET.Element(f"{{{NAMESPACE}}}ConnectedApp")
    add(root, "contactEmail", spec.contact_email)
    add(root, "description", spec.description)
    add(root, "label", spec.label)
    oauth = ET.SubElement(root, f"{{{NAMESPACE}}}oauthConfig")
    add(oauth, "callbackUrl", CALLBACK_URL)
    add(oauth, "certificate", spec.certificate_pem.strip())
    if with_consumer_key:
        add(oauth, "consumerKey", spec.consumer_key)
    add(oauth, "isAdminApproved", _bool(True))
    add(oauth, "isConsumerSecretOptional", _bool(True))
    for scope in (s.strip() for s in spec.scopes.split(",")):
        add(oauth, "scopes", scope)
    policy = ET.SubElement(root, f"{{{NAMESPACE}}}oauthPolicy")
    add(policy, "ipRelaxation", ip)
    add(policy, "refreshTokenPolicy", "infinite")
    # Left out while the permission set does not exist yet (the check-only deploy), as for the ECA.
    for name in filter(None, (n.strip() for n in spec.permission_set.split(","))):
        add(root, "permissionSetName", name)
    return _serialise(root)


def component_files(spec: AppSpec) -> dict[str, bytes]:
    """Path in the zip -> file content, for every component of the app."""
    if spec.app_type == CONNECTED_APP:
        kind, folder, suffix = CONNECTED_APP_COMPONENT
        return {f"{folder}/{spec.name}.{suffix}": connected_app(spec)}
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


def app_package(spec: AppSpec, *, api_version: str) -> bytes:
    """The zip that creates the whole app in one deploy."""
    files = component_files(spec)
    members = {kind: [name] for kind, name in spec.component_names().items()}
    files["package.xml"] = package_xml(members, api_version=api_version)
    return _zip(files)


def certificate_package(spec: AppSpec, *, api_version: str) -> bytes:
    """The zip that replaces the app's certificate: an ECA's global OAuth settings, nothing else; a
    Connected App whole (it is one component), without its consumer key, which it keeps."""
    if spec.app_type == CONNECTED_APP:
        kind, folder, suffix = CONNECTED_APP_COMPONENT
        return _zip(
            {
                f"{folder}/{spec.name}.{suffix}": connected_app(spec, with_consumer_key=False),
                "package.xml": package_xml({kind: [spec.name]}, api_version=api_version),
            }
        )
    kind, folder, suffix, name_suffix = COMPONENTS[2]
    name = f"{spec.name}{name_suffix}"
    return _zip(
        {
            f"{folder}/{name}.{suffix}": global_oauth_settings(spec),
            "package.xml": package_xml({kind: [name]}, api_version=api_version),
        }
    )


def removal_package(app_name: str, *, api_version: str, app_type: str = ECA) -> bytes:
    """The zip that deletes the app: an empty package and ``destructiveChanges.xml`` naming the app alone.

    Deleting the header deletes its parts whatever their names (an app made elsewhere need not
    name them ``{app}{suffix}``); listing them too would make each a "not found" warning, which
    fails a deploy that does not ignore warnings (sfdx-hardis removes an app the same way). Deploy
    it with ``ignore_warnings=True``. A Connected App is one component: it alone is named.
    """
    kind = CONNECTED_APP_COMPONENT[0] if app_type == CONNECTED_APP else "ExternalClientApplication"
    return _zip(
        {
            "package.xml": package_xml({}, api_version=api_version),
            "destructiveChanges.xml": package_xml({kind: [app_name]}, api_version=api_version),
        }
    )
