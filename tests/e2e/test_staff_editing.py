"""Staff edit the article in the Wagtail admin: date widget, draft, live preview, publish, revisions."""

import pytest
from django.contrib.auth import get_user_model

from pages.models import ConditionPage

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "a-long-test-password"


def test_draft_preview_publish_and_revisions_work_under_the_admin_csp(browser, live_server, demo_content):
    get_user_model().objects.create_superuser("editor", "editor@clinic.example", PASSWORD)
    article = ConditionPage.objects.get(slug="sciatica")
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    csp_errors = []
    page.on("console", lambda m: csp_errors.append(m.text) if "Content Security Policy" in m.text else None)

    page.goto(live_server.url + "/admin/login/")
    page.fill("#id_username", "editor")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(live_server.url + "/admin/")

    page.goto(f"{live_server.url}/admin/pages/{article.pk}/edit/")
    page.fill("#id_title", "Sciatica (draft)")
    # Wagtail's date widget is written by inline script: it must open and set a date.
    date_input = page.locator("#id_last_reviewed")
    date_input.scroll_into_view_if_needed()
    date_input.click()
    page.locator(".xdsoft_datetimepicker:visible .xdsoft_date:not(.xdsoft_disabled)").first.click()
    chosen = date_input.input_value()
    assert chosen, "the date widget did not set a date"

    # The live preview renders the draft in a same-origin iframe.
    page.click("button[data-side-panel-toggle=preview]")
    preview = page.frame_locator("iframe[src*='/edit/preview/']")
    assert preview.locator("h1").inner_text(timeout=10_000) == "Sciatica (draft)"

    page.get_by_role("button", name="Save draft").click()
    page.wait_for_load_state()
    article.refresh_from_db()
    assert article.title == "Sciatica" and article.has_unpublished_changes
    assert page.context.request.get(live_server.url + "/sciatica/").text().count("Sciatica (draft)") == 0

    page.goto(f"{live_server.url}/admin/pages/{article.pk}/edit/")
    page.locator("footer [data-w-dropdown-target='toggle']").click()
    page.locator("button[name='action-publish']").click()
    page.wait_for_load_state()
    article.refresh_from_db()
    assert article.title == "Sciatica (draft)" and article.live and not article.has_unpublished_changes
    assert article.last_reviewed.isoformat() == chosen

    page.goto(f"{live_server.url}/admin/pages/{article.pk}/history/")
    assert page.get_by_text("Published").count() >= 2  # the demo revision and ours

    # Staff see the public page with Wagtail's user bar, which works under the strict CSP.
    response = page.goto(live_server.url + "/sciatica/")
    assert "private" in response.headers["cache-control"]
    page.locator("wagtail-userbar").wait_for(state="attached")
    assert page.evaluate("!!customElements.get('wagtail-userbar')")
    context.close()
    assert csp_errors == []
