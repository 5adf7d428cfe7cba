# ruff: noqa: E501 - quotations from the seed stay on one line each, so they can be checked against it.
"""Demo content for the members area: the index and one article per topic the seed lists.

Each article is made ONLY of the clinic's own statements on that topic, quoted from its
sciatica page (`pages/demo/sciatica-page.txt`): its numbered sections, its approach and its
recovery parts. Nothing clinical is added here. The only other text is the note telling
readers (and staff) that this is demo content to be replaced, and every page is flagged
`is_demo_content` so the admin lists it as "demo content — replace".

Idempotent: creates what is missing, never changes a page staff may have edited.
"""

from django.db import transaction

from pages.demo.loader import publish_child
from pages.demo.sciatica import APPROACH_ITEMS, CONCLUSION, MECHANISMS, MEMBERS_TOPICS
from pages.demo.stream import p, ul
from pages.models import HomePage

from .models import MembersAreaPage, MembersArticlePage
from .setup import ensure_all

DEMO_NOTE = p(
    "Demo page: the passages below are quoted from the clinic’s public sciatica page. "
    "The clinic replaces them with its own members-only explanation."
)

AREA_INTRO = (
    "For patients currently receiving care at our clinic\n\n"
    "A deeper, more technical explanation of sciatica—including visceral reflex pathways, fascial mechanisms, "
    "SIJ dynamics, and long-term recurrence patterns—is available in our members-only clinical page."
)


INTERACTION_INTRO = "In reality, sciatica often arises from a complex interaction of:"

ARTICLES = [
    {
        "slug": "visceral-piriformis-reflex-mechanisms",
        "title": MEMBERS_TOPICS[0],
        "summary": "Visceral membrane tension (ascending/descending colon, kidneys) and reflex pathways",
        "body": [
            DEMO_NOTE,
            ul(
                [
                    "Tension in visceral membranes (serosa, mesentery)",
                    "Reflexive muscular tightness driven by autonomic stress",
                ],
                intro=INTERACTION_INTRO,
            ),
            MECHANISMS[0],
            APPROACH_ITEMS[2],
        ],
    },
    {
        "slug": "toldts-fascia",
        "title": MEMBERS_TOPICS[1],
        "summary": "The sciatic nerve runs inside fascial compartments.",
        "body": [
            DEMO_NOTE,
            ul(["Fascial adhesions and impaired tissue gliding"], intro=INTERACTION_INTRO),
            MECHANISMS[1],
            APPROACH_ITEMS[1],
        ],
    },
    {
        "slug": "pelvic-organ-fascia-sacral-plexus",
        "title": MEMBERS_TOPICS[2],
        "summary": "The sciatic nerve runs close to the anterior sacrum.",
        "body": [
            DEMO_NOTE,
            ul(["Sacroiliac joint mechanics and pelvic organ influences"], intro=INTERACTION_INTRO),
            MECHANISMS[3],
        ],
    },
    {
        "slug": "posture-breathing-sciatic-load",
        "title": MEMBERS_TOPICS[3],
        "summary": "When the diaphragm, rib cage, and pelvis regain coordinated movement, the strain on the sciatic nerve decreases dramatically.",
        "body": [
            DEMO_NOTE,
            ul(
                [
                    "Dysfunctional breathing and disturbed intra-abdominal pressure",
                    "Postural habits and core coordination patterns",
                ],
                intro=INTERACTION_INTRO,
            ),
            MECHANISMS[2],
            APPROACH_ITEMS[3],
        ],
    },
    {
        "slug": "preventing-recurrence",
        "title": MEMBERS_TOPICS[4],
        "summary": "Sciatica rarely resolves in a single session",
        "body": [
            DEMO_NOTE,
            CONCLUSION,
            ("heading", {"text": "Sciatica rarely resolves in a single session", "level": "h2"}),
            ul(
                [
                    "Accurate evaluation",
                    "Appropriate hands-on intervention",
                    "Breathing and lifestyle adjustments",
                    "Movement retraining",
                ],
                intro="Temporary relief is possible, but chronic or long-standing cases require a gradual, "
                "structured recovery process, including:",
            ),
            p(
                "We do not “force the body to change.” We create the conditions in which the body can reorganize itself."
            ),
        ],
    },
]


@transaction.atomic
def load(log=print) -> None:
    ensure_all()
    home = HomePage.objects.first()
    if home is None:
        log("Members area: no home page yet; load the pages demo content first")
        return
    area = MembersAreaPage.objects.first()
    if area is None:
        area = publish_child(
            home,
            MembersAreaPage(
                title="Members area",
                slug="members",
                intro=AREA_INTRO,
                show_in_menus=True,
                is_demo_content=True,
            ),
        )
        log("Created /members/ (the members area; demo content to replace)")
    for spec in ARTICLES:
        if MembersArticlePage.objects.filter(slug=spec["slug"]).exists():
            continue
        publish_child(
            area,
            MembersArticlePage(
                title=spec["title"],
                slug=spec["slug"],
                summary=spec["summary"],
                body=spec["body"],
                is_demo_content=True,
            ),
        )
        log(f"Created members article: {spec['slug']} (demo content to replace)")
