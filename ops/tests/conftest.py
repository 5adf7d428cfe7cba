import shutil

import pytest
from django.db import connection


@pytest.fixture
def backups_possible():
    if connection.vendor == "postgresql" and not all(shutil.which(tool) for tool in ("pg_dump", "pg_restore", "psql")):
        pytest.skip("pg_dump, pg_restore and psql are needed (apt-get install postgresql-client)")
