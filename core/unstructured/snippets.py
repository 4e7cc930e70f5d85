"""The same create request as a shell command and as Python SDK code, secrets as placeholders.

For admins who must run the creation themselves (change control, scripts). The API key comes
from ``$UNSTRUCTURED_API_KEY`` and the private key from the file named by
``$SALESFORCE_PRIVATE_KEY_FILE``: neither is ever written into the snippet.
"""

from __future__ import annotations

import json
import shlex

from core.unstructured.client import API_PREFIX, normalise_api_url


def curl_command(*, api_url: str, name: str, username: str, consumer_key: str, categories: list[str]) -> str:
    """A POSIX shell command (jq builds the JSON, so the PEM's newlines are escaped correctly)."""
    base = normalise_api_url(api_url)
    program = (
        '{name: $name, type: "salesforce", config: {username: $username, consumer_key: $consumer_key, '
        "private_key: $key, categories: $categories}}"
    )
    return "\n".join(
        [
            "# Needs jq. Set UNSTRUCTURED_API_KEY and SALESFORCE_PRIVATE_KEY_FILE (the unencrypted PEM) first.",
            "jq -n \\",
            f"  --arg name {shlex.quote(name)} \\",
            f"  --arg username {shlex.quote(username)} \\",
            f"  --arg consumer_key {shlex.quote(consumer_key)} \\",
            f"  --argjson categories {shlex.quote(json.dumps(categories))} \\",
            '  --rawfile key "$SALESFORCE_PRIVATE_KEY_FILE" \\',
            f"  {shlex.quote(program)} \\",
            f"| curl --fail-with-body --request POST {shlex.quote(base + API_PREFIX + '/sources/')} \\",
            "  --header 'accept: application/json' \\",
            "  --header 'content-type: application/json' \\",
            # The key reaches curl through file descriptor 3, never its command line (visible in ps).
            "  --header @/dev/fd/3 \\",
            "  --data @- 3<<EOF",
            "unstructured-api-key: $UNSTRUCTURED_API_KEY",
            "EOF",
        ]
    )


#: The unstructured-client versions the Python snippet is written for (0.44 made the config a plain dict).
SDK_REQUIREMENT = "unstructured-client>=0.44"


def python_sdk_code(*, api_url: str, name: str, username: str, consumer_key: str, categories: list[str]) -> str:
    """Code for the official unstructured-client SDK (0.44 or later: the config is a plain dict)."""
    base = normalise_api_url(api_url)
    config = (
        "{\n"
        f'                    "username": {username!r},\n'
        f'                    "consumer_key": {consumer_key!r},\n'
        '                    "private_key": Path(os.environ["SALESFORCE_PRIVATE_KEY_FILE"]).read_text(),\n'
        f'                    "categories": {categories!r},\n'
        "                }"
    )
    return f"""# pip install "{SDK_REQUIREMENT}"   (written for 0.44 and later; tested with 0.46)
# Set UNSTRUCTURED_API_KEY and SALESFORCE_PRIVATE_KEY_FILE (the unencrypted PEM) first.
import os
from pathlib import Path

from unstructured_client import UnstructuredClient
from unstructured_client.models.operations import CreateSourceRequest
from unstructured_client.models.shared import CreateSourceConnector, SourceConnectorType

with UnstructuredClient(api_key_auth=os.environ["UNSTRUCTURED_API_KEY"], server_url={base!r}) as client:
    response = client.sources.create_source(
        request=CreateSourceRequest(
            create_source_connector=CreateSourceConnector(
                name={name!r},
                type=SourceConnectorType.SALESFORCE,
                config={config},
            )
        )
    )
    print(response.source_connector_information.id)
"""
