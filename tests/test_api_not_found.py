"""Unknown API paths answer the JSON 404 whatever they contain, DEBUG on or off."""

from __future__ import annotations

import pytest

PATHS = [
    "/api/v1/no%0Asuch",
    "/api/v1/no\nsuch",
    "/api/v1/%0A",
    "/api/v2%0Ax",
    "/api/v1/coaches/%0A/x",
    "/api/v1/me%0A",
]


@pytest.mark.parametrize("debug", [True, False])
@pytest.mark.parametrize("path", PATHS)
def test_paths_with_a_newline_get_the_json_404(db, client, settings, debug, path):
    settings.DEBUG = debug
    res = client.get(path)
    assert res.status_code == 404
    assert res["Content-Type"] == "application/json"
    assert res.json()["error"]["code"] == "not_found"
