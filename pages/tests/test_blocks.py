"""Every StreamField block renders, has a description and an admin preview."""

import pytest
from bs4 import BeautifulSoup
from django.contrib.auth import get_user_model
from django.test import RequestFactory
from wagtail.models import Site

from pages import blocks
from pages.models import ClinicSettings

ARTICLE_BLOCKS = blocks.ArticleStreamBlock().child_blocks


def render(block, value, request=None) -> BeautifulSoup:
    context = {}
    if request is not None:
        from wagtail.contrib.settings.context_processors import settings as settings_processor

        context = {"request": request, **settings_processor(request)}
    return BeautifulSoup(block.render(block.normalize(value), context), "html.parser")


@pytest.fixture
def site_request(db):
    site = Site.objects.get(is_default_site=True)
    clinic = ClinicSettings.for_site(site)
    clinic.emergency_number = "112"
    clinic.save()
    request = RequestFactory().get("/", HTTP_HOST=site.hostname)
    request._wagtail_site = site
    return request


@pytest.mark.parametrize("name", sorted(ARTICLE_BLOCKS))
def test_every_article_block_has_a_description_icon_and_template(name):
    block = ARTICLE_BLOCKS[name]
    assert str(block.get_description()).strip(), name
    assert block.meta.icon
    assert block.meta.template.startswith("blocks/")
    assert block.is_previewable, f"{name} has no admin preview"


@pytest.mark.parametrize("name", sorted(set(ARTICLE_BLOCKS) - {"figure"}))
def test_every_block_renders_its_preview_value(name, site_request):
    block = ARTICLE_BLOCKS[name]
    html = render(block, block.get_preview_value(), site_request)
    assert html.get_text(strip=True), f"{name} rendered no text"


def test_care_card_announces_its_urgency_to_screen_readers(site_request):
    block = blocks.CareCardBlock()
    value = {
        "urgency": "emergency",
        "heading": "Call {emergency_number} or go to an emergency department if:",
        "intro": "",
        "items": ["sign one", "sign two"],
        "footer": "",
    }
    soup = render(block, value, site_request)
    card = soup.select_one("section.care-card--emergency")
    heading = soup.find("h2")
    hidden = heading.select_one(".visually-hidden")
    assert hidden.get_text(strip=True) == "Immediate action required:"
    assert heading.get_text(" ", strip=True).endswith("Call 112 or go to an emergency department if:")
    assert card["aria-labelledby"] == heading["id"]
    assert [li.get_text() for li in soup.select(".care-card__content li")] == ["sign one", "sign two"]


@pytest.mark.parametrize(
    ("urgency", "announcement"),
    [("non-urgent", "Non-urgent advice:"), ("urgent", "Urgent advice:"), ("emergency", "Immediate action required:")],
)
def test_each_urgency_has_its_own_hidden_text(urgency, announcement, site_request):
    soup = render(blocks.CareCardBlock(), {"urgency": urgency, "heading": "Get help", "items": ["x"]}, site_request)
    assert soup.select_one("h2 .visually-hidden").get_text(strip=True) == announcement
    assert soup.select_one(f".care-card--{urgency}")


def test_two_care_cards_on_one_page_get_distinct_ids(site_request):
    block = blocks.CareCardBlock()
    value = {"urgency": "urgent", "heading": "Get help", "items": ["x"]}
    assert render(block, value, site_request).h2["id"] != render(block, value, site_request).h2["id"]


def test_chain_renders_as_an_ordered_list_with_its_label():
    value = {"label": "How one leads to the next", "steps": ["First", "Second", "Third"], "after": ""}
    soup = render(blocks.ChainBlock(), value)
    figure = soup.find("figure", class_="chain")
    assert figure.figcaption.get_text(strip=True) == "How one leads to the next"
    steps = figure.find("ol").find_all("li", recursive=False)
    assert [li.contents[0].strip() for li in steps] == ["First", "Second", "Third"]
    # Between steps a screen reader hears the relation; the last step has none.
    assert [bool(li.select(".visually-hidden")) for li in steps] == [True, True, False]
    assert "↓" not in soup.get_text()  # arrows are drawn by CSS, not read out


def test_numbered_section_heading_carries_its_number():
    value = {"number": 3, "title": "A part", "body": [("paragraph", "<p>Text.</p>")]}
    soup = render(blocks.NumberedSectionBlock(), value)
    assert soup.h2.get_text(" ", strip=True) == "3. A part"
    assert soup.p.get_text() == "Text."


def test_heading_block_honours_its_level():
    assert render(blocks.HeadingBlock(), {"text": "Sub", "level": "h3"}).h3.get_text() == "Sub"
    assert render(blocks.HeadingBlock(), {"text": "Main", "level": "h2"}).h2.get_text() == "Main"


def test_members_teaser_links_to_members_area_without_a_chosen_page(site_request):
    block = blocks.MembersTeaserBlock()
    soup = render(block, block.get_preview_value(), site_request)
    assert soup.select_one("a.button")["href"] == "/members/"
    assert [li.get_text() for li in soup.select("ul.bullets li")] == ["First topic", "Second topic"]
    assert soup.select_one(".members-teaser__notes li").get_text() == "The password is given at the clinic."


def test_figure_renders_image_alt_caption_and_long_description(demo_content):
    from wagtail.images import get_image_model

    image = get_image_model().objects.get()
    value = {"image": image, "alt_text": "Alt words", "caption": "Cap words", "long_description": "Long words"}
    soup = render(blocks.FigureBlock(), value)
    img = soup.find("img")
    assert img["alt"] == "Alt words"
    assert img["src"].endswith(".svg")
    assert img.get("width") and img.get("height")  # no layout shift while it loads
    assert soup.figcaption.get_text() == "Cap words"
    assert soup.details.summary.get_text() == "Describe this figure"
    assert "Long words" in soup.details.get_text()


@pytest.fixture
def staff_client(client, db):
    user = get_user_model().objects.create_superuser("editor", "editor@clinic.example", "a-long-test-password")
    client.force_login(user)
    return client


@pytest.mark.parametrize("name", sorted(ARTICLE_BLOCKS))
def test_admin_block_preview_renders_with_the_site_stylesheet(name, staff_client, demo_content):
    block = ARTICLE_BLOCKS[name]
    response = staff_client.get("/admin/block-preview/", {"id": block.definition_prefix})
    assert response.status_code == 200, name
    soup = BeautifulSoup(response.content, "html.parser")
    assert soup.find("link", rel="stylesheet")["href"].endswith("css/site.css")
    assert soup.main.get_text(strip=True), f"the {name} preview is empty"
    if name == "figure":
        assert soup.main.find("img")["src"].endswith(".svg")
