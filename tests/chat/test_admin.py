from __future__ import annotations

import pytest
from django.test import Client

from chat.models import Message
from tests.chat import files
from tests.factories import MessageFactory
from tests.helpers.chat import messages_url, upload

pytestmark = pytest.mark.django_db


def _send_png(api, session, customer) -> Message:
    res = api(customer).post(
        messages_url(session), {"text": "pic", "file": upload("a.png", files.png())}, format="multipart"
    )
    assert res.status_code == 201
    return Message.objects.get(pk=res.json()["id"])


def test_staff_sees_messages_on_the_session_page_and_can_open_the_media(api, staff, live_session, customer):
    MessageFactory(session=live_session, text="plain words")
    message = _send_png(api, live_session, customer)
    client = Client()
    client.force_login(staff)

    page = client.get(f"/admin/sessions_app/session/{live_session.pk}/change/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "plain words" in html
    assert "/api/v1/chat/media/" in html

    link = html.split('href="/api/v1/chat/media/', 1)[1].split('"', 1)[0]
    res = Client().get(f"/api/v1/chat/media/{link}")
    assert res.status_code == 200
    assert res["Content-Type"] == message.media_content_type


def test_message_admin_is_read_only(staff, live_session):
    message = MessageFactory(session=live_session)
    client = Client()
    client.force_login(staff)
    assert client.get("/admin/chat/message/").status_code == 200
    assert client.get(f"/admin/chat/message/{message.pk}/change/").status_code == 200
    assert client.get("/admin/chat/message/add/").status_code == 403
    assert client.post(f"/admin/chat/message/{message.pk}/delete/", {"post": "yes"}).status_code == 403
    assert Message.objects.filter(pk=message.pk).exists()


def test_being_staff_is_not_enough_to_read_chats(live_session, customer):
    from django.contrib.auth.models import Group

    from tests.factories import UserFactory

    message = MessageFactory(session=live_session, sender=customer, text="private words")
    moderator = UserFactory(role="staff", is_staff=True)
    moderator.groups.add(Group.objects.get(name="moderators"))
    client = Client()
    client.force_login(moderator)
    assert client.get("/admin/chat/message/").status_code == 403
    assert client.get(f"/admin/chat/message/{message.pk}/change/").status_code == 403
    page = client.get(f"/admin/sessions_app/session/{live_session.pk}/change/")
    assert "private words" not in page.content.decode()
