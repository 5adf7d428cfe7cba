"""The invalidation registry: each declaration connected once, one save running each action once."""

from unittest import mock

import pytest
from django.db.models.signals import post_save
from wagtail.models import Page, PageViewRestriction

from caching import invalidation
from caching.invalidation import NEW_ACCESS_VERSION, PURGE_PAGES, stale_on
from members import receivers as members_receivers
from members.models import MembersPolicy
from pages import receivers as pages_receivers


@pytest.fixture
def counted():
    calls = {PURGE_PAGES: 0, NEW_ACCESS_VERSION: 0}

    def counter(action):
        def count():
            calls[action] += 1

        return count

    with mock.patch.dict(invalidation._ACTIONS, {action: counter(action) for action in calls}):
        yield calls


@pytest.mark.django_db
def test_a_view_restriction_two_apps_declared_purges_once(counted, demo_content):
    # pages and members both declare view restrictions stale-making (each for its own reason).
    declared = invalidation.declared()[(post_save, PageViewRestriction)]
    assert declared == [PURGE_PAGES]
    counted[PURGE_PAGES] = 0
    PageViewRestriction.objects.create(page=Page.objects.get(slug="sciatica"), restriction_type="login")
    assert counted == {PURGE_PAGES: 1, NEW_ACCESS_VERSION: 0}


@pytest.mark.django_db
def test_a_policy_change_gives_a_new_access_version_and_no_purge(counted):
    policy = MembersPolicy.objects.first() or MembersPolicy.objects.create()
    counted[NEW_ACCESS_VERSION] = 0
    policy.save()
    assert counted == {PURGE_PAGES: 0, NEW_ACCESS_VERSION: 1}


@pytest.mark.django_db
def test_declaring_again_connects_nothing_more(counted, demo_content):
    pages_receivers.declare()
    members_receivers.declare()
    receivers_before = len(post_save.receivers)
    pages_receivers.declare()
    members_receivers.declare()
    assert len(post_save.receivers) == receivers_before
    page = Page.objects.get(slug="sciatica").specific
    counted[PURGE_PAGES] = 0
    page.save_revision().publish()
    assert counted[PURGE_PAGES] == 1


def test_an_unknown_action_is_refused():
    with pytest.raises(ValueError, match="unknown action"):
        stale_on(post_save, action="flush everything")
