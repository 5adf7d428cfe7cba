"""The Important Notes are edited as pages are: drafts, preview, revisions, publishing by permission."""

import pytest
from django.contrib.auth.models import Group
from wagtail.models import Site

from pages.models import ClinicSettings, Notice

ARTICLE = "/sciatica/"


def notes() -> Notice:
    return ClinicSettings.for_site(Site.objects.get(is_default_site=True)).important_notes


def draft(notice: Notice, title: str):
    notice.title = title
    return notice.save_revision()


@pytest.mark.django_db
def test_a_draft_is_not_public_until_it_is_published(client, demo_content):
    assert "Important Notes" in client.get(ARTICLE).text
    revision = draft(notes(), "Notes in draft")
    assert "Notes in draft" not in client.get(ARTICLE).text
    assert "Important Notes" in client.get(ARTICLE).text
    revision.publish()
    assert "Notes in draft" in client.get(ARTICLE).text


@pytest.mark.django_db
def test_every_version_is_kept_and_an_earlier_one_can_be_published_again(client, demo_content):
    first = draft(notes(), "First wording")
    first.publish()
    draft(notes(), "Second wording").publish()
    assert notes().revisions.count() == 2
    first.publish()  # what the admin's "revert" publishes
    assert "First wording" in client.get(ARTICLE).text


@pytest.mark.django_db
def test_a_notice_never_published_shows_nothing(client, demo_content):
    site = Site.objects.get(is_default_site=True)
    unpublished = Notice(title="Not yet", body=[], live=False)
    unpublished.save()
    clinic = ClinicSettings.for_site(site)
    clinic.important_notes = unpublished
    clinic.save()
    text = client.get(ARTICLE).text
    assert "Not yet" not in text and 'class="notice"' not in text


@pytest.mark.django_db
def test_the_preview_shows_the_draft_as_an_article_shows_it(client, demo_content):
    draft(notes(), "Previewed wording")
    preview = notes().get_latest_revision_as_object()
    response = preview.make_preview_request()
    response.render()
    html = response.content.decode()
    assert 'class="notice"' in html and "Previewed wording" in html
    assert "Previewed wording" not in client.get(ARTICLE).text


@pytest.mark.django_db
def test_editors_draft_the_notices_and_moderators_publish_them():
    editors = set(Group.objects.get(name="Editors").permissions.values_list("codename", flat=True))
    moderators = set(Group.objects.get(name="Moderators").permissions.values_list("codename", flat=True))
    assert {"add_notice", "change_notice", "view_notice"} <= editors and "publish_notice" not in editors
    assert {"add_notice", "change_notice", "view_notice", "publish_notice"} <= moderators


@pytest.mark.django_db
def test_the_admin_edits_the_notice_with_save_draft_and_publish(client, demo_content, django_user_model):
    admin = django_user_model.objects.create_superuser("notes-admin", "notes@example.org", "x")
    client.force_login(admin)
    response = client.get(f"/admin/snippets/pages/notice/edit/{notes().pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Save draft" in html and "Publish" in html and "Preview" in html
