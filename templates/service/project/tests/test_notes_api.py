from fastapi.testclient import TestClient

CREATED = "2026-01-02T03:04:05Z"


def test_create_read_list_update_delete(client: TestClient) -> None:
    created = client.post("/notes", json={"title": "Kick-off", "body": "Agenda"})

    assert created.status_code == 201
    assert created.json() == {
        "id": 1,
        "title": "Kick-off",
        "body": "Agenda",
        "created_at": CREATED,
        "updated_at": CREATED,
    }
    assert created.headers["location"] == "http://testserver/notes/1"

    assert client.get("/notes/1").json() == created.json()

    client.post("/notes", json={"title": "Retro"})
    listed = client.get("/notes", params={"limit": 1, "offset": 1})
    assert listed.json() == {
        "items": [
            {"id": 2, "title": "Retro", "body": "", "created_at": CREATED, "updated_at": CREATED}
        ],
        "limit": 1,
        "offset": 1,
    }

    updated = client.patch("/notes/1", json={"body": "Agenda v2"})
    assert updated.status_code == 200
    assert updated.json() == {
        "id": 1,
        "title": "Kick-off",
        "body": "Agenda v2",
        "created_at": CREATED,
        "updated_at": CREATED,
    }

    assert client.delete("/notes/1").status_code == 204
    assert client.get("/notes/1").status_code == 404
    assert [n["id"] for n in client.get("/notes").json()["items"]] == [2]


def test_a_missing_note_is_a_404_problem(client: TestClient) -> None:
    for response in (
        client.get("/notes/41"),
        client.patch("/notes/41", json={"title": "x"}),
        client.delete("/notes/41"),
    ):
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json() == {
            "type": "about:blank",
            "title": "Not found",
            "status": 404,
            "detail": "note 41 does not exist",
            "instance": "/notes/41",
        }


def test_invalid_input_is_a_422_problem_listing_each_error(client: TestClient) -> None:
    response = client.post("/notes", json={"title": "", "colour": "red"})

    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["title"] == "Unprocessable Content"
    assert body["instance"] == "/notes"
    assert [(e["loc"], e["type"]) for e in body["errors"]] == [
        (["body", "title"], "string_too_short"),
        (["body", "colour"], "extra_forbidden"),
    ]


def test_list_bounds_are_validated(client: TestClient) -> None:
    assert client.get("/notes", params={"limit": 0}).status_code == 422
    assert client.get("/notes", params={"limit": 101}).status_code == 422
    assert client.get("/notes", params={"offset": -1}).status_code == 422
