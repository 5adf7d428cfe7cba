"""Blocks for the booking pages: the urgent-care card reuses the article's CareCardBlock."""

from wagtail import blocks

from pages.blocks import CareCardBlock


class BookingCareCardStreamBlock(blocks.StreamBlock):
    care_card = CareCardBlock()

    class Meta:
        max_num = 1
