from __future__ import annotations

import ast
import json
import os
import subprocess
from pathlib import Path
from typing import Any

from core.crypto.keypair import KeyBundle
from core.unstructured.snippets import curl_command, python_sdk_code
from tests.fakes.platform import FakePlatform
from tests.platforms import needs_curl_and_bash

ARGS: dict[str, Any] = dict(
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


@needs_curl_and_bash
def test_curl_snippets_json_carries_the_pem_intact(tmp_path: Path, key_bundle: KeyBundle) -> None:
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


@needs_curl_and_bash
def test_the_curl_snippet_creates_the_connector_and_never_puts_the_api_key_in_argv(
    tmp_path: Path, key_bundle: KeyBundle, platform: FakePlatform
) -> None:
    """Run the whole snippet against the loopback Platform, with a curl that records its command line."""
    import shutil
    import stat
    import sys

    from tests.conftest import API_KEY

    real_curl = shutil.which("curl")
    assert real_curl, "curl is needed (the README's test command installs it)"
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    argv_file = tmp_path / "argv.json"
    spy = bin_dir / "curl"
    spy.write_text(
        f"#!{sys.executable}\nimport json, os, sys\n"
        f"open({str(argv_file)!r}, 'w').write(json.dumps(sys.argv))\n"
        f"os.execv({real_curl!r}, [{real_curl!r}, *sys.argv[1:]])\n"
    )
    spy.chmod(spy.stat().st_mode | stat.S_IXUSR)
    key = tmp_path / "k.pem"
    key.write_bytes(key_bundle.private_key_pem)
    snippet = curl_command(**dict(ARGS, api_url=platform.api_url))
    out = subprocess.run(
        ["sh", "-c", snippet],
        capture_output=True,
        text=True,
        env=dict(
            os.environ,
            SALESFORCE_PRIVATE_KEY_FILE=str(key),
            UNSTRUCTURED_API_KEY=API_KEY,
            PATH=f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        ),
        timeout=30,
    )
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["name"] == "it's prod" and len(platform.connectors) == 1
    assert API_KEY not in argv_file.read_text()


def test_the_python_snippet_runs_with_the_current_sdk_and_sends_what_submit_sends(
    tmp_path: Path, key_bundle: KeyBundle, platform: FakePlatform
) -> None:
    """Run the snippet with unstructured-client itself against the spec-checking loopback Platform."""
    import sys

    from core.validation import validate_config
    from tests.conftest import API_KEY

    key = tmp_path / "k.pem"
    key.write_bytes(key_bundle.private_key_pem)
    script = tmp_path / "create.py"
    script.write_text(python_sdk_code(**dict(ARGS, api_url=platform.api_url)))
    out = subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        text=True,
        env=dict(os.environ, SALESFORCE_PRIVATE_KEY_FILE=str(key), UNSTRUCTURED_API_KEY=API_KEY),
        timeout=60,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert platform.spec_violations == []
    sent = platform.requests_of("POST")[-1][2]
    config = validate_config(
        username=ARGS["username"],
        consumer_key=ARGS["consumer_key"],
        private_key=key_bundle.private_key_pem,
        categories=ARGS["categories"],
    )
    assert sent == {"name": ARGS["name"], "type": "salesforce", "config": config.to_api()}  # what submit sends
    assert out.stdout.strip() in platform.connectors
