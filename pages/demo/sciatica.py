"""The clinic's sciatica article, as StreamField data, in the order of the seed text.

Every sentence below comes from `sciatica-page.txt` (the clinic's own page). The only
additions are marked ADDED: the figure standing in for the image the clinic's page carried
(its words are the seed's own sentence about the nerve's course) and the label read before
the diagram of the chain. No clinical statement is written here: urgent-care cards and any
other advice are the clinic's to add in the admin. A test checks that every substantive
line of the seed appears on the rendered page, and that nothing clinical was added.
"""

from django.utils.html import escape

from .stream import bold, join, p, ul

SUMMARY = "Pain and tingling from the lower back to the leg is rarely a problem of the sciatic nerve alone."

MEMBERS_TOPICS = [
    "Visceral–piriformis reflex mechanisms",
    "Clinical relevance of Toldt’s fascia",
    "Pelvic organ fascia and the sacral nerve plexus",
    "Interaction of posture, breathing, and sciatic load",
    "Principles for preventing recurrence",
]

# The seed's own sentence on the nerve's course.
COURSE = (
    "The sciatic nerve travels from the lumbar spine, through the sacrum and buttock,",
    "down to the thigh, calf, and foot.",
)

# ADDED: the figure standing in for the image the clinic's page carried. It draws and says
# nothing more than COURSE does.
FIGURE_ALT = (
    "Diagram of the lower body seen from behind. A yellow line marks the sciatic nerve on the right side, "
    "from the lumbar spine, through the sacrum and buttock, down to the thigh, calf, and foot."
)
FIGURE_CAPTION = "The course of the sciatic nerve, from the lumbar spine to the foot."

# ADDED: the label read before the diagram of the chain; it only names its first and last steps.
CHAIN_LABEL = "From a stiff diaphragm to sciatic nerve irritation"


# The parts of the article that the members-area demo articles quote as well.
MECHANISMS = [
    (
        "numbered_section",
        {
            "number": 1,
            "title": "Visceral membrane tension (ascending/descending colon, kidneys) and reflex pathways",
            "body": [
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
        },
    ),
    (
        "numbered_section",
        {
            "number": 2,
            "title": "Fascial adhesions impair the “sliding tunnels” through which the sciatic nerve travels",
            "body": [
                p(
                    "The sciatic nerve runs inside fascial compartments.",
                    "When fascial gliding is restricted, the nerve is pulled, irritated, or compressed.",
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
                    "These structures connect the lumbar spine, pelvis, hips, intestines, and diaphragm—",
                    "which is why sciatica cannot be solved simply by massaging the buttock.",
                ),
            ],
        },
    ),
    (
        "numbered_section",
        {
            "number": 3,
            "title": "Diaphragmatic tension and disrupted abdominal pressure distort the lumbar–sacral mechanics",
            "body": [
                (
                    "chain",
                    {
                        "label": CHAIN_LABEL,
                        "steps": [
                            "A stiff diaphragm",
                            "Irregular intra-abdominal pressure",
                            "Chronic tension in the psoas, iliacus, and piriformis",
                            "Sciatic nerve irritation and recurrent symptoms",
                        ],
                        "after": "<p>"
                        + escape(
                            "Because the diaphragm is linked to the liver, stomach, and kidneys via ligaments, "
                            "visceral stress often leads to breathing dysfunction → pelvic imbalance → sciatica."
                        )
                        + "</p>",
                    },
                ),
            ],
        },
    ),
    (
        "numbered_section",
        {
            "number": 4,
            "title": "Sacroiliac joint (SIJ) mechanics and pelvic organ tension",
            "body": [
                p("The sciatic nerve runs close to the anterior sacrum."),
                ul(
                    ["Intestinal membranes", "Bladder fascia", "Uterine ligaments (in women)", "Rectal mesentery"],
                    intro="Even a subtle shift in sacral position or tension from:",
                ),
                p("can directly increase neural tension."),
                p("Although rarely discussed in most clinics, this region plays a critical role in true sciatica."),
            ],
        },
    ),
]

CONCLUSION = (
    "conclusion",
    {
        "heading": join(
            ["Conclusion: Sciatica is not a “local problem.”", "It is a whole-body coordination dysfunction."]
        ),
        "body": [
            ul(
                ["Massage", "Electrical stimulation", "Stretching", "Trigger point therapy"],
                intro="This is why:",
            ),
            p("often provide only temporary relief and fail to address the root cause."),
        ],
    },
)

APPROACH_ITEMS = [
    (
        "approach_item",
        {
            "title": "Comprehensive evaluation of visceral–fascial–neural interactions",
            "body": [
                ul(
                    [
                        "Tension in the ascending and descending colon",
                        "Kidney mobility and positional strain",
                        "Retroperitoneal fascial gliding",
                        "Diaphragmatic stiffness",
                    ],
                    intro="We assess:",
                ),
                p("to identify the true origin of your symptoms."),
            ],
        },
    ),
    (
        "approach_item",
        {
            "title": "Restoring fascial gliding",
            "body": [
                p(
                    "Rather than using strong pressure,",
                    "we identify points where the body naturally begins to release—",
                    "allowing the fascial network to regain smooth, coordinated movement.",
                )
            ],
        },
    ),
    (
        "approach_item",
        {
            "title": "Reducing neural load",
            "body": [
                p(
                    "We calm autonomic overactivity, visceral reflex tension,",
                    "and sympathetic stress that aggravate sciatic nerve sensitivity.",
                )
            ],
        },
    ),
    (
        "approach_item",
        {
            "title": "Re-educating breathing, posture, and core dynamics",
            "body": [
                p(
                    "When the diaphragm, rib cage, and pelvis regain coordinated movement,",
                    "the strain on the sciatic nerve decreases dramatically.",
                ),
                p(
                    "FMT (Functional Movement Therapy) is used when necessary",
                    "to restore efficient motor patterns.",
                ),
            ],
        },
    ),
]


def body(figure_image, members_page) -> list[tuple]:
    blocks = [
        p(
            "Radiating pain, numbness, or tingling in the buttock or leg—",
            "commonly called “sciatica”—",
            "is not usually caused by direct compression of the sciatic nerve.",
        ),
        ul(
            [
                "Tension in visceral membranes (serosa, mesentery)",
                "Reflexive muscular tightness driven by autonomic stress",
                "Fascial adhesions and impaired tissue gliding",
                "Dysfunctional breathing and disturbed intra-abdominal pressure",
                "Sacroiliac joint mechanics and pelvic organ influences",
                "Postural habits and core coordination patterns",
            ],
            intro="In reality, sciatica often arises from a complex interaction of:",
        ),
        p("These interconnected factors often create pain even when X-rays or MRI show “no abnormality.”"),
        (
            "highlight",
            {
                "statement": "Sciatica is not caused by a “problem in the sciatic nerve itself.”",
                "body": "<p>The true issue lies in the disturbed environment around the nerve.</p>",
            },
        ),
        p(*COURSE),
    ]
    if figure_image is not None:
        blocks.append(
            (
                "figure",
                {
                    "image": figure_image,
                    "alt_text": FIGURE_ALT,
                    "caption": FIGURE_CAPTION,
                    "long_description": "",
                },
            )
        )
    blocks += [
        p("When the surrounding structures lose balance, pain can appear through several mechanisms:"),
        *MECHANISMS,
        CONCLUSION,
        ("heading", {"text": "Our Approach", "level": "h2"}),
        bold(
            "We do not “force the body to change.”",
            "We create the conditions in which the body can reorganize itself.",
        ),
        p(
            "We view sciatica not as a buttock or leg problem,",
            "but as the downstream result of a disrupted whole-body system.",
        ),
        *APPROACH_ITEMS,
        ("heading", {"text": "Sciatica rarely resolves in a single session", "level": "h2"}),
        p("Temporary relief is possible,"),
        ul(
            [
                "Accurate evaluation",
                "Appropriate hands-on intervention",
                "Breathing and lifestyle adjustments",
                "Movement retraining",
            ],
            intro="but chronic or long-standing cases require a gradual, structured recovery process, including:",
        ),
        (
            "members_teaser",
            {
                "heading": "For patients currently receiving care at our clinic",
                "intro": "<p>"
                + escape(
                    "A deeper, more technical explanation of sciatica—including visceral reflex pathways, fascial "
                    "mechanisms, SIJ dynamics, and long-term recurrence patterns—is available in our members-only "
                    "clinical page."
                )
                + "</p>",
                "topics_intro": "Topics include:",
                "topics": MEMBERS_TOPICS,
                "notes": [
                    "The password is provided only to active patients.",
                    "Password is available for active patients. Please ask us during your next session.",
                    "Passwords are changed periodically for security.",
                ],
                "link_text": "Go to the members area",
                "page": members_page,
            },
        ),
        (
            "call_to_action",
            {
                "heading": "Contact / Appointments",
                "body": "<p>"
                + escape(
                    "If you are truly seeking improvement and want to address the deeper mechanisms behind sciatica, "
                    "we will support your body’s natural ability to reorganize and heal."
                )
                + "</p>",
                "link_text": "Book an appointment",
                "link_url": "/appointments/",
            },
        ),
    ]
    return blocks


IMPORTANT_NOTES_TITLE = "Important Notes"
IMPORTANT_NOTES = [
    p(
        "Our clinic’s explanations include perspectives on visceral tension, fascial dynamics, neural reflexes, "
        "breathing mechanics, and postural patterns—",
        "factors that are not always detectable through standard orthopedic examinations such as X-rays or MRI.",
    ),
    ul(
        [
            "Anatomical and physiological principles",
            "International manual therapy frameworks (such as osteopathy)",
            "Observable, reproducible patterns seen in clinical practice",
        ],
        intro="The information presented here is based on:",
    ),
    p(
        "However, some mechanisms involved in sciatica are part of a field in which",
        "no globally standardized diagnostic criteria currently exist.",
    ),
    ul(
        [
            "Includes perspectives that differ from conventional medical diagnosis",
            "Does not represent a definitive medical diagnosis",
            "Should be understood as a complementary, functional approach that supports the body’s ability to recover",
        ],
        intro="Therefore, the content on this page:",
    ),
    p("We do not replace medical evaluation, and medical examinations may be necessary depending on the case."),
    p(
        "Our goal is to work alongside appropriate medical care when needed,",
        "providing an additional perspective focused on restoring whole-body function.",
    ),
    p("Sciatica can arise from many different backgrounds, and not all causes apply to every individual."),
    ul(
        [
            "Work habits and posture",
            "Age",
            "Visceral fatigue",
            "Stress and autonomic load",
            "Activity level and movement habits",
            "Past injuries or medical history",
        ],
        intro="Pain patterns may vary depending on:",
    ),
    p(
        "For this reason, the mechanisms described on this page represent one example of common clinical patterns,",
        "not an absolute explanation for all cases.",
    ),
    p(
        "Some people experience sciatica from simple muscular tension,",
        "while others develop chronic symptoms due to multiple overlapping factors.",
    ),
    p("If you are unsure which pattern your symptoms may belong to,", "please do not try to determine it on your own."),
    p(
        "We are happy to evaluate your condition carefully",
        "and help you understand what may be contributing to your symptoms.",
    ),
]
