"""What search engines and link previews see: titles, canonical, Open Graph, JSON-LD, sitemap, robots."""

import datetime
import json
import re

import pytest
import time_machine
from bs4 import BeautifulSoup
from wagtail.models import Site

from pages.models import ClinicSettings, ConditionPage


def soup_of(client, path: str) -> BeautifulSoup:
    response = client.get(path)
    assert response.status_code == 200
    return BeautifulSoup(response.content, "html.parser")


def json_ld(soup: BeautifulSoup) -> dict:
    blocks = [json.loads(script.string) for script in soup.find_all("script", type="application/ld+json")]
    return {data["@type"]: data for data in blocks}


@pytest.mark.django_db
def test_sciatica_head_has_title_description_canonical_and_open_graph(client, demo_content):
    soup = soup_of(client, "/sciatica/")
    page = ConditionPage.objects.get(slug="sciatica")
    assert soup.title.string == "Sciatica | Demo Manual Therapy Clinic"
    assert soup.find("meta", attrs={"name": "description"})["content"] == page.summary
    canonical = soup.find("link", rel="canonical")["href"]
    assert canonical == page.full_url and canonical.endswith("/sciatica/")
    og = {m["property"]: m["content"] for m in soup.find_all("meta", property=True)}
    assert og["og:type"] == "article"
    assert og["og:title"] == "Sciatica"
    assert og["og:url"] == canonical
    assert og["og:description"] == page.summary
    assert og["og:site_name"] == "Demo Manual Therapy Clinic"
    assert soup.html["lang"] == "en-gb"


@pytest.mark.django_db
def test_home_is_a_website_with_medical_clinic_json_ld(client, demo_content):
    soup = soup_of(client, "/")
    og = {m["property"]: m["content"] for m in soup.find_all("meta", property=True)}
    assert og["og:type"] == "website"
    clinic = json_ld(soup)["MedicalClinic"]
    assert clinic["name"] == "Demo Manual Therapy Clinic"
    assert clinic["address"] == {
        "@type": "PostalAddress",
        "streetAddress": "1 Example Street",
        "addressLocality": "Exampletown",
        "postalCode": "EX1 1AA",
        "addressCountry": "GB",
    }
    assert clinic["telephone"] == "+44 20 7946 0000"
    hours = clinic["openingHoursSpecification"]
    assert len(hours) == 6
    assert hours[0] == {
        "@type": "OpeningHoursSpecification",
        "dayOfWeek": "https://schema.org/Monday",
        "opens": "09:00",
        "closes": "18:00",
    }
    assert hours[5]["dayOfWeek"] == "https://schema.org/Saturday" and hours[5]["closes"] == "13:00"


@pytest.mark.django_db
def test_medical_web_page_has_no_review_facts_until_staff_set_them(client, demo_content):
    soup = soup_of(client, "/sciatica/")
    data = json_ld(soup)["MedicalWebPage"]
    assert data["about"] == {"@type": "MedicalCondition", "name": "Sciatica"}
    assert "lastReviewed" not in data and "reviewedBy" not in data
    assert not soup.select(".review-dates")


@pytest.mark.django_db
def test_medical_web_page_shows_review_facts_once_set(client, demo_content):
    page = ConditionPage.objects.get(slug="sciatica")
    page.last_reviewed = datetime.date(2026, 3, 2)
    page.next_review = datetime.date(2027, 3, 2)
    page.reviewed_by = "A. Practitioner, osteopath"
    page.save_revision().publish()
    soup = soup_of(client, "/sciatica/")
    data = json_ld(soup)["MedicalWebPage"]
    assert data["lastReviewed"] == "2026-03-02"
    assert data["reviewedBy"] == {"@type": "Person", "name": "A. Practitioner, osteopath"}
    dates = soup.select_one(".review-dates").get_text(" ", strip=True)
    # en-gb's DATE_FORMAT: day, short month, year.
    assert "Page last reviewed 2 Mar 2026" in dates
    assert "Next review due 2 Mar 2027" in dates
    assert soup.select_one(".review-dates time")["datetime"] == "2026-03-02"


@pytest.mark.django_db
def test_date_modified_is_the_date_in_the_clinics_time_zone(client, demo_content):
    clinic = ClinicSettings.objects.get()
    clinic.time_zone = "Asia/Tokyo"
    clinic.save()
    page = ConditionPage.objects.get(slug="sciatica")
    with time_machine.travel(datetime.datetime(2026, 6, 30, 23, 30, tzinfo=datetime.UTC), tick=False):
        page.save_revision().publish()  # 08:30 on 1 July in Tokyo
    assert json_ld(soup_of(client, "/sciatica/"))["MedicalWebPage"]["dateModified"] == "2026-07-01"
    clinic.time_zone = "America/New_York"
    clinic.save()
    assert json_ld(soup_of(client, "/sciatica/"))["MedicalWebPage"]["dateModified"] == "2026-06-30"


@pytest.mark.django_db
def test_opening_hours_render_in_the_clinic_locale(client, demo_content):
    footer = soup_of(client, "/").find("footer")
    rows = [div.get_text(" ", strip=True) for div in footer.select(".opening-hours div")]
    assert rows[0] == "Monday 9 a.m.–6 p.m."
    assert rows[5] == "Saturday 9 a.m.–1 p.m."


@pytest.mark.django_db
def test_json_ld_cannot_be_closed_by_page_content(client, demo_content):
    page = ConditionPage.objects.get(slug="sciatica")
    page.summary = "</script><script>alert(1)</script>"
    page.save_revision().publish()
    html = client.get("/sciatica/").content.decode()
    assert "<script>alert(1)" not in html
    assert "\\u003c/script>" in html


@pytest.mark.django_db
def test_sitemap_lists_public_pages_with_full_urls(client, demo_content):
    response = client.get("/sitemap.xml")
    assert response.status_code == 200
    locations = re.findall(r"<loc>([^<]+)</loc>", response.content.decode())
    root = Site.objects.get().root_url
    assert {f"{root}/", f"{root}/privacy/", f"{root}/sciatica/"} <= set(locations)
    assert not [url for url in locations if "/members/" in url]  # the members area never appears
    assert "public" in response["Cache-Control"]


@pytest.mark.django_db
def test_robots_txt_keeps_private_areas_out_and_names_the_sitemap(client, demo_content):
    response = client.get("/robots.txt")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    lines = response.text.splitlines()
    assert "User-agent: *" in lines
    for path in ("/admin/", "/members/"):
        assert f"Disallow: {path}" in lines
    assert "Sitemap: http://testserver/sitemap.xml" in lines
    assert "Disallow: /\n" not in response.text + "\n"
