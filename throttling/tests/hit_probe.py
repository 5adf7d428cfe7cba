"""Hits one limit from this OS process; run twice at once by test_shared_store.py.

    SQLITE_PATH=/tmp/x.sqlite3 DJANGO_SETTINGS_MODULE=clinic.settings.test \
        python -m throttling.tests.hit_probe migrate
    ... python -m throttling.tests.hit_probe hit HITS START_AT SCOPE

Prints one JSON line: how many of its hits were allowed and which store counted them.
"""

import json
import sys
import time

LIMIT = 10
CLIENT = "203.0.113.10"

if __name__ == "__main__":
    import django

    django.setup()
    from django.db import connection

    from throttling.limits import Limit
    from throttling.stores import FailSafeStore

    if sys.argv[1] == "migrate":
        # Only the counter table: the other apps' post-migrate set-up needs their tables too.
        from throttling.models import Counter

        with connection.schema_editor() as editor:
            editor.create_model(Counter)
        sys.exit(0)
    hits, start_at, scope = int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
    limit = Limit(scope, limit=LIMIT, seconds=600)
    time.sleep(max(start_at - time.time(), 0))  # both processes start together
    allowed = sum(limit.hit(CLIENT).allowed for _ in range(hits))
    print(json.dumps({"allowed": allowed, "store": type(FailSafeStore().store).__name__}))
