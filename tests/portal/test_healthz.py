"""/healthz: 200 when the database and the broker answer, 503 naming the one that does not."""


def test_healthy(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "broker": "ok"}


def test_a_broker_that_does_not_answer_is_named(client, db, settings, monkeypatch):
    monkeypatch.setattr("portal.views._broker_ok", lambda: False)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["broker"] == "down" and response.json()["database"] == "ok"


def test_a_nul_character_in_a_filter_is_a_clear_400_not_a_500(tech_client, db):
    response = tech_client.get("/tenants/", {"q": "fabri\x00kam"})
    assert response.status_code == 400 and b"cannot contain NUL" in response.content
    api = tech_client.get("/api/v1/tenants/", {"search": "\x00"})
    assert api.status_code == 400 and list(api.json()) == ["search"]  # the API names the parameter
