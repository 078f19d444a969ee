import json

from fastapi.testclient import TestClient

CREATED = "2026-01-02T03:04:05Z"
JSON = "application/json"


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
    first = client.get("/notes", params={"limit": 1}).json()
    assert [n["id"] for n in first["items"]] == [1]
    listed = client.get("/notes", params={"limit": 1, "cursor": first["next"]})
    assert listed.json() == {
        "items": [
            {"id": 2, "title": "Retro", "body": "", "created_at": CREATED, "updated_at": CREATED}
        ],
        "limit": 1,
        "next": None,
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


def test_following_next_lists_every_note_once(client: TestClient) -> None:
    ids = [client.post("/notes", json={"title": f"note {n}"}).json()["id"] for n in range(7)]
    client.delete(f"/notes/{ids[3]}")

    seen: list[int] = []
    params: dict[str, str | int] = {"limit": 2}
    while True:
        page = client.get("/notes", params=params).json()
        seen += [note["id"] for note in page["items"]]
        if page["next"] is None:
            break
        params["cursor"] = page["next"]

    assert seen == ids[:3] + ids[4:]


def test_a_cursor_the_api_did_not_make_is_a_422_problem(client: TestClient) -> None:
    # Not base64, base64 of something else, an id beyond any storage's, padding, a NUL.
    for cursor in ("%%%", "aGVsbG8", "gAAAAA", "AAAAAQ==", "\u0000"):
        response = client.get("/notes", params={"cursor": cursor})

        assert response.status_code == 422, cursor
        assert response.headers["content-type"] == "application/problem+json"
        assert [e["loc"] for e in response.json()["errors"]] == [["query", "cursor"]]


def test_a_cursor_past_the_last_note_is_an_empty_last_page(client: TestClient) -> None:
    client.post("/notes", json={"title": "only"})

    page = client.get("/notes", params={"cursor": "f____w"}).json()  # after MAX_ID

    assert (page["items"], page["next"]) == ([], None)


def test_the_id_of_a_deleted_note_is_never_given_again(client: TestClient) -> None:
    client.post("/notes", json={"title": "older"})
    newest = client.post("/notes", json={"title": "newest"}).json()["id"]
    assert client.delete(f"/notes/{newest}").status_code == 204

    created = client.post("/notes", json={"title": "after the delete"}).json()["id"]

    assert created != newest
    assert client.get(f"/notes/{newest}").status_code == 404


def test_text_no_database_can_store_is_a_422_problem(client: TestClient) -> None:
    """NUL cannot be stored in PostgreSQL, a lone surrogate cannot be encoded at all."""
    note = client.post("/notes", json={"title": "fine"}).json()["id"]
    for text in ("#\x7f]\x00 title", "\ud800", "ok\udfff"):
        for method, path, field in (
            ("POST", "/notes", "title"),
            ("POST", "/notes", "body"),
            ("PATCH", f"/notes/{note}", "title"),
            ("PATCH", f"/notes/{note}", "body"),
        ):
            payload = {"title": "t", field: text} if method == "POST" else {field: text}
            # Escaped by json.dumps: a lone surrogate has no UTF-8 to send it raw.
            response = client.request(
                method, path, content=json.dumps(payload), headers={"Content-Type": JSON}
            )

            assert response.status_code == 422, (method, field, text)
            assert response.headers["content-type"] == "application/problem+json"
            assert [e["loc"] for e in response.json()["errors"]] == [["body", field]]
    assert client.get(f"/notes/{note}").json()["title"] == "fine"
    assert [n["id"] for n in client.get("/notes").json()["items"]] == [note]
