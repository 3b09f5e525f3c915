"""The moderation console through the test client: triage list, confirmations, decisions and their History."""

from __future__ import annotations

import pytest
from django.contrib.admin.models import LogEntry

from ratings.models import Rating
from tests.factories import RatingFactory
from tests.helpers.admin import browser

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/ratings/rating/"


def test_the_list_triages_feedback_with_the_match_marked_and_compact_scores(moderator):
    rating = RatingFactory(
        status="FLAGGED", flag_reasons=["phone"], feedback="Great coach, call me on +33 6 12 34 56 78 anytime."
    )

    html = browser(moderator).get(CHANGELIST).content.decode()

    assert '<mark title="contains a phone number">+33 6 12 34 56 78</mark>' in html
    assert "C4 K5 P3 H4" in html
    assert rating.session.display_number in html
    assert html.index("field-feedback_display") < html.index("field-status")  # feedback comes first


def test_the_list_shows_who_decided_under_the_status_and_dates_in_utc(moderator):
    rating = RatingFactory(status="FLAGGED", flag_reasons=["phone"])
    client = browser(moderator)
    client.post(f"{CHANGELIST}{rating.pk}/change/", {"decision": "reject", "reason": "No phone numbers."})
    rating.refresh_from_db()

    html = client.get(CHANGELIST, {"queue": "decided"}).content.decode()

    assert f'Rejected<br><small class="decided">{moderator.first_name} {moderator.last_name[0]}.<br>' in html
    assert f"{rating.moderated_at:%Y-%m-%d %H:%M} UTC" in html and f"{rating.created_at:%H:%M} UTC" in html


def test_ratings_are_found_by_session_number_and_have_readable_titles(moderator):
    rating = RatingFactory(session__customer__first_name="Ines", session__customer__last_name="Lopez", overall=2)
    RatingFactory()
    number = rating.session.number
    client = browser(moderator)

    for term in (rating.session.display_number, str(number)):
        found = client.get(CHANGELIST, {"q": term, "queue": "all"}).context["cl"].result_list
        assert list(found) == [rating]
    ratee = rating.ratee
    assert str(rating) == (
        f"Rating 2/5 by Ines L. for {ratee.first_name} {ratee.last_name[0]}., {rating.session.display_number}"
    )


def test_bulk_approve_asks_first_and_warns_about_flagged_ratings(moderator):
    flagged = RatingFactory(status="FLAGGED", flag_reasons=["email"], feedback="Write to me at bob@example.com ok")
    plain = RatingFactory()
    selected = {"action": "approve_ratings", "_selected_action": [str(flagged.pk), str(plain.pk)], "index": 0}
    client = browser(moderator)

    preview = client.post(CHANGELIST, selected)

    assert preview.status_code == 200
    html = preview.content.decode()
    assert 'id="flagged-warning"' in html and "1 of them is" in html
    assert "<mark" in html and "bob@example.com" in html
    assert not Rating.objects.filter(status="APPROVED").exists()

    client.post(CHANGELIST, {**selected, "apply": "Approve 2 ratings", "note": "Checked by hand."})
    assert set(Rating.objects.values_list("status", flat=True)) == {"APPROVED"}
    messages = set(LogEntry.objects.filter(user=moderator).values_list("change_message", flat=True))
    assert messages == {"Approved (bulk action). Internal note: Checked by hand."}


def test_no_warning_when_nothing_flagged_is_selected(moderator):
    plain = RatingFactory()
    preview = browser(moderator).post(CHANGELIST, {"action": "approve_ratings", "_selected_action": [str(plain.pk)]})
    assert preview.status_code == 200
    assert 'id="flagged-warning"' not in preview.content.decode()


def test_single_decisions_keep_reason_and_note_in_history_and_a_revision_erases_nothing(moderator):
    rating = RatingFactory(status="FLAGGED", flag_reasons=["link"])
    url = f"{CHANGELIST}{rating.pk}/change/"
    client = browser(moderator)

    client.post(url, {"decision": "reject", "reason": "No links please.", "note": "Third time this week."})
    client.post(url, {"decision": "approve", "note": "The link was the coach's own site."})

    rating.refresh_from_db()
    assert (rating.status, rating.rejection_reason) == ("APPROVED", "")
    history = [e.get_change_message() for e in LogEntry.objects.filter(object_id=str(rating.pk)).order_by("pk")]
    assert history == [
        "Rejected. Reason given to the rater: No links please. Internal note: Third time this week.",
        "Approved. Internal note: The link was the coach's own site.",
    ]
    page = client.get(f"{CHANGELIST}{rating.pk}/history/").content.decode()
    assert "No links please" in page and "Changed decision" not in page
    page = client.get(url).content.decode()  # the rating's own page lists both decisions too
    table = page[page.index('class="staff-history"') :]
    assert table.index("Reason given to the rater: No links please.") < table.index("Approved. Internal note")


def test_decide_and_next_opens_the_next_waiting_rating(moderator):
    first = RatingFactory(status="FLAGGED", flag_reasons=["phone"])
    second = RatingFactory()
    RatingFactory(status="APPROVED")
    client = browser(moderator)

    page = client.get(f"{CHANGELIST}{first.pk}/change/").content.decode()
    assert page.index('name="decision"') < page.index("field-feedback")  # the decision box on top
    assert 'value="approve_next"' in page and "contains a phone number" in page

    response = client.post(f"{CHANGELIST}{first.pk}/change/", {"decision": "approve_next"})
    assert response.status_code == 302 and response["Location"].endswith(f"/{second.pk}/change/")
    response = client.post(
        f"{CHANGELIST}{second.pk}/change/", {"decision": "reject_next", "reason": "Advertising or spam."}
    )
    assert response["Location"] == CHANGELIST  # nothing else waits
    assert Rating.objects.get(pk=second.pk).status == "REJECTED"


def test_the_rating_page_shows_the_raters_earlier_ratings(moderator):
    earlier = RatingFactory(status="REJECTED", rejection_reason="Insults.")
    rating = RatingFactory(rater=earlier.rater, session__customer=earlier.rater)

    html = browser(moderator).get(f"{CHANGELIST}{rating.pk}/change/").content.decode()

    assert "The rater's earlier ratings (1: 0 approved, 1 rejected)" in html
    assert "Insults." in html
