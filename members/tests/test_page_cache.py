"""Members pages from their stored copy: served only after the access check, never with another
session's token, always private, fresh after every publish, and never for a preview."""

import datetime
import re

import pytest
import time_machine
from django.conf import settings
from django.core.cache import caches
from django.db import connection
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from wagtail import hooks
from wagtail.models import PageViewRestriction
from wagtail.rich_text import RichText

from members import access_state, page_cache, passes, passwords
from members.models import MembersArticlePage, MembersPolicy, SharedPassword

from .conftest import T0, enter, plain

DAY = datetime.timedelta(days=1)
ARTICLE = "/members/toldts-fascia/"
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def now():
    return datetime.datetime.now(datetime.UTC)


def granted(**client_options) -> Client:
    client = Client(**client_options)
    if client_options.get("enforce_csrf_checks"):
        token = TOKEN.search(client.get("/members/").text).group(1)  # the gate sets the CSRF cookie
        response = client.post(
            "/members/-/enter/",
            {"secret": plain(passwords.current(now=now())), "next": ARTICLE, "csrfmiddlewaretoken": token},
        )
    else:
        response = enter(client, plain(passwords.current(now=now())), ARTICLE)
    assert response.status_code == 302
    return client


def stored_copies() -> list:
    cache = caches[settings.PAGE_CACHE_ALIAS]
    article = MembersArticlePage.objects.get(slug="toldts-fascia")
    # members-page:<generation>:<page>:<revision>:...
    tail = f":{article.pk}:{article.live_revision_id}:"
    if hasattr(cache, "_cache") and isinstance(cache._cache, dict):  # locmem
        keys = [k.split(":", 2)[2] for k in list(cache._cache)]
    else:
        client = cache._cache.get_client()  # CI's second run: Redis
        keys = [k.decode().split(":", 2)[2] for k in client.scan_iter(match=cache.make_key("members-page:*"))]
    return [cache.get(k) for k in keys if k.startswith("members-page:") and tail in k]


def assert_private(response):
    cache_control = response["Cache-Control"]
    assert "private" in cache_control and "no-store" in cache_control and "public" not in cache_control
    assert "noindex" in response["X-Robots-Tag"]
    assert "X-Page-Cache" not in response


def from_copy(client, path=ARTICLE):
    """A request answered from the stored copy: no template is rendered for it."""
    response = client.get(path)
    assert response.status_code == 200, response.status_code
    assert response.templates == [], [t.name for t in response.templates]
    return response


def session_queries() -> int:
    # Sessions in the database cost the one query left; on Redis (CI's second run) none.
    return 0 if settings.SESSION_ENGINE == "django.contrib.sessions.backends.cache" else 1


@pytest.mark.django_db
def test_a_granted_session_gets_the_stored_copy_with_one_query_at_most(members, django_assert_num_queries):
    patient = granted()
    first = patient.get(ARTICLE)
    assert first.status_code == 200 and "members/members_article_page.html" in [t.name for t in first.templates]
    assert len(stored_copies()) == 1
    # The session only (the access check reads the password snapshot from the shared cache).
    with django_assert_num_queries(session_queries()):
        second = from_copy(patient)
    assert TOKEN.sub("", second.text) == TOKEN.sub("", first.text)
    assert "Toldt’s fascia (strongly involved on the right side)" in second.text
    assert_private(first)
    assert_private(second)
    # The members area's front page is stored the same way.
    titles = [article.title for article in members]
    patient.get("/members/")
    with django_assert_num_queries(session_queries()):
        index = from_copy(patient, "/members/")
    assert all(title in index.text for title in titles)


@pytest.mark.django_db
def test_the_stored_copy_holds_no_session_token_and_each_session_gets_its_own(members):
    one, two = granted(enforce_csrf_checks=True), granted(enforce_csrf_checks=True)
    token_one = TOKEN.search(one.get(ARTICLE).text).group(1)
    token_two = TOKEN.search(from_copy(two).text).group(1)
    assert token_one != token_two
    (stored,) = stored_copies()
    assert "csrfmiddlewaretoken" not in stored.html and stored.marker in stored.html
    assert token_one not in stored.html and token_two not in stored.html
    # Each token belongs to its own browser: the other's is refused, its own leaves the area.
    assert two.post("/members/-/leave/", {"csrfmiddlewaretoken": token_one}).status_code == 403
    assert two.post("/members/-/leave/", {"csrfmiddlewaretoken": token_two}).status_code == 200
    assert one.post("/members/-/leave/", {"csrfmiddlewaretoken": token_one}).status_code == 200


@pytest.mark.django_db
def test_leaving_shows_the_gate_at_once_with_a_warm_copy(members):
    patient = granted()
    patient.get(ARTICLE)
    from_copy(patient)
    assert patient.post("/members/-/leave/").status_code == 200
    gate = patient.get(ARTICLE)
    assert gate.status_code == 403 and "Toldt" not in gate.text
    assert_private(gate)
    assert len(stored_copies()) == 1  # the copy is still there: the access check refused it


@pytest.mark.django_db
def test_a_stolen_cookie_of_a_session_that_left_gets_the_gate(members):
    patient = granted()
    patient.get(ARTICLE)
    copy = Client()
    copy.cookies["sessionid"] = patient.cookies["sessionid"].value
    from_copy(copy)
    patient.post("/members/-/leave/")
    assert copy.get(ARTICLE).status_code == 403


@pytest.mark.django_db
def test_revoke_all_by_staff_shows_the_gate_at_once(client, members, reception_user):
    patient = granted()
    patient.get(ARTICLE)
    from_copy(patient)
    client.force_login(reception_user)
    generation = passwords.current(now=now()).generation
    done = client.post("/admin/members-access/rotate/", {"grace_days": 0, "generation": generation, "confirm": "on"})
    assert done.status_code == 302 and passwords.current(now=now()).generation == generation + 1
    assert patient.get(ARTICLE).status_code == 403
    assert len(stored_copies()) == 1


@pytest.mark.django_db
def test_rotation_past_grace_shows_the_gate_at_once(members, settings):
    settings.PAGE_CACHE_SECONDS = 10**8  # the copy must outlive the days travelled
    with time_machine.travel(T0, tick=False):
        patient = granted()
        patient.get(ARTICLE)
        from_copy(patient)
    with time_machine.travel(T0 + DAY, tick=False):
        passwords.rotate_now(now=T0 + DAY, grace=2 * DAY)
        from_copy(patient)  # in grace
    with time_machine.travel(T0 + 3 * DAY, tick=False):
        assert patient.get(ARTICLE).status_code == 403
        assert len(stored_copies()) == 1


@pytest.mark.django_db
def test_automatic_rotation_and_its_grace_are_read_from_the_snapshot_by_time(members, settings):
    """No purge is needed when the password's age is reached: the snapshot holds the moments."""
    settings.PAGE_CACHE_SECONDS = settings.MEMBERS_ACCESS_CACHE_SECONDS = 10**8
    policy = MembersPolicy.load()
    policy.rotation_interval_days, policy.grace_days = 2, 1
    policy.save()
    patient = granted()
    patient.get(ARTICLE)
    row = passwords.current(now=now())
    due = passwords.valid_until(row, policy=policy)
    from_copy(patient)
    with time_machine.travel(due + datetime.timedelta(hours=1), tick=False):
        # Days later the page cache's generation has expired: one fresh render, then the copy.
        assert patient.get(ARTICLE).status_code == 200  # the snapshot saw the age reached: rotated
        from_copy(patient)  # the old generation in its grace
        assert passwords.current(now=now()).generation == row.generation + 1
    with time_machine.travel(due + DAY + datetime.timedelta(hours=1), tick=False):
        assert patient.get(ARTICLE).status_code == 403


@pytest.mark.django_db
def test_a_revoked_pass_shows_the_gate_at_once(members):
    item, code = passes.issue(label="Chart 9", valid_until=now() + 30 * DAY, now=now())
    patient = Client()
    assert enter(patient, code, ARTICLE).status_code == 302
    patient.get(ARTICLE)
    from_copy(patient)
    passes.revoke(item=item, now=now())
    assert patient.get(ARTICLE).status_code == 403


@pytest.mark.django_db
def test_a_policy_change_is_seen_at_once(members, settings):
    settings.PAGE_CACHE_SECONDS = 10**8
    with time_machine.travel(T0, tick=False):
        patient = granted()
        patient.get(ARTICLE)
        passwords.rotate_now(now=T0, grace=5 * DAY)
        from_copy(patient)  # the patient's generation is in its grace
    with time_machine.travel(T0 + 2 * DAY, tick=False):
        from_copy(patient)
        # Staff shorten the rotation interval: the current password is now past due and rotates
        # with the policy's grace of 0 days, which ends the older generations' grace too.
        policy = MembersPolicy.load()
        policy.rotation_interval_days, policy.grace_days = 1, 0
        policy.save()
        assert patient.get(ARTICLE).status_code == 403


@pytest.mark.django_db
def test_the_access_check_really_reads_the_snapshot_until_it_is_invalidated(members):
    """A change written behind the members code's back (no signal, no invalidate()) is not seen:
    proof the snapshot is used. Every writer in the members code calls invalidate()."""
    patient = granted()
    patient.get(ARTICLE)
    from_copy(patient)
    row = passwords.current(now=now())
    SharedPassword.objects.filter(pk=row.pk).update(created_at=now() - 400 * DAY)  # long past due
    from_copy(patient)
    access_state.invalidate()
    # Rebuilt: the password rotates with its grace long over, so the patient's grant ends.
    assert patient.get(ARTICLE).status_code == 403
    assert passwords.current(now=now()).generation == row.generation + 1


@pytest.mark.django_db
def test_a_publish_shows_the_new_revision_at_once(members):
    patient = granted()
    patient.get(ARTICLE)
    from_copy(patient)
    article = MembersArticlePage.objects.get(slug="toldts-fascia")
    article.body.insert(0, ("paragraph", RichText("<p>Freshly published members words</p>")))
    article.save_revision().publish()
    assert "Freshly published members words" in patient.get(ARTICLE).text
    assert "Freshly published members words" in from_copy(patient).text


@pytest.mark.django_db
def test_an_unpublished_article_is_gone_at_once(members):
    patient = granted()
    patient.get(ARTICLE)
    from_copy(patient)
    MembersArticlePage.objects.get(slug="toldts-fascia").unpublish()
    assert patient.get(ARTICLE).status_code == 404


@pytest.mark.django_db
def test_a_preview_renders_the_draft_and_leaves_nothing_behind(members, client, reception_user):
    patient = granted()
    patient.get(ARTICLE)
    article = MembersArticlePage.objects.get(slug="toldts-fascia")
    article.body.insert(0, ("paragraph", RichText("<p>Members words still in draft</p>")))
    article.save_revision()
    draft = MembersArticlePage.objects.get(pk=article.pk).get_latest_revision_as_object()
    # Previews need members access: made, as the admin makes them, with a permitted staff session.
    client.force_login(reception_user)
    admin_request = RequestFactory().get("/admin/", HTTP_COOKIE=f"sessionid={client.cookies['sessionid'].value}")
    preview = draft.make_preview_request(original_request=admin_request)
    preview.render()
    assert b"Members words still in draft" in preview.content
    assert "Members words still in draft" not in from_copy(patient).text
    assert all("Members words still in draft" not in copy.html for copy in stored_copies())


@pytest.mark.django_db
def test_signed_in_staff_never_get_or_leave_a_copy(client, members, reception_user):
    client.force_login(reception_user)
    first, second = client.get(ARTICLE), client.get(ARTICLE)
    assert first.status_code == second.status_code == 200
    assert second.templates  # rendered for them each time (the Wagtail user bar is theirs)
    assert_private(second)
    assert stored_copies() == []


@pytest.mark.django_db
def test_a_view_restriction_added_later_is_enforced_at_once(members):
    patient = granted()
    patient.get(ARTICLE)
    from_copy(patient)
    article = MembersArticlePage.objects.get(slug="toldts-fascia")
    PageViewRestriction.objects.create(page=article, restriction_type=PageViewRestriction.LOGIN)
    refused = patient.get(ARTICLE)
    assert refused.status_code == 302 and "login" in refused["Location"]
    assert patient.get(ARTICLE).status_code == 302  # and the path is not remembered again


@pytest.mark.django_db
def test_an_unknown_serve_hook_is_never_skipped(members):
    calls = []

    def audit(page, request, serve_args, serve_kwargs):
        calls.append(request.path)

    patient = granted()
    with hooks.register_temporarily("before_serve_page", audit):
        for _ in range(3):
            assert patient.get(ARTICLE).status_code == 200
        assert not page_cache.only_skippable_hooks()
    assert calls == [ARTICLE] * 3
    assert page_cache.only_skippable_hooks()


@pytest.mark.django_db
def test_without_a_grant_a_remembered_path_shows_the_gate(members):
    patient = granted()
    patient.get(ARTICLE)
    stranger = Client()
    stranger.cookies["sessionid"] = "no-such-session"
    gate = stranger.get(ARTICLE)
    assert gate.status_code == 403 and "Toldt" not in gate.text
    assert_private(gate)


@pytest.mark.django_db
def test_a_query_string_is_served_after_routing_with_the_same_copy(members):
    patient = granted()
    patient.get(ARTICLE)
    response = patient.get(ARTICLE + "?utm_source=card")
    assert response.status_code == 200 and response.templates == []
    assert len(stored_copies()) == 1


@pytest.mark.django_db
def test_production_without_redis_reads_sessions_through_a_shared_file_cache(members, settings, tmp_path):
    """`make serve`: workers share the session cache (files), so leaving counts on every worker,
    and a members page from its copy runs no query at all."""
    settings.CACHES = {
        **settings.CACHES,
        "sessions": {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache", "LOCATION": str(tmp_path)},
    }
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
    settings.SESSION_CACHE_ALIAS = "sessions"
    patient = granted()
    patient.get(ARTICLE)
    with CaptureQueriesContext(connection) as queries:
        from_copy(patient)
    assert queries.captured_queries == []
    other_worker = Client()
    other_worker.cookies["sessionid"] = patient.cookies["sessionid"].value
    from_copy(other_worker)
    patient.post("/members/-/leave/")
    assert other_worker.get(ARTICLE).status_code == 403


def test_production_without_redis_configures_database_sessions_read_through_shared_files(tmp_path):
    from clinic.tests.test_settings import DEPLOYMENT, setting

    env = {**DEPLOYMENT, "SESSION_CACHE_DIR": str(tmp_path / "sessions")}
    assert setting("SESSION_ENGINE", tmp_path, **env) == "django.contrib.sessions.backends.cached_db"
    alias = setting("SESSION_CACHE_ALIAS", tmp_path, **env)
    sessions = setting("CACHES", tmp_path, **env)[alias]
    assert sessions["BACKEND"] == "django.core.cache.backends.filebased.FileBasedCache"
    assert sessions["LOCATION"] == str(tmp_path / "sessions")


@pytest.mark.django_db
def test_a_clinic_settings_change_shows_at_once_on_every_copy(members):
    """Same page, same revision, new footer: the path's entry names the new copy, so no process
    keeps serving the one it has already read."""
    from wagtail.models import Site

    from pages.models import ClinicSettings

    patient = granted()
    patient.get(ARTICLE)
    assert "Call 999" in from_copy(patient).text
    assert "Call 999" in from_copy(patient).text
    clinic = ClinicSettings.for_site(Site.objects.get(is_default_site=True))
    clinic.emergency_number = "112"
    clinic.save()
    assert "Call 112" in patient.get(ARTICLE).text
    assert "Call 112" in from_copy(patient).text


@pytest.mark.django_db
def test_with_a_cache_that_keeps_nothing_access_is_checked_in_the_database(members, settings):
    """Like a Redis outage (the page cache alias fails open): no snapshot is kept, in the shared
    cache or in this process, and revocation still counts at once."""
    settings.CACHES = {**settings.CACHES, "pages": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    patient = granted()
    assert patient.get(ARTICLE).status_code == 200
    assert patient.get(ARTICLE).templates  # nothing stored: rendered again
    passwords.rotate_now(now=now(), grace=datetime.timedelta(0))
    assert patient.get(ARTICLE).status_code == 403


@pytest.mark.django_db
def test_a_copy_rendered_before_a_publish_is_never_served_after_it(members, monkeypatch):
    """A request renders the old article; another publishes (and purges) before the first one
    stores its copy and path entry. Neither may answer any request after the publish."""
    patient = granted()
    article = MembersArticlePage.objects.get(slug="toldts-fascia")
    render = page_cache._render

    def render_then_someone_publishes(request, render_page):
        rendered = render(request, render_page)
        fresh = MembersArticlePage.objects.get(pk=article.pk)
        fresh.title = "Published while the old copy was being stored"
        fresh.save_revision().publish()
        return rendered

    monkeypatch.setattr(page_cache, "_render", render_then_someone_publishes)
    old = patient.get(ARTICLE)
    assert "Clinical relevance of Toldt" in old.text
    monkeypatch.setattr(page_cache, "_render", render)
    for _ in range(3):  # routing, then the path entry (the middleware), then again
        answer = patient.get(ARTICLE)
        assert "Published while the old copy was being stored" in answer.text
