"""The text rules on realistic feedback (no database)."""

from __future__ import annotations

import pytest

from ratings.moderation import flag_reasons


@pytest.mark.parametrize(
    "text",
    [
        "Great coach! Write me at maria.lopez+coaching@gmail.com if you want tips.",
        "Reach me directly: maria at gmail dot com, cheaper than here.",
        "Reach me directly: maria [at] gmail [dot] com",
        "maria(at)gmail.com is the best way to book her",
        "Mail john dot smith at outlook dot com for a discount",
        "Her address is maria {at} yahoo {dot} fr",
        "contact: maria @ gmail . com",
    ],
)
def test_email_addresses_are_flagged_also_obfuscated(text):
    assert flag_reasons(text) == ["email"]


@pytest.mark.parametrize(
    "text",
    [
        "Call him on 0176 1234 5678 for private lessons",
        "Text me: +49 176 123 45 678, much cheaper",
        "My number is (555) 123-4567 if you want more",
        "WhatsApp +44 20 7946 0958 anytime",
        "reach me at 555.123.4567",
        "call 0049-176-1234567",
        "number 5551234567 works",
        "Call me on 06.12.34.56.78 anytime",  # two-digit groups: not a date followed by digits
        "Call me on 06-12-34-56-78 anytime",
        "ring 01/02/03/04/05 tonight",
    ],
)
def test_phone_numbers_are_flagged_with_spaces_dashes_dots_and_country_codes(text):
    assert flag_reasons(text) == ["phone"]


@pytest.mark.parametrize(
    "text",
    [
        "Book me outside the platform: https://calendly.com/maria",
        "My site http://maria-coaching.de has free videos",
        "See www.mariacoaching.net for more",
        "Check out mariacoaching.com for the workbook",
        "more on youtube.com/c/maria",
    ],
)
def test_links_are_flagged(text):
    assert flag_reasons(text) == ["link"]


@pytest.mark.parametrize(
    "text",
    [
        "5 stars, 10 out of 10, would book again!",
        "We did 3 sets of 12 reps and 2 x 30 seconds planks. Great session, 100% recommended.",
        "Session on 2024-03-15 was great; the follow-up on 15.04.2024 even better.",
        "Sessions on 1.2.2024, 3.4.2024 and 15/05/24 were all great.",
        "We met at 10:30 and she was good at it. Really helpful at explaining things.",
        "Lost 4.5 kg in 6 weeks, thank you! Worth every cent of the 60 EUR.",
        "Explained the dot product at length. Great at teaching.Very patient.",
        "I was at home. Dot is my dog and she loved it too!",
        "He's a total pro. Communication 5/5, knowledge 4/5.",
    ],
)
def test_clean_text_with_numbers_and_punctuation_is_not_flagged(text):
    assert flag_reasons(text) == []


def test_blocklist_matches_whole_words_ignoring_case():
    blocklist = ["scam", "rip-off"]
    assert flag_reasons("What a SCAM, honestly.", blocklist=blocklist) == ["blocklist:scam"]
    assert flag_reasons("Total rip-off!", blocklist=blocklist) == ["blocklist:rip-off"]
    assert flag_reasons("Scampi for lunch, then a great lesson.", blocklist=blocklist) == []


def test_several_reasons_are_all_recorded():
    text = "Scam! Email me at a@b.com or call +1 555 123 4567, see www.x.io"
    assert flag_reasons(text, blocklist=["scam"]) == ["email", "phone", "link", "blocklist:scam"]
