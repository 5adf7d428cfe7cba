"""The members area's page types, and (re-exported from access_models.py) what the gate keeps.

No model here stores a raw IP address or a password in clear: passwords are argon2-hashed
for checking, with an encrypted copy only so permitted staff can read them out.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel, HelpPanel
from wagtail.fields import StreamField
from wagtail.models import Page
from wagtail.url_routing import RouteResult

from caching.entries import lookup_or_build

from .access import may_see

# Django finds models through this module; the gate's own modules import access_models directly.
from .access_models import DailyAccessCount, MembersPolicy, PatientPass, SharedPassword  # noqa: F401
from .blocks import MembersArticleStreamBlock
from .page_cache import serve_page

DEMO_SUFFIX = _("demo content — replace")


class MembersPageMixin:
    """Shared by every page in the members area: kept out of search, sitemaps and public caches."""

    @classmethod
    def get_indexed_objects(cls):
        # Nothing from the members area goes into the site search index, not even titles.
        return cls.objects.none()

    def get_sitemap_urls(self, request=None):
        return []

    def get_admin_display_title(self):
        title = super().get_admin_display_title()
        if getattr(self, "is_demo_content", False):
            return f"{title} ({DEMO_SUFFIX})"
        return title

    def permissions_for_user(self, user):
        from .admin_permissions import MembersPagePermissionTester

        # Page rights alone do not open a members page in the admin (edit, preview, drafts, revisions).
        return MembersPagePermissionTester(user, self)

    def serve_preview(self, request, mode_name):
        from django.core.exceptions import PermissionDenied

        from .access import staff_may_see

        # Every admin preview ends here (edit, view draft, revisions, a moderator's workflow preview).
        if not staff_may_see(getattr(request, "user", None)):
            raise PermissionDenied
        return super().serve_preview(request, mode_name)

    def serve(self, request, *args, **kwargs):
        # The before_serve_page hook has already refused sessions without access; the page is
        # the same for every member, so it comes from the stored copy (members/page_cache.py).
        return serve_page(self, request, lambda: super(MembersPageMixin, self).serve(request, *args, **kwargs))


DEMO_HELP = _(
    "Ticked on the demo pages that ship with the site. The clinic replaces their text with its own, "
    "then clears this box."
)


class MembersAreaPage(MembersPageMixin, Page):
    """The members area's front page (normally /members/); everything below it needs access."""

    intro = models.TextField(
        _("introduction"),
        blank=True,
        help_text=_("Shown to patients who have entered the members area."),
    )
    is_demo_content = models.BooleanField(_("demo content — replace"), default=False, help_text=DEMO_HELP)

    content_panels = Page.content_panels + [FieldPanel("intro")]
    settings_panels = Page.settings_panels + [FieldPanel("is_demo_content")]
    search_fields = []

    parent_page_types = ["pages.HomePage"]
    subpage_types = ["members.MembersArticlePage"]

    class Meta:
        verbose_name = _("members area")

    def route(self, request, path_components):
        if path_components and not may_see(request):
            # Without access, known and unknown addresses below the area look the same
            # (the gate), so nobody can probe which article slugs exist.
            return RouteResult(self)
        return super().route(request, path_components)

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["articles"] = MembersArticlePage.objects.child_of(self).live().specific()
        return context


class MembersArticlePage(MembersPageMixin, Page):
    """A members-only article. Its images and documents must live in the "Members only" collection."""

    summary = models.CharField(_("summary"), max_length=300, blank=True)
    body = StreamField(MembersArticleStreamBlock(), verbose_name=_("body"))
    is_demo_content = models.BooleanField(_("demo content — replace"), default=False, help_text=DEMO_HELP)

    content_panels = Page.content_panels + [
        HelpPanel(
            content=_(
                "Only patients with the members password or a personal pass can read this page. "
                "Images and documents used here must be in the “Members only” collection."
            )
        ),
        FieldPanel("summary"),
        FieldPanel("body"),
    ]
    promote_panels = [FieldPanel("slug")]
    settings_panels = Page.settings_panels + [FieldPanel("is_demo_content")]
    search_fields = []

    parent_page_types = ["members.MembersAreaPage"]
    subpage_types = []

    class Meta:
        verbose_name = _("members article")


def is_members_page(page) -> bool:
    """Is this page a members area or anywhere below one?

    Other page types are kept per tree path in the page cache (caching.entries), which every
    page move or delete, and the creation of a members area, purges at once (pages/receivers.py)."""
    if isinstance(page, MembersPageMixin):
        return True  # by its type: no query (any other type is checked by where it is)
    return lookup_or_build(f"members-page:{page.path}", lambda: _is_members_page(page))


def _is_members_page(page) -> bool:
    steplen = page.steplen
    ancestor_paths = [page.path[:end] for end in range(steplen, len(page.path) + 1, steplen)]
    return MembersAreaPage.objects.filter(path__in=ancestor_paths).exists()
