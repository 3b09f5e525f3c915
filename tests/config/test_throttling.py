"""The request throttle counts in fixed windows with one cache round trip; past the rate it is 429."""

from __future__ import annotations

import time

import pytest
from django.core.cache import cache
from django.test import override_settings
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle


@pytest.fixture
def three_a_minute(settings, monkeypatch):
    rates = {**api_settings.DEFAULT_THROTTLE_RATES, "user": "3/min"}
    old = SimpleRateThrottle.THROTTLE_RATES
    SimpleRateThrottle.THROTTLE_RATES = rates  # DRF reads the rates once, at import
    # The count is per clock minute: a test that crossed a minute's end would start a fresh count.
    # DRF's clock stands still in the middle of the current minute for the test's length.
    middle_of_this_minute = (time.time() // 60) * 60 + 30
    monkeypatch.setattr(SimpleRateThrottle, "timer", staticmethod(lambda: middle_of_this_minute))
    yield
    SimpleRateThrottle.THROTTLE_RATES = old


def _hammer(client, times: int) -> list:
    return [client.get("/api/v1/me") for _ in range(times)]


def test_fourth_request_in_a_minute_is_429_with_retry_after(api, customer, three_a_minute):
    responses = _hammer(api(customer), 4)
    assert [r.status_code for r in responses] == [200, 200, 200, 429]
    assert responses[-1].json()["error"]["code"] == "throttled"
    assert int(responses[-1]["Retry-After"]) == 30


def test_each_user_has_a_count_of_their_own(api, customer, outsider, three_a_minute):
    _hammer(api(customer), 3)
    assert api(outsider).get("/api/v1/me").status_code == 200
    assert api(customer).get("/api/v1/me").status_code == 429


def test_the_count_lives_in_redis_with_an_expiry(api, customer, three_a_minute, redis_url):
    with override_settings(CACHES={"default": {"BACKEND": "config.cache.RedisCache", "LOCATION": redis_url}}):
        cache.clear()
        try:
            responses = _hammer(api(customer), 4)
            assert [r.status_code for r in responses] == [200, 200, 200, 429]
            client = cache._cache.get_client(write=False)
            keys = [k for k in client.scan_iter(match=f"*throttle_user_{customer.pk}:*")]
            assert len(keys) == 1
            assert int(client.get(keys[0])) == 4
            assert 0 < client.ttl(keys[0]) <= 61
        finally:
            cache.clear()


def test_on_redis_a_request_costs_one_pipelined_round_trip(customer, redis_url):
    import redis as redis_lib

    from config.api.throttling import _hit

    with override_settings(CACHES={"default": {"BACKEND": "config.cache.RedisCache", "LOCATION": redis_url}}):
        raw = redis_lib.Redis.from_url(redis_url)

        def calls(command: str) -> int:
            return int(raw.info("commandstats").get(f"cmdstat_{command}", {}).get("calls", 0))

        before = {c: calls(c) for c in ("incrby", "expire", "exists", "set", "get")}
        assert [_hit(cache, f"pipeline-test-{customer.pk}", 60) for _ in range(3)] == [1, 2, 3]
        after = {c: calls(c) for c in before}
        assert after["incrby"] - before["incrby"] == 3  # redis-py sends INCR as INCRBY
        assert after["exists"] - before["exists"] == 0  # not Django's incr (EXISTS + INCR)
        cache.delete(f"pipeline-test-{customer.pk}")
