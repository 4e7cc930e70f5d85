"""The Unstructured step shows what the connector will read; Review shows the first run against the allowance."""

from __future__ import annotations

from pathlib import Path

from gui.page_ids import PageId
from tests.conftest import USERNAME
from tests.fakes.platform import FakePlatform
from tests.fakes.salesforce import FakeSalesforce
from tests.gui.conftest import Person


def reach_unstructured(person: Person, tmp_path: Path, salesforce: FakeSalesforce) -> None:
    person.reach_verify(tmp_path, salesforce)
    person.approve_in_browser(salesforce)
    person.verify()
    person.next()
    assert person.at(PageId.UNSTRUCTURED)


def counted(person: Person) -> None:
    page = person.wizard.unstructured_page
    person.qtbot.waitUntil(lambda: page._reading is None and page.category_status["Lead"].isVisible(), timeout=10000)


def test_each_category_shows_its_count_and_an_unreadable_one_is_left_out_until_a_check_passes(
    person: Person, tmp_path: Path, salesforce: FakeSalesforce
) -> None:
    salesforce.disabled_objects = {"Campaign"}
    salesforce.unreadable[USERNAME] = {"EmailMessage"}
    reach_unstructured(person, tmp_path, salesforce)
    page = person.wizard.unstructured_page
    counted(person)
    assert page.category_status["Account"].text() == "1,234 records"
    assert page.category_status["Case"].text() == "57 records"
    campaign = page.category_boxes["Campaign"]
    assert not campaign.isChecked() and not campaign.isEnabled()
    assert "sObject type 'Campaign' is not supported" in page.category_status["Campaign"].text()
    assert page.category_status["Campaign"].kind == "error"
    assert "Read on Cases" in page.category_status["EmailMessage"].text()
    assert "cannot read Campaign, EmailMessage" in page.reading_message.text()
    assert person.wizard.context.draft.categories == ["Account", "Case", "Lead"]

    salesforce.disabled_objects = set()  # the admin enables Campaigns in Salesforce, then checks again
    person.click(page.check_again)
    counted(person)
    assert campaign.isEnabled() and campaign.isChecked()  # the check unticked it; a passing one ticks it back
    assert page.category_status["Campaign"].text() == "0 records"
    assert not page.category_boxes["EmailMessage"].isEnabled()  # still unreadable


def test_review_shows_the_first_run_against_the_allowance(
    person: Person, tmp_path: Path, salesforce: FakeSalesforce, platform: FakePlatform
) -> None:
    salesforce.api_max = 2000  # a small org: Account alone is more than half of it
    reach_unstructured(person, tmp_path, salesforce)
    counted(person)
    page = person.wizard.unstructured_page
    for name in ("Case", "EmailMessage", "Lead", "Campaign"):
        person.click(page.category_boxes[name])
    person.enter_unstructured(platform.api_url)
    person.next()
    assert person.at(PageId.REVIEW)
    estimate = person.wizard.review_page.estimate
    assert estimate.kind == "warning"
    assert "reads 1,234 records with about 1,235 API requests" in estimate.text()
    assert "more than half of the org's daily API requests (1,235 of 2,000)" in estimate.text()


def test_a_slow_count_never_blocks_the_page_and_can_be_stopped(
    person: Person, tmp_path: Path, salesforce: FakeSalesforce, platform: FakePlatform
) -> None:
    reach_unstructured(person, tmp_path, salesforce)
    page = person.wizard.unstructured_page
    counted(person)
    salesforce.delay = 3.0  # every answer now takes 3 s
    person.click(page.check_again)
    assert page.reading_busy.isVisible() and not page.check_again.isEnabled()
    person.type(page.name, "typed-while-counting")  # the page stays usable
    person.click(page.reading_busy.cancel_button)
    assert not page.reading_busy.isVisible() and page.check_again.isEnabled()
    assert "Stopped checking" in page.reading_message.text()
    salesforce.delay = 0.0


def test_a_count_arriving_after_create_routed_back_keeps_the_categories_verdict(
    person: Person, tmp_path: Path, salesforce: FakeSalesforce, platform: FakePlatform
) -> None:
    """Create's refusal of the categories stays beside them, even when the page re-checks itself later."""
    person.create_with_the_categories_refused(tmp_path, salesforce, platform)
    page = person.wizard.unstructured_page
    person.click(page.check_again)  # a count that lands after the route back re-checks the page
    counted(person)
    assert "config.categories: bad" in page.categories_message.text()
    person.click(page.category_boxes["Lead"])  # the admin changes the ticks: the verdict gives way
    assert "config.categories: bad" not in page.categories_message.text()
