"""Unit tests: personal patient passes (issue, check, expiry, revocation, last used)."""

import datetime

import pytest

from members import access_state, passes
from members.models import PatientPass

from .conftest import T0

DAY = datetime.timedelta(days=1)


@pytest.mark.django_db
def test_issue_stores_only_a_digest_and_an_encrypted_copy():
    item, code = passes.issue(label="Chart 1042", valid_until=T0 + 30 * DAY, now=T0)
    assert len(passes.normalise(code)) == passes.CODE_LENGTH and "-" in code
    stored = " ".join(str(value) for value in PatientPass.objects.values_list().get())
    assert passes.normalise(code) not in stored.replace("-", "")
    assert passes.code_of(item) == code


@pytest.mark.django_db
def test_code_works_as_typed_and_records_last_use():
    item, code = passes.issue(label="Chart 1042", valid_until=T0 + 30 * DAY, now=T0)
    used = passes.check(candidate=" " + code.lower().replace("-", " ") + " ", now=T0 + DAY)
    assert used.pk == item.pk
    item.refresh_from_db()
    assert item.last_used_at == T0 + DAY


@pytest.mark.django_db
def test_wrong_code_expired_or_revoked_pass_does_not_work():
    item, code = passes.issue(label="Chart 7", valid_until=T0 + DAY, now=T0)
    assert passes.check(candidate="ABCDE-FGHJK", now=T0) is None
    assert passes.check(candidate=code, now=T0 + DAY) is None  # valid until is exclusive
    assert not access_state.pass_grants_access(pass_id=item.pk, now=T0 + DAY)
    other, other_code = passes.issue(label="Chart 8", valid_until=T0 + 9 * DAY, now=T0)
    assert access_state.pass_grants_access(pass_id=other.pk, now=T0)
    assert passes.revoke(item=other, now=T0) is True
    assert passes.revoke(item=other, now=T0) is False
    assert passes.check(candidate=other_code, now=T0) is None
    assert not access_state.pass_grants_access(pass_id=other.pk, now=T0)


def test_codes_avoid_ambiguous_letters():
    for _ in range(200):
        code = passes.generate_code()
        assert not set(code) & set("ILOU")
