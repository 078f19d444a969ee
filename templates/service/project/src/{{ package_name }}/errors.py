"""Expected business errors. Each becomes a problem-details response with its status."""


class DomainError(Exception):
    """An error the caller can act on; never reported as a failure of the service."""

    status: int = 400
    title: str = "Bad request"
    headers: dict[str, str] | None = None

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class NotFoundError(DomainError):
    status = 404
    title = "Not found"


class ConflictError(DomainError):
    status = 409
    title = "Conflict"
