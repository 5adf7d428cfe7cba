"""Show, rotate or re-encrypt the members password. The password is printed on the LAST line."""

import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from wagtail.log_actions import log

from members import passes, passwords
from members.models import DailyAccessCount, MembersPolicy


class Command(BaseCommand):
    help = (
        "Print the current members password on the last line (rotating first if it is due). "
        "--rotate makes a new one now; --status shows validity, grace and counts; "
        "--reencrypt rewrites the stored copies under the newest MEMBERS_ENCRYPTION_KEYS key."
    )

    def add_arguments(self, parser):
        action = parser.add_mutually_exclusive_group()
        action.add_argument("--rotate", action="store_true", help="Make a new password now.")
        action.add_argument("--status", action="store_true", help="Show validity, grace and counts.")
        action.add_argument("--reencrypt", action="store_true", help="Re-encrypt stored copies with the newest key.")
        parser.add_argument(
            "--grace-days",
            type=int,
            default=None,
            help="With --rotate: how many days the old password keeps working (default: the policy's; 0 = none).",
        )

    def handle(self, *args, rotate=False, status=False, reencrypt=False, grace_days=None, **options):
        now = timezone.now()
        if grace_days is not None and not rotate:
            raise CommandError("--grace-days only goes with --rotate.")
        if grace_days is not None and not 0 <= grace_days <= 90:
            raise CommandError("--grace-days must be between 0 and 90.")
        if reencrypt:
            result = passwords.reencrypt_all()
            self.stdout.write(f"Re-encrypted {result.rewritten} stored secret(s) with the newest key.")
            if result.unreadable:
                self.stdout.write(
                    f"{result.unreadable} stored cop(ies) cannot be read with the current keys and were left as "
                    "they are: put the old key back after the new one in MEMBERS_ENCRYPTION_KEYS and run this "
                    "again, or rotate the password (--rotate) and reissue any pass whose card cannot be printed."
                )
            return
        policy = MembersPolicy.load()
        if rotate:
            grace = datetime.timedelta(days=policy.grace_days if grace_days is None else grace_days)
            result = passwords.rotate_now(now=now, grace=grace)
            if result.rotated:
                log(
                    instance=result.password,
                    action="members.rotate_password",
                    data={"generation": result.password.generation, "grace_days": grace.days, "via": "command"},
                )
            self.stdout.write(
                f"Rotated: generation {result.password.generation}; "
                f"the old password works for {grace.days} more day(s)."
            )
        row = passwords.current(now=now)
        if status:
            until = passwords.valid_until(row, policy=policy)
            local = timezone.localtime
            self.stdout.write(f"Generation: {row.generation}")
            self.stdout.write(
                f"Valid until: {local(until):%Y-%m-%d %H:%M %Z} ({max((until - now).days, 0)} day(s) left)"
            )
            self.stdout.write(
                f"Policy: rotate every {policy.rotation_interval_days} day(s), grace {policy.grace_days} day(s)"
            )
            for old in passwords.accepted(now=now)[1:]:
                self.stdout.write(
                    f"Previous generation {old.generation} accepted until {local(old.grace_until):%Y-%m-%d %H:%M %Z}"
                )
            self.stdout.write(f"Active personal passes: {passes.active(now=now).count()}")
            today = DailyAccessCount.objects.filter(date=timezone.localdate()).first()
            if today:
                self.stdout.write(
                    f"Today: {today.entries} entries, {today.failures} failures, {today.throttled} throttled"
                )
        try:
            plain = passwords.decrypt(row.password_encrypted)
        except passwords.UnreadableCopy:
            # A plain explanation and the way out, not a cryptography traceback (exit status 1).
            raise CommandError(
                f"{passwords.UNREADABLE_EXPLANATION} Rotate now with: manage.py members_password --rotate "
                "(the current password keeps working for the policy's grace days; --grace-days 0 ends it at once)."
            ) from None
        self.stdout.write(plain)
