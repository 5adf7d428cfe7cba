from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from staff_security.dev_account import EMAIL, PASSWORD, USERNAME


class Command(BaseCommand):
    help = "Create the local development admin account (DEBUG only) and print how to log in."

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError("ensure_dev_admin only runs with DEBUG on (development settings).")
        User = get_user_model()
        if not User.objects.filter(username=USERNAME).exists():
            User.objects.create_superuser(USERNAME, EMAIL, PASSWORD)
            self.stdout.write("Created the development admin account.")
        self.stdout.write(f"Staff admin: {settings.SITE_URL}/admin/  user: {USERNAME}  password: {PASSWORD}")
