"""Clear the page cache alias: whole pages, fragments, settings, site and menu entries.

Run at every deploy (scripts/serve.sh does): the alias holds pickled model instances, which a
new release's models may no longer match.
"""

from django.core.management.base import BaseCommand

from caching.purge import purge_page_cache


class Command(BaseCommand):
    help = "Clear the page cache (run at every deploy)."

    def handle(self, *args, **options):
        purge_page_cache()
        self.stdout.write("Page cache cleared.")
