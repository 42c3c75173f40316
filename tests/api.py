"""Helpers shared by the API tests: URLs under a community and the one error shape."""

ERROR_KEYS = {"code", "message", "fields"}


def url(slug, *parts):
    tail = "".join(f"{part}/" for part in parts)
    return f"/api/v1/communities/{slug}/{tail}"


def assert_error(response, status, code=None, fields=()):
    """A 4xx answer of the shape {"code", "message", "fields"} with per-field lists of messages."""
    assert response.status_code == status, (response.status_code, response.content)
    body = response.json()
    assert set(body) == ERROR_KEYS, body
    assert body["message"]
    assert all(isinstance(v, list) and all(isinstance(m, str) for m in v) for v in body["fields"].values()), body
    if code is not None:
        assert body["code"] == code, body
    for field in fields:
        assert body["fields"].get(field), body
    return body
