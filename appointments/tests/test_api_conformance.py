"""The OpenAPI document agrees with the API: schemathesis with all its checks, and redocly's lint."""

import json
import shutil
import subprocess  # nosec B404 - runs npx with fixed arguments
import time

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings

from appointments.api import api
from appointments.models import Appointment

pytestmark = pytest.mark.usefixtures("frozen", "api_under_test")

# The document as /api/v1/openapi.json serves it (fetching it here would need the database at import).
schema = schemathesis.openapi.from_dict(api.get_openapi_schema())
schema.app = get_wsgi_application()
# A request the schema allows may still be refused by the clinic's rules (an unknown service, a
# time that is not offered): 400, and only for those fields (refused_only_by_the_clinics_rules).
schema.config.checks.positive_data_acceptance.expected_statuses = ["2xx", "400", "409", "429"]
RULE_FIELDS = {"service", "practitioner", "start", "from", "to"}


def refused_only_by_the_clinics_rules(ctx, response, case):
    """A well-formed request is never refused for its form (that would be a 422 the schema hides)."""
    if case.meta is not None and case.meta.generation.mode.is_positive and response.status_code == 400:
        fields = set(response.json().get("errors", {}))
        assert fields and fields <= RULE_FIELDS, f"refused for {fields - RULE_FIELDS or 'no field'}"


@pytest.fixture
def api_under_test(clinic, settings):
    settings.APPOINTMENTS_API_BOOKINGS_PER_MINUTE = 10_000
    settings.APPOINTMENTS_API_READS_PER_MINUTE = 10_000
    # Through the real WSGI handler, which would close the test's database connection after
    # each request (Django's test client disconnects this signal the same way).
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), database=None)
def test_schemathesis_all_checks(case):
    """Examples, coverage and fuzzing phases, valid and invalid data; every built-in check."""
    # The WSGI transport does not undo gzip as an HTTP client would: ask for the plain body.
    case.call_and_validate(
        headers={"Accept-Encoding": "identity"}, additional_checks=[refused_only_by_the_clinics_rules]
    )


def test_the_documented_example_books(client):
    """Schemathesis's examples phase sends these; they must make a booking, not only a refusal."""
    properties = api.get_openapi_schema()["components"]["schemas"]["BookingIn"]["properties"]
    example = {name: spec["examples"][0] for name, spec in properties.items() if spec.get("examples")}
    example["consent"] = properties["consent"]["const"]
    response = client.post("/api/v1/bookings", data=json.dumps(example), content_type="application/json")
    assert response.status_code == 201, response.content


def test_document_declares_errors_constraints_servers_and_security():
    document = api.get_openapi_schema()
    assert document["servers"] and all(server["url"] for server in document["servers"])
    operations = [op for path in document["paths"].values() for op in path.values()]
    assert len(operations) == 3 and all(op["security"] == [] for op in operations)
    responses = {op["operationId"].rsplit("_", 1)[-1]: {str(code) for code in op["responses"]} for op in operations}
    assert {"422", "429"} <= responses["availability"] and {"415", "422", "429"} <= responses["booking"]
    assert "429" in responses["services"]
    error = document["components"]["schemas"]["ErrorOut"]["properties"]
    assert error["detail"]["type"] == "string"
    booking_in = document["components"]["schemas"]["BookingIn"]["properties"]
    assert booking_in["name"]["minLength"] == 1 and booking_in["service"]["minLength"] == 1
    assert booking_in["email"]["format"] == "email"
    assert booking_in["consent"]["const"] is True


def test_422_arrives_as_documented(client):
    body = {"service": "initial-evaluation", "start": "soon", "name": "", "email": "x", "consent": False}
    response = client.post("/api/v1/bookings", data=json.dumps(body), content_type="application/json")
    assert response.status_code == 422
    answer = response.json()
    assert isinstance(answer["detail"], str)
    assert set(answer["errors"]) == {"start", "name", "email", "consent"}
    assert answer["errors"]["email"] == "Enter a valid email address."
    assert all(isinstance(message, str) and message for message in answer["errors"].values())
    assert Appointment.objects.count() == 0
    missing = client.post("/api/v1/bookings", data="{}", content_type="application/json")
    assert missing.status_code == 422 and isinstance(missing.json()["detail"], str)
    # An empty body carries no Content-Type at all: the JSON-only guard answers before parsing.
    empty = client.post("/api/v1/bookings", data="", content_type="application/json")
    assert empty.status_code == 415 and isinstance(empty.json()["detail"], str)


def test_redocly_lint_passes(tmp_path):
    npx = shutil.which("npx")
    if npx is None:
        pytest.skip("npx (Node.js) is not installed; `make lint` runs the same lint")
    document = tmp_path / "openapi.json"
    document.write_text(json.dumps(api.get_openapi_schema()))
    started = time.monotonic()
    result = subprocess.run(  # noqa: S603  # nosec B603
        [npx, "--yes", f"@redocly/cli@{REDOCLY_VERSION}", "lint", "--format=stylish", str(document)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    output = result.stdout + result.stderr
    if result.returncode != 0 and any(
        code in output for code in ("ENOTFOUND", "EAI_AGAIN", "ECONNREFUSED", "ETIMEDOUT")
    ):
        pytest.skip("npx could not fetch @redocly/cli (offline and not in npm's cache)")
    assert result.returncode == 0, output
    assert time.monotonic() - started < 120


REDOCLY_VERSION = "2.77.0"
