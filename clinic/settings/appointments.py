"""Appointments: the outbox worker and API limits."""

import os

# ---- appointments ----
# The outbox worker (`manage.py outbox_worker`) retries failed mail with exponential backoff and
# re-queues tasks a killed worker left running for longer than the lease.
OUTBOX_MAX_ATTEMPTS = int(os.environ.get("OUTBOX_MAX_ATTEMPTS", "10"))
OUTBOX_BACKOFF_SECONDS = int(os.environ.get("OUTBOX_BACKOFF_SECONDS", "30"))
OUTBOX_LEASE_SECONDS = int(os.environ.get("OUTBOX_LEASE_SECONDS", "600"))
# Per client address and minute.
APPOINTMENTS_API_READS_PER_MINUTE = int(os.environ.get("APPOINTMENTS_API_READS_PER_MINUTE", "120"))
APPOINTMENTS_API_BOOKINGS_PER_MINUTE = int(os.environ.get("APPOINTMENTS_API_BOOKINGS_PER_MINUTE", "10"))
# The most waitlist offers one patient (email address) is sent in 24 hours.
WAITLIST_OFFERS_PER_DAY = int(os.environ.get("WAITLIST_OFFERS_PER_DAY", "3"))
