from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from staff_security.two_factor import reset_devices


class Command(BaseCommand):
    help = "Remove a staff user's two-factor devices (lost phone); they enrol again at their next sign-in."

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username, **options):
        user_model = get_user_model()
        try:
            user = user_model.objects.get(**{user_model.USERNAME_FIELD: username})
        except user_model.DoesNotExist as error:
            raise CommandError(f"No user named {username!r}.") from error
        removed = reset_devices(user=user)
        self.stdout.write(f"Removed {removed} device(s) for {username}; they will enrol at their next sign-in.")
