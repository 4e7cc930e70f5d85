from __future__ import annotations

import ast
import json
import os
import subprocess

from core.keys import KeyBundle
from core.snippets import curl_command, python_sdk_code

ARGS = dict(
    api_url="https://platform.unstructuredapp.io/api/v1/",
    name="it's prod",
    username="a@b.co",
    consumer_key="3MVG9abcdefghijklmnopqrstu",
    categories=["Account", "Lead"],
)


def test_snippets_hold_no_secrets_and_name_the_placeholders() -> None:
    for text in (curl_command(**ARGS), python_sdk_code(**ARGS)):
        assert "UNSTRUCTURED_API_KEY" in text and "SALESFORCE_PRIVATE_KEY_FILE" in text
        assert "PRIVATE KEY-----" not in text


def test_python_snippet_is_valid_python() -> None:
    ast.parse(python_sdk_code(**ARGS))
    assert "server_url='https://platform.unstructuredapp.io'" in python_sdk_code(**ARGS)


def test_curl_snippets_json_carries_the_pem_intact(tmp_path, key_bundle: KeyBundle) -> None:
    key = tmp_path / "k.pem"
    key.write_bytes(key_bundle.private_key_pem)
    jq_part = curl_command(**ARGS).split("| curl")[0].split("\n", 1)[1]
    out = subprocess.run(
        ["sh", "-c", jq_part],
        capture_output=True,
        text=True,
        check=True,
        env=dict(os.environ, SALESFORCE_PRIVATE_KEY_FILE=str(key)),
    )
    body = json.loads(out.stdout)
    assert body == {
        "name": "it's prod",
        "type": "salesforce",
        "config": {
            "username": "a@b.co",
            "consumer_key": "3MVG9abcdefghijklmnopqrstu",
            "private_key": key_bundle.private_key_pem.decode(),
            "categories": ["Account", "Lead"],
        },
    }
