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
