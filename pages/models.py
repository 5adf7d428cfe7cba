"""Public content: the home page, condition articles, plain pages and clinic-wide settings."""

import zoneinfo

from django.conf import settings
from django.contrib.contenttypes.fields import GenericRelation
from django.core.validators import MaxValueValidator
from django.db import models
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey
from modelcluster.models import ClusterableModel
from wagtail.admin.panels import FieldPanel, FieldRowPanel, InlinePanel, MultiFieldPanel
from wagtail.contrib.settings.models import BaseSiteSetting, register_setting
from wagtail.fields import RichTextField, StreamField
from wagtail.models import (
    DraftStateMixin,
    Orderable,
    Page,
    PageViewRestriction,
    PreviewableMixin,
    RevisionMixin,
    Site,
)
from wagtail.search import index
from wagtail.snippets.models import register_snippet
from wagtail.url_routing import RouteResult

from caching.entries import keep, lookup, lookup_or_build, own_copy

from .blocks import ArticleStreamBlock, NoticeStreamBlock
from .fragments import is_preview
from .structured_data import medical_clinic, medical_web_page

WEEKDAYS = [
    (0, _("Monday")),
    (1, _("Tuesday")),
    (2, _("Wednesday")),
    (3, _("Thursday")),
    (4, _("Friday")),
    (5, _("Saturday")),
    (6, _("Sunday")),
]
SCHEMA_DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


@register_snippet
class Notice(PreviewableMixin, DraftStateMixin, RevisionMixin, models.Model):
    """A reusable block of text, such as the "Important Notes" disclaimer, edited once.

    It is part of every article that shows it, so it is edited as pages are: a save is a draft
    (previewed as an article shows it) until it is published, and every version is kept. Pages
    show the published text only, and nothing of a notice that has never been published.
    """

    title = models.CharField(_("title"), max_length=200)
    body = StreamField(NoticeStreamBlock(), verbose_name=_("body"))
    _revisions = GenericRelation("wagtailcore.Revision", related_query_name="notice")

    panels = [FieldPanel("title"), FieldPanel("body")]

    class Meta:
        verbose_name = _("notice")
        verbose_name_plural = _("notices")

    def __str__(self):
        return self.title

    @property
    def revisions(self):
        return self._revisions

    def get_preview_template(self, request, mode_name):
        return "pages/notice_preview.html"


def time_zone_choices():
    return [(name, name) for name in sorted(zoneinfo.available_timezones())]


@register_setting(icon="home")
class ClinicSettings(ClusterableModel, BaseSiteSetting):
    """Who the clinic is and how to reach it; feeds the footer, contact details and JSON-LD."""

    name = models.CharField(_("clinic name"), max_length=200, default="Clinic")
    street_address = models.CharField(_("street address"), max_length=200, blank=True)
    locality = models.CharField(_("town or city"), max_length=100, blank=True)
    postal_code = models.CharField(_("postcode"), max_length=20, blank=True)
    region = models.CharField(_("region"), max_length=100, blank=True)
    country = models.CharField(_("country code"), max_length=2, blank=True, help_text=_("Two letters, e.g. GB."))
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    email = models.EmailField(_("email"), blank=True)
    emergency_number = models.CharField(
        _("emergency number"),
        max_length=20,
        default="999",
        help_text=_("The local emergency telephone number, shown on every urgent-care card."),
    )
    time_zone = models.CharField(_("time zone"), max_length=64, default="Europe/London", choices=time_zone_choices)
    important_notes = models.ForeignKey(
        Notice,
        verbose_name=_("notes on every condition page"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("The disclaimer shown at the end of every condition page and members article."),
    )
    # "What happens next" on the booking confirmation and in its email; each line is left out when blank.
    arrive_minutes_before = models.PositiveSmallIntegerField(
        _("ask patients to arrive (minutes before)"),
        null=True,
        blank=True,
        validators=[MaxValueValidator(120)],
        help_text=_("Leave empty to say nothing about arriving early."),
    )
    nearest_station = models.CharField(
        _("nearest station or stop"), max_length=200, blank=True, help_text=_("E.g. the station and the walk from it.")
    )
    parking = models.CharField(_("parking"), max_length=300, blank=True)
    map_url = models.URLField(
        _("map link"),
        blank=True,
        help_text=_("A link to the clinic on a map service, opened in the patient's browser."),
    )

    panels = [
        FieldPanel("name"),
        MultiFieldPanel(
            [
                FieldPanel("street_address"),
                FieldRowPanel([FieldPanel("locality"), FieldPanel("postal_code")]),
                FieldRowPanel([FieldPanel("region"), FieldPanel("country")]),
            ],
            heading=_("Address"),
        ),
        FieldRowPanel([FieldPanel("phone"), FieldPanel("email")]),
        FieldRowPanel([FieldPanel("emergency_number"), FieldPanel("time_zone")]),
        FieldPanel("important_notes"),
        MultiFieldPanel(
            [
                FieldPanel("arrive_minutes_before"),
                FieldPanel("nearest_station"),
                FieldPanel("parking"),
                FieldPanel("map_url"),
            ],
            heading=_("Getting here (shown to patients after they book)"),
        ),
        InlinePanel("opening_hours", heading=_("Opening hours"), label=_("Opening hours")),
    ]

    class Meta:
        verbose_name = _("clinic settings")

    def __str__(self):
        return self.name

    @classmethod
    def for_request(cls, request):
        """Public pages read the settings from the page cache alias, which every save of the
        settings, their opening hours or a notice clears; the admin always reads the database."""
        attr_name = cls.get_cache_attr_name()
        if hasattr(request, attr_name):
            return getattr(request, attr_name)
        site = Site.find_for_request(request)
        if site is None or request.path_info.startswith(settings.ADMIN_PATH_PREFIXES):
            return super().for_request(request)
        instance = lookup_or_build(
            f"clinic-settings:{site.pk}",
            lambda: (
                cls.objects.select_related("important_notes")
                .prefetch_related("opening_hours")
                .get(pk=cls.for_site(site).pk)
            ),
        )
        # Each request its own copy: the instance remembers its request (for page URLs).
        instance = own_copy(instance)
        instance._request = request
        setattr(request, attr_name, instance)
        return instance

    @property
    def address_lines(self) -> list[str]:
        parts = [self.street_address, " ".join(p for p in (self.locality, self.postal_code) if p), self.region]
        return [p for p in parts if p]


class OpeningHours(Orderable):
    settings = ParentalKey(ClinicSettings, on_delete=models.CASCADE, related_name="opening_hours")
    weekday = models.PositiveSmallIntegerField(_("day"), choices=WEEKDAYS)
    opens = models.TimeField(_("opens"))
    closes = models.TimeField(_("closes"))

    panels = [FieldRowPanel([FieldPanel("weekday"), FieldPanel("opens"), FieldPanel("closes")])]

    class Meta(Orderable.Meta):
        verbose_name = _("opening hours")
        verbose_name_plural = _("opening hours")

    def __str__(self):
        return f"{self.get_weekday_display()} {self.opens:%H:%M}–{self.closes:%H:%M}"

    @property
    def schema_day(self) -> str:
        return SCHEMA_DAYS[self.weekday]


class CachedViewRestrictionsMixin:
    """Wagtail checks a page's view restrictions on every serve (two queries: the ancestors, then
    their restrictions). Within one page cache generation the list comes from memory; saving or
    deleting any view restriction, and every page move or delete, purges it (pages/signals.py)."""

    def get_view_restrictions(self):
        restrictions = lookup_or_build(
            f"view-restrictions:{self.pk}:{self.path}",
            lambda: list(super(CachedViewRestrictionsMixin, self).get_view_restrictions()),
        )
        # Still a queryset for the admin's callers (order_by, exists), already evaluated; its filter
        # is deferred (as Django's related managers do) so serving a page never builds the SQL.
        queryset = PageViewRestriction.objects.all()
        queryset._defer_next_filter = True
        queryset = queryset.filter(pk__in=[restriction.pk for restriction in restrictions])
        queryset._result_cache = list(restrictions)
        queryset._prefetch_done = True
        return queryset


class HomePage(CachedViewRestrictionsMixin, Page):
    intro = RichTextField(_("introduction"), features=["bold", "italic", "link"], blank=True)
    body = StreamField(ArticleStreamBlock(), blank=True, verbose_name=_("body"))

    content_panels = Page.content_panels + [FieldPanel("intro"), FieldPanel("body")]
    search_fields = Page.search_fields + [index.SearchField("intro")]

    max_count = 1
    parent_page_types = ["wagtailcore.Page"]

    class Meta:
        verbose_name = _("home page")

    def route(self, request, path_components):
        """Public articles one level down come from the page cache alias (cleared on every
        publish, unpublish, move, slug change or delete) instead of two queries. Wagtail's
        before_serve_page hooks (members gate, view restrictions) still run on every request."""
        if not path_components and self.live and not is_preview(request):
            # This instance came with the cached site and is shared: serve a copy of it.
            return RouteResult(own_copy(self))
        if len(path_components) != 1 or is_preview(request):
            return super().route(request, path_components)
        key = f"route:{self.pk}:{path_components[0]}"
        page = lookup(key)
        if page is not None:
            # Each request its own copy of the page, as a fresh query would give.
            return RouteResult(own_copy(page))
        result = super().route(request, path_components)
        if type(result.page) in (ConditionPage, StandardPage) and not result.args and not result.kwargs:
            keep(key, own_copy(result.page))
        return result

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        # Lazy: built only when the cached head fragment is missing.
        context["structured_data"] = SimpleLazyObject(
            lambda: [medical_clinic(ClinicSettings.for_request(request), self.get_full_url(request))]
        )
        context["conditions"] = ConditionPage.objects.child_of(self).live().public().specific().order_by("title")
        return context


class ConditionPage(CachedViewRestrictionsMixin, Page):
    """A health article about one condition, with review dates the page shows once set."""

    summary = models.CharField(
        _("summary"),
        max_length=300,
        help_text=_("One sentence under the title; also the description for search engines."),
    )
    body = StreamField(ArticleStreamBlock(), verbose_name=_("body"))
    last_reviewed = models.DateField(_("last reviewed"), null=True, blank=True)
    next_review = models.DateField(_("next review due"), null=True, blank=True)
    reviewed_by = models.CharField(
        _("reviewed by"),
        max_length=200,
        blank=True,
        help_text=_("Name and role of the clinician who reviewed this page. Leave empty until someone has."),
    )

    content_panels = Page.content_panels + [
        FieldPanel("summary"),
        FieldPanel("body"),
        MultiFieldPanel(
            [FieldRowPanel([FieldPanel("last_reviewed"), FieldPanel("next_review")]), FieldPanel("reviewed_by")],
            heading=_("Clinical review"),
        ),
    ]
    search_fields = Page.search_fields + [index.SearchField("summary"), index.SearchField("body")]

    parent_page_types = ["pages.HomePage"]
    subpage_types = []
    og_type = "article"

    class Meta:
        verbose_name = _("condition page")

    def get_meta_description(self) -> str:
        return self.search_description or self.summary

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["structured_data"] = SimpleLazyObject(
            lambda: [medical_web_page(self, ClinicSettings.for_request(request), self.get_full_url(request))]
        )
        return context


class StandardPage(CachedViewRestrictionsMixin, Page):
    """A plain page: privacy notice, about the clinic, terms."""

    summary = models.CharField(_("summary"), max_length=300, blank=True)
    body = StreamField(ArticleStreamBlock(), verbose_name=_("body"))

    content_panels = Page.content_panels + [FieldPanel("summary"), FieldPanel("body")]
    search_fields = Page.search_fields + [index.SearchField("summary"), index.SearchField("body")]

    parent_page_types = ["pages.HomePage", "pages.StandardPage"]

    class Meta:
        verbose_name = _("standard page")

    def get_meta_description(self) -> str:
        return self.search_description or self.summary
