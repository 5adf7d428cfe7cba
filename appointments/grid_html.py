"""The grid's body as HTML, built in Python: a day of ten practitioners is some 500 cells, and the
template language spent most of the view's time on them (a translation look-up per cell)."""

from __future__ import annotations

from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from .day_grid import Cell, Row


def session_of(appointment) -> str:
    """ "session 2 of 6" for a course of care, else nothing."""
    if not appointment.series_total:
        return ""
    return _("session %(number)s of %(total)s") % {
        "number": appointment.series_number,
        "total": appointment.series_total,
    }


def _booked(cell: Cell, tz) -> SafeString:
    return mark_safe(  # noqa: S308 - every part below is built by format_html, which escapes
        "<br>".join(
            format_html(
                '<a href="{0}">{1}–{2} {3}</a><br>{4}{5} · {6} · <a href="{0}">{7}</a>',
                url,
                f"{a.start.astimezone(tz):%H:%M}",
                f"{a.end.astimezone(tz):%H:%M}",
                a.name,
                a.service.name,
                f" ({session_of(a)})" if a.series_total else "",
                a.get_status_display(),
                a.reference,
            )
            for a, url in ((a, reverse("appointments_admin:detail", args=[a.pk])) for a in cell.appointments)
        )
    )


def tbody(rows: list[Row], tz) -> SafeString:
    words = {
        "book": _("Book"),
        "free": format_html('<span class="grid-note">{}</span>', _("Free")),
        "away": format_html('<span class="grid-note">{}</span>', _("Time off")),
        "closed": format_html('<span class="grid-note">{}</span>', _("Closed")),
        "off": format_html('<span class="grid-note">{}</span>', _("Not working")),
    }

    def cell_html(cell: Cell) -> SafeString:
        if cell.kind == "booked":
            inner = _booked(cell, tz)
        elif cell.kind == "free" and cell.book_href:
            inner = format_html('<a href="{}" aria-label="{}">{}</a>', cell.book_href, cell.book_label, words["book"])
        else:
            inner = words[cell.kind]
        span = format_html(' rowspan="{}"', cell.rowspan) if cell.rowspan > 1 else ""
        return format_html('<td{} class="grid-{}">{}</td>', span, cell.kind, inner)

    return format_html_join(
        "\n",
        '<tr><th scope="row">{}</th>{}</tr>',
        (
            (row.label, mark_safe("".join(cell_html(c) for c in row.cells if c is not None)))  # noqa: S308
            for row in rows
        ),
    )
