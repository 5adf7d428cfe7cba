from django.core.management.base import BaseCommand
from django.utils import timezone
from wagtail.log_actions import log

from staff_security import enrolment
from staff_security.accounts import account_named
from staff_security.two_factor import reset_devices


class Command(BaseCommand):
    help = (
        "Remove a staff user's two-factor devices (lost phone) and print a one-time enrolment code "
        "that they need, with their password, to set up the new phone."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username, **options):
        user = account_named(username)
        removed = reset_devices(user=user)
        issued = enrolment.issue(user=user, now=timezone.now())
        log(instance=user, action="staff_security.reset_two_factor", data={"devices": removed, "via": "command"})
        self.stdout.write(f"Removed {removed} device(s) for {username}.")
        write_code(self.stdout, username=username, issued=issued)


def write_code(out, *, username: str, issued: enrolment.Issued) -> None:
    until = timezone.localtime(issued.expires_at)
    out.write(
        f"Give {username} this one-time enrolment code in person or by phone (not in the same message as the "
        f"password). It works once, only for {username}, until {until:%Y-%m-%d %H:%M %Z}:"
    )
    out.write(issued.code)
