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
from wagtail.models import Page

from pages.demo.sciatica import MEMBERS_TOPICS, p, ul
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


def section(number: int, title: str, body: list) -> tuple:
    return ("numbered_section", {"number": number, "title": title, "body": body})


def approach(title: str, body: list) -> tuple:
    return ("approach_item", {"title": title, "body": body})


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
            section(
                1,
                "Visceral membrane tension (ascending/descending colon, kidneys) and reflex pathways",
                [
                    ul(
                        [
                            "Right-sided sciatica → tension in the ascending colon",
                            "Left-sided sciatica → tension in the descending colon",
                        ]
                    ),
                    ul(
                        ["Piriformis", "Psoas major", "Quadratus lumborum"],
                        intro="Visceral strain can produce reflex tightening in the:",
                    ),
                    ul(
                        [
                            "Piriformis spasm",
                            "Compression at the nerve outlet",
                            "Pain or tingling radiating down the leg",
                        ],
                        intro="This narrows the space where the sciatic nerve passes and can easily cause:",
                    ),
                ],
            ),
            approach(
                "Reducing neural load",
                [
                    p(
                        "We calm autonomic overactivity, visceral reflex tension, and sympathetic stress that aggravate sciatic nerve sensitivity."
                    )
                ],
            ),
        ],
    },
    {
        "slug": "toldts-fascia",
        "title": MEMBERS_TOPICS[1],
        "summary": "The sciatic nerve runs inside fascial compartments.",
        "body": [
            DEMO_NOTE,
            ul(["Fascial adhesions and impaired tissue gliding"], intro=INTERACTION_INTRO),
            section(
                2,
                "Fascial adhesions impair the “sliding tunnels” through which the sciatic nerve travels",
                [
                    p(
                        "The sciatic nerve runs inside fascial compartments. "
                        "When fascial gliding is restricted, the nerve is pulled, irritated, or compressed."
                    ),
                    ul(
                        [
                            "Toldt’s fascia (strongly involved on the right side)",
                            "Retroperitoneal fascia",
                            "Iliac fascia",
                            "Transversus abdominis fascia",
                            "Piriformis fascia",
                        ],
                        intro="Key fascial structures include:",
                    ),
                    p(
                        "These structures connect the lumbar spine, pelvis, hips, intestines, and diaphragm—"
                        "which is why sciatica cannot be solved simply by massaging the buttock."
                    ),
                ],
            ),
            approach(
                "Restoring fascial gliding",
                [
                    p(
                        "Rather than using strong pressure, we identify points where the body naturally begins to release—"
                        "allowing the fascial network to regain smooth, coordinated movement."
                    )
                ],
            ),
        ],
    },
    {
        "slug": "pelvic-organ-fascia-sacral-plexus",
        "title": MEMBERS_TOPICS[2],
        "summary": "The sciatic nerve runs close to the anterior sacrum.",
        "body": [
            DEMO_NOTE,
            ul(["Sacroiliac joint mechanics and pelvic organ influences"], intro=INTERACTION_INTRO),
            section(
                4,
                "Sacroiliac joint (SIJ) mechanics and pelvic organ tension",
                [
                    p("The sciatic nerve runs close to the anterior sacrum."),
                    ul(
                        ["Intestinal membranes", "Bladder fascia", "Uterine ligaments (in women)", "Rectal mesentery"],
                        intro="Even a subtle shift in sacral position or tension from:",
                    ),
                    p("can directly increase neural tension."),
                    p("Although rarely discussed in most clinics, this region plays a critical role in true sciatica."),
                ],
            ),
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
            section(
                3,
                "Diaphragmatic tension and disrupted abdominal pressure distort the lumbar–sacral mechanics",
                [
                    (
                        "chain",
                        {
                            "label": "From a stiff diaphragm to sciatic nerve irritation",
                            "steps": [
                                "A stiff diaphragm",
                                "Irregular intra-abdominal pressure",
                                "Chronic tension in the psoas, iliacus, and piriformis",
                                "Sciatic nerve irritation and recurrent symptoms",
                            ],
                            "after": "<p>Because the diaphragm is linked to the liver, stomach, and kidneys via ligaments, "
                            "visceral stress often leads to breathing dysfunction → pelvic imbalance → sciatica.</p>",
                        },
                    ),
                ],
            ),
            approach(
                "Re-educating breathing, posture, and core dynamics",
                [
                    p(
                        "When the diaphragm, rib cage, and pelvis regain coordinated movement, "
                        "the strain on the sciatic nerve decreases dramatically."
                    ),
                    p("FMT (Functional Movement Therapy) is used when necessary to restore efficient motor patterns."),
                ],
            ),
        ],
    },
    {
        "slug": "preventing-recurrence",
        "title": MEMBERS_TOPICS[4],
        "summary": "Sciatica rarely resolves in a single session",
        "body": [
            DEMO_NOTE,
            (
                "conclusion",
                {
                    "heading": "Conclusion: Sciatica is not a “local problem.” It is a whole-body coordination dysfunction.",
                    "body": [
                        ul(
                            ["Massage", "Electrical stimulation", "Stretching", "Trigger point therapy"],
                            intro="This is why:",
                        ),
                        p("often provide only temporary relief and fail to address the root cause."),
                    ],
                },
            ),
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


def publish_child(parent: Page, page: Page) -> Page:
    parent.add_child(instance=page)
    page.save_revision().publish()
    return page


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
