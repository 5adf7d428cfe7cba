"""The reader's journey and the page's quality, in Debian's Chromium against a live server."""

import gzip
import re

import pytest

from conftest import DESKTOP, PHONE, axe_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FOCUS_STYLE = """el => {
  const s = getComputedStyle(el);
  const outline = s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0;
  return {tag: el.tagName, text: (el.innerText || '').slice(0, 40), outline, shadow: s.boxShadow !== 'none'};
}"""


@pytest.fixture
def site(live_server, demo_content, settings):
    settings.SERVE_MEDIA = True  # the live server has no nginx in front for the figure
    return live_server.url


def test_readers_journey_home_to_article_to_members_and_booking(browser_page, site):
    page = browser_page
    page.goto(site + "/")
    assert page.locator("h1").inner_text() == "Manual therapy clinic"
    page.get_by_role("link", name="Sciatica").last.click()
    page.wait_for_url(site + "/sciatica/")
    assert page.locator("h1").inner_text() == "Sciatica"
    teaser = page.locator(".members-teaser")
    assert "For patients currently receiving care at our clinic" in teaser.inner_text()
    assert teaser.get_by_role("link", name="Go to the members area").get_attribute("href") == "/members/"
    booking = page.get_by_role("main").get_by_role("link", name="Book an appointment")
    assert booking.get_attribute("href") == "/appointments/"
    figure = page.locator("figure.figure img")
    assert figure.evaluate("img => img.complete && img.naturalWidth > 0"), "the nerve figure did not load"


@pytest.mark.parametrize("path", ["/", "/sciatica/"])
@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["360", "1280"])
def test_axe_finds_nothing(browser, site, path, viewport):
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    page.goto(site + path)
    violations = axe_violations(page)
    context.close()
    assert violations == []


@pytest.mark.parametrize("path", ["/", "/sciatica/", "/no-such-page/"])
def test_headings_form_an_outline(browser_page, site, path):
    browser_page.goto(site + path)
    levels = browser_page.eval_on_selector_all("h1, h2, h3, h4, h5, h6", "hs => hs.map(h => +h.tagName[1])")
    assert levels[0] == 1 and levels.count(1) == 1, levels
    for before, after in zip(levels, levels[1:], strict=False):
        assert after <= before + 1, f"skipped from h{before} to h{after}: {levels}"


@pytest.mark.parametrize("path", ["/", "/sciatica/"])
def test_keyboard_focus_is_always_visible(browser_page, site, path):
    page = browser_page
    page.goto(site + path)
    seen = []
    for _ in range(60):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement === document.body"):
            break
        style = page.evaluate_handle("document.activeElement").evaluate(FOCUS_STYLE)
        assert style["outline"] or style["shadow"], f"focus not visible on {style}"
        seen.append(style["tag"])
    assert len(seen) >= 5 and "A" in seen


def test_skip_link_moves_focus_to_the_main_content(browser_page, site):
    page = browser_page
    page.goto(site + "/sciatica/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to main content"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"


def test_care_card_is_announced_with_its_urgency(browser_page, site):
    # The booking pages carry the demo's urgent-care card (the article carries none: its
    # medical content is the clinic's own).
    page = browser_page
    page.goto(site + "/appointments/")
    card = page.get_by_role("region", name=re.compile(r"^Immediate action required: Call 999"))
    assert card.count() == 1
    heading = card.get_by_role("heading", level=2)
    assert heading.evaluate("h => h.textContent").startswith("Immediate action required:")
    hidden = card.locator(".visually-hidden").first.bounding_box()
    assert hidden["width"] <= 1 and hidden["height"] <= 1  # heard, not seen
    assert card.get_by_role("listitem").count() == 1
    page.emulate_media(media="print")
    assert card.is_visible()


def test_chain_is_an_ordered_list_with_arrows_drawn_not_read(browser_page, site):
    page = browser_page
    page.goto(site + "/sciatica/")
    steps = page.locator("figure.chain ol > li")
    assert steps.count() == 4
    arrow = steps.first.evaluate("li => getComputedStyle(li, '::after').content")
    assert "↓" in arrow


def test_page_weight_fonts_and_scripts(browser, site):
    """HTML at most 20 KB gzipped, everything at most 100 KB gzipped, no web fonts, no scripts."""
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    responses = []
    page.on("response", lambda r: responses.append(r))
    page.goto(site + "/sciatica/", wait_until="networkidle")
    sizes = {}
    for response in responses:
        if response.status == 200:
            sizes[response.url] = (response.request.resource_type, len(gzip.compress(response.body(), 6)))
    context.close()
    html = sizes[site + "/sciatica/"][1]
    total = sum(size for _, size in sizes.values())
    kinds = {kind for kind, _ in sizes.values()}
    print(f"sciatica: html {html} B gzipped, total {total} B gzipped over {len(sizes)} responses: {sizes}")
    assert html <= 20 * 1024
    assert total <= 100 * 1024
    assert "font" not in kinds and "script" not in kinds
    others = [url for url, (kind, _) in sizes.items() if kind not in ("document", "stylesheet", "image")]
    assert [url.rsplit("/", 1)[-1] for url in others] == ["favicon.svg"]


def test_print_stylesheet_hides_chrome(browser_page, site):
    page = browser_page
    page.goto(site + "/sciatica/")
    page.emulate_media(media="print")
    assert not page.locator(".main-nav").is_visible()
    assert not page.locator(".site-footer").is_visible()
    assert page.locator(".notice").is_visible()


@pytest.mark.parametrize("width", [320, 360, 1280, 1920])
def test_no_horizontal_scrolling(browser, site, width):
    context = browser.new_context(viewport={"width": width, "height": 800})
    page = context.new_page()
    for path in ("/", "/sciatica/"):
        page.goto(site + path)
        assert page.evaluate("document.documentElement.scrollWidth") <= width, path
    measure = page.locator(".article__body > p").first.evaluate("p => p.getBoundingClientRect().width")
    font = page.locator(".article__body > p").first.evaluate("p => parseFloat(getComputedStyle(p).fontSize)")
    context.close()
    assert measure / (font * 0.5) <= 90  # roughly 75 characters or fewer a line
