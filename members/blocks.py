"""Blocks for members articles: the public article blocks plus images and documents that
must live in the "Members only" collection, so they are served only to granted sessions."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from wagtail import blocks
from wagtail.blocks import StructBlockValidationError
from wagtail.documents.blocks import DocumentChooserBlock
from wagtail.images.blocks import ImageChooserBlock

from pages.blocks import (
    ApproachItemBlock,
    BulletListBlock,
    ChainBlock,
    ConclusionBlock,
    HeadingBlock,
    HighlightBlock,
    NumberedSectionBlock,
    ParagraphBlock,
)


def _require_members_collection(value, field: str):
    from .protected_media import in_members_collection

    item = value.get(field)
    if item is not None and not in_members_collection(item):
        raise StructBlockValidationError(
            block_errors={
                field: ValidationError(
                    _("Move this file into the “Members only” collection first, so only members can open it.")
                )
            }
        )


class MembersFigureBlock(blocks.StructBlock):
    image = ImageChooserBlock()
    alt_text = blocks.CharBlock(
        max_length=300, help_text=_("What the image shows, for people who cannot see it. Required.")
    )
    caption = blocks.CharBlock(max_length=300, required=False)

    class Meta:
        icon = "image"
        template = "members/blocks/figure.html"
        description = _("An image from the “Members only” collection, shown only to members.")

    def clean(self, value):
        value = super().clean(value)
        _require_members_collection(value, "image")
        return value


class MembersDocumentBlock(blocks.StructBlock):
    document = DocumentChooserBlock()
    link_text = blocks.CharBlock(max_length=200)

    class Meta:
        icon = "doc-full"
        template = "members/blocks/document.html"
        description = _("A download from the “Members only” collection, available only to members.")

    def clean(self, value):
        value = super().clean(value)
        _require_members_collection(value, "document")
        return value


class MembersArticleStreamBlock(blocks.StreamBlock):
    heading = HeadingBlock()
    paragraph = ParagraphBlock()
    bullet_list = BulletListBlock()
    numbered_section = NumberedSectionBlock()
    chain = ChainBlock()
    highlight = HighlightBlock()
    conclusion = ConclusionBlock()
    approach_item = ApproachItemBlock()
    figure = MembersFigureBlock()
    document = MembersDocumentBlock()
