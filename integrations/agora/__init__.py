"""Agora: RTC tokens (``rtc``), the Cloud Recording REST client (``cloud_recording``) and the
Notification Center's webhook format (``notifications``)."""
