from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from wagtail.log_actions import log

from staff_security import enrolment
from staff_security.accounts import account_named
from staff_security.two_factor import has_confirmed_device

from .staff_2fa_reset import write_code


class Command(BaseCommand):
    help = (
        "Print a one-time code with which a new staff account sets up two-factor authentication "
        "(the first administrator after createsuperuser, or any colleague). The code is printed on the last line."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username, **options):
        user = account_named(username)
        if has_confirmed_device(user=user):
            raise CommandError(
                f"{username} already has an authenticator app. For a lost or new phone use: "
                f"manage.py staff_2fa_reset {username}"
            )
        issued = enrolment.issue(user=user, now=timezone.now())
        log(instance=user, action="staff_security.issue_enrolment_code", data={"via": "command"})
        write_code(self.stdout, username=username, issued=issued)
