from fastapi.testclient import TestClient


def test_a_wrong_method_is_a_405_problem_with_allow(client: TestClient) -> None:
    response = client.put("/health")

    assert response.status_code == 405
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["allow"] == "GET"
    assert response.json() == {
        "type": "about:blank",
        "title": "Method Not Allowed",
        "status": 405,
        "detail": "Method Not Allowed",
        "instance": "/health",
    }


def test_a_405_allows_every_method_the_path_serves(client: TestClient) -> None:
    response = client.put("/notes/1")

    assert response.status_code == 405
    assert response.headers["allow"] == "DELETE, GET, PATCH"


def test_an_unknown_path_is_a_404_problem(client: TestClient) -> None:
    response = client.get("/nowhere")

    assert response.status_code == 404
    assert response.json()["title"] == "Not Found"
    assert response.headers["content-type"] == "application/problem+json"
