"""The e-mail message's cheaper serialisation writes the very bytes the standard policy writes."""

from __future__ import annotations

import email
import email.policy

import pytest

from accounts.models import User
from integrations.email import POLICY
from notifications.services.rendering import build_email

CASES = [
    ("en", "Your session with Anna Berg starts in 24 hours", "Session SESS-000042 starts Friday 10:00 (UTC)."),
    ("ar", "تبدأ جلستك مع Anna Berg بعد 24 ساعة", "تبدأ الجلسة SESS-000042 يوم الجمعة 10:00 (Asia/Riyadh)."),
    ("en", "A subject long enough to be folded over two lines by the standard library, on purpose", "x" * 1200),
    ("en", "Tabs\tand  double  spaces, kept as they are", "Line one.\nLine two, with <html> & 'quotes'."),
]


@pytest.mark.parametrize(("language", "title", "body"), CASES)
def test_the_bytes_are_those_of_the_standard_policy(language, title, body):
    user = User(email="dan.o'brien@example.com", first_name="Dan", language=language, timezone="Asia/Riyadh")
    message = build_email(kind="session_reminder", recipient=user, title=title, body=body, action_url="http://x/y")
    mime = message.message()
    assert mime.policy is POLICY
    ours = mime.as_bytes(linesep="\r\n")
    mime.policy = email.policy.compat32
    assert ours == mime.as_bytes(linesep="\r\n")
    parsed = email.message_from_bytes(ours, policy=email.policy.default)
    assert str(parsed["Subject"]).strip() == title  # (a folded encoded word starts its own line)
    text = parsed.get_body(preferencelist=("plain",)).get_content()
    assert body.splitlines()[0][:50] in text
