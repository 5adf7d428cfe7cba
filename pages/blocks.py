"""StreamField blocks for health articles.

Each block expresses one structure that clinical pages use (the sciatica seed uses
all of them). Blocks carry no medical content of their own: every word a patient
reads comes from what staff enter.
"""

import uuid

from django.utils.translation import gettext_lazy as _
from wagtail import blocks
from wagtail.images.blocks import ImageChooserBlock

SIMPLE_RICH_TEXT = ["bold", "italic", "link"]


class ParagraphBlock(blocks.RichTextBlock):
    class Meta:
        label = _("Paragraph")
        icon = "pilcrow"
        template = "blocks/paragraph.html"
        features = SIMPLE_RICH_TEXT
        description = _("A paragraph of text.")
        preview_value = "<p>A short paragraph of article text.</p>"


class HeadingBlock(blocks.StructBlock):
    text = blocks.CharBlock(label=_("Heading"), max_length=200)
    level = blocks.ChoiceBlock(
        label=_("Level"),
        choices=[("h2", _("Section (h2)")), ("h3", _("Sub-section (h3)"))],
        default="h2",
        help_text=_("Use sections for the main parts of the page, sub-sections inside them."),
    )

    class Meta:
        label = _("Heading")
        icon = "title"
        template = "blocks/heading.html"
        description = _("A heading that starts a section of the page.")
        preview_value = {"text": "A section heading", "level": "h2"}


class BulletListBlock(blocks.StructBlock):
    intro = blocks.CharBlock(required=False, label=_("Lead-in sentence"), max_length=500)
    items = blocks.ListBlock(blocks.CharBlock(max_length=500, label=_("Item")), min_num=1, label=_("Items"))

    class Meta:
        label = _("Bullet list")
        icon = "list-ul"
        template = "blocks/bullet_list.html"
        description = _("A list of points, optionally with a lead-in sentence.")
        preview_value = {"intro": "It often involves:", "items": ["The first point", "The second point"]}


class ChainBlock(blocks.StructBlock):
    """A cause-and-effect chain, shown as an ordered list of steps with arrows."""

    label = blocks.CharBlock(
        label=_("Label"),
        max_length=200,
        help_text=_("Read to screen readers before the steps, e.g. 'How one change leads to the next'."),
    )
    steps = blocks.ListBlock(blocks.CharBlock(max_length=300, label=_("Step")), min_num=2, label=_("Steps"))
    after = blocks.RichTextBlock(required=False, features=SIMPLE_RICH_TEXT, label=_("Text after the chain"))

    class Meta:
        label = _("Cause-and-effect chain")
        icon = "arrow-down"
        template = "blocks/chain.html"
        description = _("A sequence where each step leads to the next, drawn as a diagram.")
        preview_value = {"label": "How one change leads to the next", "steps": ["First", "Then", "Finally"]}


class RichBodyBlock(blocks.StreamBlock):
    """The small set of blocks allowed inside a section."""

    paragraph = ParagraphBlock()
    bullet_list = BulletListBlock()
    chain = ChainBlock()

    class Meta:
        icon = "doc-full"


class NumberedSectionBlock(blocks.StructBlock):
    number = blocks.IntegerBlock(
        label=_("Number"), min_value=1, max_value=99, help_text=_("Shown before the title: 1, 2, 3…")
    )
    title = blocks.CharBlock(label=_("Title"), max_length=300)
    body = RichBodyBlock(label=_("Body"))

    class Meta:
        label = _("Numbered section")
        icon = "list-ol"
        template = "blocks/numbered_section.html"
        description = _("One numbered part of an explanation, with its own title, text and lists.")
        preview_value = {
            "number": 1,
            "title": "The first part of the explanation",
            "body": [("paragraph", "<p>Text of this part.</p>")],
        }


class HighlightBlock(blocks.StructBlock):
    statement = blocks.CharBlock(max_length=300, label=_("Statement"))
    body = blocks.RichTextBlock(label=_("Explanation"), required=False, features=SIMPLE_RICH_TEXT)

    class Meta:
        label = _("Key statement")
        icon = "pick"
        template = "blocks/highlight.html"
        description = _("A key statement set apart from the text, with optional explanation.")
        preview_value = {"statement": "A key statement.", "body": "<p>Why it matters.</p>"}


class ConclusionBlock(blocks.StructBlock):
    heading = blocks.CharBlock(label=_("Heading"), max_length=300)
    body = RichBodyBlock(label=_("Body"), required=False)

    class Meta:
        label = _("Conclusion box")
        icon = "success"
        template = "blocks/conclusion.html"
        description = _("A boxed conclusion that sums up the section before it.")
        preview_value = {"heading": "In short", "body": [("paragraph", "<p>The summary.</p>")]}


class ApproachItemBlock(blocks.StructBlock):
    title = blocks.CharBlock(label=_("Title"), max_length=300)
    body = RichBodyBlock(label=_("Body"))

    class Meta:
        label = _("Approach item")
        icon = "tick-inverse"
        template = "blocks/approach_item.html"
        description = _("One part of how the clinic works, with a title and text.")
        preview_value = {"title": "One part of our approach", "body": [("paragraph", "<p>What we do.</p>")]}


class MembersTeaserBlock(blocks.StructBlock):
    heading = blocks.CharBlock(label=_("Heading"), max_length=200)
    intro = blocks.RichTextBlock(label=_("Introduction"), features=SIMPLE_RICH_TEXT)
    topics_intro = blocks.CharBlock(
        label=_("Lead-in to the topics"), max_length=200, required=False, default="Topics include:"
    )
    topics = blocks.ListBlock(blocks.CharBlock(max_length=300, label=_("Topic")), min_num=1, label=_("Topics"))
    notes = blocks.ListBlock(
        blocks.CharBlock(max_length=300, label=_("Note")),
        label=_("Notes"),
        required=False,
        help_text=_("Notes about the password, e.g. who receives it and how often it changes."),
    )
    link_text = blocks.CharBlock(label=_("Link text"), max_length=100, default="Go to the members area")
    page = blocks.PageChooserBlock(label=_("Page"), required=False, help_text=_("The members area page."))

    class Meta:
        label = _("Members-area teaser")
        icon = "lock"
        template = "blocks/members_teaser.html"
        description = _("Tells readers a members-only page exists, lists its topics, and links to it.")
        preview_value = {
            "heading": "For patients currently receiving care",
            "intro": "<p>A deeper explanation is available to patients.</p>",
            "topics": ["First topic", "Second topic"],
            "notes": ["The password is given at the clinic."],
            "link_text": "Go to the members area",
        }


class FigureBlock(blocks.StructBlock):
    image = ImageChooserBlock(label=_("Image"))
    alt_text = blocks.CharBlock(
        label=_("Text alternative"),
        max_length=300,
        help_text=_("What the image shows, for people who cannot see it. Required."),
    )
    caption = blocks.CharBlock(label=_("Caption"), max_length=300, required=False)
    long_description = blocks.TextBlock(
        label=_("Long description"),
        required=False,
        help_text=_("A fuller text alternative for diagrams, shown under a 'Describe this figure' toggle."),
    )

    class Meta:
        label = _("Figure")
        icon = "image"
        template = "blocks/figure.html"
        description = _("An image or diagram with a caption and a text alternative.")

    def get_preview_value(self):
        # A preview needs a real image: the most recent one in the library, if any.
        from wagtail.images import get_image_model

        return self.normalize(
            {
                "image": get_image_model().objects.order_by("-created_at").first(),
                "alt_text": "What the figure shows",
                "caption": "A caption under the figure.",
                "long_description": "A fuller description of the figure, for readers who cannot see it.",
            }
        )


URGENCY_ANNOUNCEMENTS = {
    "non-urgent": _("Non-urgent advice:"),
    "urgent": _("Urgent advice:"),
    "emergency": _("Immediate action required:"),
}


class CareCardBlock(blocks.StructBlock):
    """nhsuk-frontend style care card; urgency is announced to screen readers.

    Colour alone cannot tell a screen-reader user how urgent the card is, so the
    heading starts with visually hidden text ("Immediate action required:") and the
    card is a region named by that heading.
    """

    urgency = blocks.ChoiceBlock(
        label=_("Urgency"),
        choices=[
            ("non-urgent", _("Non-urgent (speak to a GP or the clinic)")),
            ("urgent", _("Urgent (get help today)")),
            ("emergency", _("Emergency (call the emergency number now)")),
        ],
        default="emergency",
    )
    heading = blocks.CharBlock(
        label=_("Heading"),
        max_length=200,
        help_text=_("'{emergency_number}' is replaced by the emergency number from clinic settings."),
    )
    intro = blocks.CharBlock(label=_("Introduction"), max_length=300, required=False)
    items = blocks.ListBlock(blocks.CharBlock(max_length=300, label=_("Sign")), min_num=1, label=_("Signs"))
    footer = blocks.RichTextBlock(label=_("Footer"), required=False, features=SIMPLE_RICH_TEXT)

    class Meta:
        label = _("Care card")
        icon = "warning"
        template = "blocks/care_card.html"
        description = _("A coloured card telling readers when and where to get help.")
        preview_value = {
            "urgency": "emergency",
            "heading": "Call {emergency_number} or go to an emergency department if:",
            "items": ["You have one of the warning signs listed here"],
        }

    def get_context(self, value, parent_context=None):
        context = super().get_context(value, parent_context=parent_context)
        context["urgency_announcement"] = URGENCY_ANNOUNCEMENTS.get(value["urgency"], URGENCY_ANNOUNCEMENTS["urgent"])
        context["heading_id"] = f"care-card-{uuid.uuid4().hex[:8]}"
        return context


class CallToActionBlock(blocks.StructBlock):
    heading = blocks.CharBlock(label=_("Heading"), max_length=200)
    body = blocks.RichTextBlock(label=_("Body"), features=SIMPLE_RICH_TEXT)
    link_text = blocks.CharBlock(label=_("Link text"), max_length=100, default="Book an appointment")
    link_url = blocks.CharBlock(
        label=_("Link"), max_length=200, default="/appointments/", help_text=_("A path such as /appointments/.")
    )

    class Meta:
        label = _("Call to action")
        icon = "date"
        template = "blocks/call_to_action.html"
        description = _("A closing section that invites readers to contact the clinic or book.")
        preview_value = {
            "heading": "Contact / Appointments",
            "body": "<p>We are happy to help.</p>",
            "link_text": "Book an appointment",
            "link_url": "/appointments/",
        }


class ArticleStreamBlock(blocks.StreamBlock):
    heading = HeadingBlock()
    paragraph = ParagraphBlock()
    bullet_list = BulletListBlock()
    numbered_section = NumberedSectionBlock()
    chain = ChainBlock()
    highlight = HighlightBlock()
    conclusion = ConclusionBlock()
    approach_item = ApproachItemBlock()
    members_teaser = MembersTeaserBlock()
    figure = FigureBlock()
    care_card = CareCardBlock()
    call_to_action = CallToActionBlock()


class NoticeStreamBlock(blocks.StreamBlock):
    """Body of reusable notices such as the Important Notes disclaimer."""

    paragraph = ParagraphBlock()
    bullet_list = BulletListBlock()
