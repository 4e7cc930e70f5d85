from __future__ import annotations

import io
import os
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cli import Cli, run
from core.crypto.keypair import KeyBundle, load_private_key, parse_pem_blocks
from core.defaults import CATEGORIES
from core.errors import InvalidInputError, KeyMaterialError
from core.validation import (
    parse_categories,
    validate_config,
    validate_connector_name,
    validate_consumer_key,
    validate_username,
)
from tests.conftest import API_KEY, CONSUMER_KEY, USERNAME
from tests.fakes.platform import FakePlatform

FAST = settings(max_examples=200, deadline=None)


def test_categories_default_to_all_five() -> None:
    assert parse_categories(None) == list(CATEGORIES)


def test_categories_parse_dedupe_and_keep_order() -> None:
    assert parse_categories(" Case,Account ,Case,") == ["Case", "Account"]


def test_category_case_mistake_names_the_right_spelling() -> None:
    with pytest.raises(InvalidInputError) as info:
        parse_categories("account")
    assert "Did you mean 'Account'" in str(info.value)


@pytest.mark.parametrize("value", ["", ",", [], ["  "]])
def test_empty_categories_are_refused(value: str | list[str]) -> None:
    with pytest.raises(InvalidInputError, match="at least one"):
        parse_categories(value)


@pytest.mark.parametrize("name", ["admin@example.com", "svc.user@acme.co.uk", "x@y.z.sandbox"])
def test_usernames_accepted(name: str) -> None:
    assert validate_username(f"  {name} ") == name


@pytest.mark.parametrize("name", ["", "admin", "a b@c.d", "@x.y", "a@b"])
def test_usernames_refused(name: str) -> None:
    with pytest.raises(InvalidInputError):
        validate_username(name)


def test_consumer_secret_is_not_taken_for_a_key() -> None:
    with pytest.raises(InvalidInputError, match="consumer key"):
        validate_consumer_key("ABCD1234")


def test_connector_name() -> None:
    assert validate_connector_name(" prod ") == "prod"
    for bad in ["", "   ", "a\nb", "x" * 201]:
        with pytest.raises(InvalidInputError):
            validate_connector_name(bad)


def test_config_reports_the_first_bad_field(key_bundle: KeyBundle) -> None:
    with pytest.raises(InvalidInputError) as info:
        validate_config(username="nope", consumer_key="3MVG9" + "a" * 30, private_key=key_bundle.private_key_pem)
    assert info.value.field == "username"


def test_config_repr_never_shows_the_key(key_bundle: KeyBundle) -> None:
    config = validate_config(username="a@b.co", consumer_key="3MVG9" + "a" * 30, private_key=key_bundle.private_key_pem)
    assert "PRIVATE" not in repr(config) and "PRIVATE" not in str(config.redacted())


# --- properties: any input gives a value or a clear error, never a crash --------------------


@FAST
@given(st.text())
def test_any_text_as_username_consumer_key_or_name_is_valid_or_a_clear_error(text: str) -> None:
    for check in (validate_username, validate_consumer_key, validate_connector_name):
        try:
            check(text)
        except InvalidInputError as exc:
            assert exc.message.endswith(".") and exc.field


@FAST
@given(st.one_of(st.text(), st.lists(st.text(max_size=20), max_size=8)))
def test_any_categories_input_is_a_subset_or_a_clear_error(value: str | list[str]) -> None:
    try:
        result = parse_categories(value)
    except InvalidInputError as exc:
        assert exc.field == "categories"
    else:
        assert result and set(result) <= set(CATEGORIES) and len(result) == len(set(result))


@FAST
@given(st.one_of(st.text(max_size=3000), st.binary(max_size=3000)))
def test_any_paste_as_a_key_loads_or_gives_a_clear_error(value: str | bytes) -> None:
    try:
        load_private_key(value)
    except KeyMaterialError as exc:
        assert exc.message.endswith(".")


@settings(max_examples=30, deadline=None)  # each example loads an RSA key (~0.05 s)
@given(st.text(alphabet=" \t\r\n\\n\"'", max_size=6), st.sampled_from(["\n", "\r\n", "\\n", " ", "\t"]))
def test_whitespace_damage_never_changes_the_key(key_bundle: KeyBundle, padding: str, newline: str) -> None:
    pem = key_bundle.private_key_pem.decode().replace("\n", newline)
    assert (
        load_private_key(padding + pem + padding).private_numbers()
        == load_private_key(key_bundle.private_key_pem).private_numbers()
    )


@FAST
@given(st.text(max_size=500))
def test_pem_block_parser_never_crashes(text: str) -> None:
    for block in parse_pem_blocks(text):
        assert block.text.startswith("-----BEGIN ") and block.text.endswith("-----\n")


def _valid(check: Callable[[str], object], value: str) -> bool:
    try:
        check(value)
        return True
    except InvalidInputError:
        return False


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.one_of(st.just(USERNAME), st.text(max_size=80)),
    st.one_of(st.just(CONSUMER_KEY), st.text(max_size=80)),
    st.one_of(st.just("Account,Case"), st.text(max_size=40)),
    st.one_of(st.just("sf-prod"), st.text(max_size=40)),
)
def test_submit_input_is_sent_only_when_every_value_is_valid(
    platform: FakePlatform,
    tmp_path: Path,
    key_bundle: KeyBundle,
    username: str,
    consumer_key: str,
    categories: str,
    name: str,
) -> None:
    """Invalid input exits 2 before any request; valid input reaches the (spec-checking) fake and succeeds."""
    platform.reset(api_key=API_KEY, salesforce_url=platform.salesforce_url)
    key_file = tmp_path / "k.pem"
    key_file.write_bytes(key_bundle.private_key_pem)
    out, err = io.StringIO(), io.StringIO()
    os.environ["UNSTRUCTURED_API_KEY"] = API_KEY  # so that valid input can really be sent
    try:
        code = run(
            session=Cli(stdout=out, stderr=err),
            argv=[
                "submit",
                # OPTION=VALUE: a value may start with "-" (hypothesis found "-:"), which argparse would
                # otherwise take for an option, as a script passing user input must
                f"--name={name}",
                f"--username={username}",
                f"--consumer-key={consumer_key}",
                "--private-key",
                str(key_file),
                f"--categories={categories}",
                "--api-url",
                platform.api_url,
            ],
        )
    finally:
        del os.environ["UNSTRUCTURED_API_KEY"]
    valid = (
        _valid(validate_username, username)
        and _valid(validate_consumer_key, consumer_key)
        and _valid(parse_categories, categories)
        and _valid(validate_connector_name, name)
    )
    if valid:
        assert code == 0, err.getvalue()
        assert len(platform.connectors) == 1 and platform.spec_violations == []
    else:
        assert code == 2, err.getvalue()
        assert err.getvalue().startswith("error: ") and "Traceback" not in err.getvalue()
        assert platform.requests == []
