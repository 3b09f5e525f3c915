"""Outgoing webhooks at the network edge: which addresses may be called (``addresses``), the
Standard Webhooks signature (``signing``) and the HTTP POST to a checked, pinned address (``http``)."""
