from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils.module_loading import import_string


class Command(BaseCommand):
    help = "Load the demo content of every app. Safe to run again: it never overwrites edits."

    def handle(self, *args, **options):
        for dotted_path in settings.DEMO_CONTENT_LOADERS:
            import_string(dotted_path)(log=self.stdout.write)
        self.stdout.write(self.style.SUCCESS("Demo content is in place."))
