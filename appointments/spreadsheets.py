"""CSV exports staff open in a spreadsheet: a cell a patient wrote must never run as a formula."""

from wagtail.contrib.forms.views import SubmissionsListView

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value):
    """A leading =, +, -, @ (or tab / carriage return) would run as a formula in a spreadsheet."""
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else value


class SafeCsvExportMixin:
    """For Wagtail's SpreadsheetExportMixin views (the appointments list, contact form submissions)."""

    def preprocess_field_value(self, field, value, export_format):
        value = super().preprocess_field_value(field, value, export_format)
        return csv_cell(value) if export_format == self.FORMAT_CSV and isinstance(value, str) else value


class ContactSubmissionsListView(SafeCsvExportMixin, SubmissionsListView):
    """The contact page's submissions: messages are typed by the public."""
