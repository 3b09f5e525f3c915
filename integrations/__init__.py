"""Clients of external services: the only modules that build their requests or parse their payloads."""
