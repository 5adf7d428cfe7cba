"""schema.org descriptions of the clinic and its pages, as plain dicts for JSON-LD."""

from __future__ import annotations

import zoneinfo
from typing import TYPE_CHECKING

from django.utils import timezone

if TYPE_CHECKING:  # annotations only: the models import this module
    from .models import ClinicSettings, ConditionPage


def medical_clinic(clinic: ClinicSettings, url: str) -> dict:
    data = {"@context": "https://schema.org", "@type": "MedicalClinic", "name": clinic.name, "url": url}
    address = {
        "@type": "PostalAddress",
        "streetAddress": clinic.street_address,
        "addressLocality": clinic.locality,
        "postalCode": clinic.postal_code,
        "addressRegion": clinic.region,
        "addressCountry": clinic.country,
    }
    address = {key: value for key, value in address.items() if value}
    if len(address) > 1:
        data["address"] = address
    if clinic.phone:
        data["telephone"] = clinic.phone
    if clinic.email:
        data["email"] = clinic.email
    hours = [
        {
            "@type": "OpeningHoursSpecification",
            "dayOfWeek": f"https://schema.org/{row.schema_day}",
            "opens": row.opens.strftime("%H:%M"),
            "closes": row.closes.strftime("%H:%M"),
        }
        for row in clinic.opening_hours.all()
    ]
    if hours:
        data["openingHoursSpecification"] = hours
    return data


def medical_web_page(page: ConditionPage, clinic: ClinicSettings, url: str) -> dict:
    """Review facts appear only once staff have entered them: nothing is implied."""
    data = {
        "@context": "https://schema.org",
        "@type": "MedicalWebPage",
        "name": page.seo_title or page.title,
        "description": page.get_meta_description(),
        "url": url,
        "about": {"@type": "MedicalCondition", "name": page.title},
        "publisher": {"@type": "MedicalClinic", "name": clinic.name},
    }
    if page.last_published_at:
        # The date as the clinic's readers see it, not the UTC date it was stored in.
        try:
            zone = zoneinfo.ZoneInfo(clinic.time_zone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            zone = timezone.get_current_timezone()
        data["dateModified"] = timezone.localtime(page.last_published_at, zone).date().isoformat()
    if page.last_reviewed:
        data["lastReviewed"] = page.last_reviewed.isoformat()
    if page.reviewed_by:
        data["reviewedBy"] = {"@type": "Person", "name": page.reviewed_by}
    return data
