"""Structured logging: one JSON object per line on stdout, for this code and its libraries.

Every line carries timestamp, level, event, logger and service; lines written while
a request is handled also carry its request_id (bound by the request middleware).
The service's own lines go straight from structlog to stdout, the fast path, since
one is written per request; libraries' lines (uvicorn, SQLAlchemy, ...) come
through the standard library's logging and get the same fields and format, and so
do Python warnings (a DeprecationWarning, SQLAlchemy's SAWarning, ...), which would
otherwise be bare text on stderr.
"""

import functools
import json
import logging
import re
import sys
import threading
import warnings
from collections.abc import Callable
from typing import Any, Literal, TextIO

import orjson
import structlog
from structlog.typing import EventDict, FilteringBoundLogger, Processor, WrappedLogger


class _StdoutLogger:
    """Writes each rendered line to whatever sys.stdout is at the time."""

    _lock = threading.Lock()

    def __init__(self, name: str) -> None:
        self.name = name  # read by structlog.stdlib.add_logger_name

    def msg(self, message: str) -> None:
        with self._lock:
            sys.stdout.write(message + "\n")

    debug = info = warning = error = critical = exception = msg


def _stdout_logger(*args: Any) -> _StdoutLogger:
    return _StdoutLogger(str(args[0]) if args else "")


class _StdoutHandler(logging.StreamHandler[TextIO]):
    """A logging handler for whatever sys.stdout is at the time."""

    def __init__(self) -> None:
        super().__init__(sys.stdout)

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = sys.stdout
        super().emit(record)


_SENSITIVE_KEY = re.compile(r"authorization|token|secret|password|cookie", re.IGNORECASE)
_BEARER = re.compile(r"(Bearer\s+)\S+", re.IGNORECASE)


@functools.lru_cache(maxsize=1024)  # the keys are few, and the same on every line
def _is_sensitive(key: str) -> bool:
    return _SENSITIVE_KEY.search(key) is not None


def _redact(_: WrappedLogger, __: str, event: EventDict) -> EventDict:
    """Credentials never reach the logs: sensitive fields and bearer tokens are masked."""
    for key, value in event.items():
        if _is_sensitive(key):
            event[key] = "[REDACTED]"
        # A substring test first: this runs on every line, and few values hold a token.
        elif isinstance(value, str) and "bearer" in value.lower():
            event[key] = _BEARER.sub(r"\1[REDACTED]", value)
    return event


def _json(event: EventDict, *, default: Callable[[Any], Any]) -> str:
    """One line of JSON, by orjson: the json module takes several times as long."""
    try:
        return orjson.dumps(event, default=default, option=orjson.OPT_NON_STR_KEYS).decode()
    except orjson.JSONEncodeError:  # what orjson refuses, such as an int beyond 64 bits
        return json.dumps(event, default=default, separators=(",", ":"))


def _service(name: str) -> Processor:
    def add_service(_: WrappedLogger, __: str, event: EventDict) -> EventDict:
        event.setdefault("service", name)
        return event

    return add_service


def _log_warning(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: TextIO | None = None,
    line: str | None = None,
) -> None:
    """Write a Python warning as a log line, where warnings.showwarning writes text."""
    get_logger("py.warnings").warning(
        "python_warning",
        category=category.__name__,
        message=str(message),
        filename=filename,
        lineno=lineno,
    )


def get_logger(name: str) -> FilteringBoundLogger:
    """A logger whose lines name ``name`` as their logger."""
    logger: FilteringBoundLogger = structlog.get_logger(name)
    return logger


def configure_logging(
    *, service: str, level: str = "INFO", fmt: Literal["json", "console"] = "json"
) -> None:
    """Send structlog's and the standard library's logging to stdout in one format."""
    shared: list[Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        _service(service),
        _redact,
    ]
    renderer: Processor = (
        structlog.processors.JSONRenderer(serializer=_json)
        if fmt == "json"
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[*shared, structlog.processors.format_exc_info, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelNamesMapping()[level]),
        logger_factory=_stdout_logger,
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            renderer,
        ],
    )
    warnings.showwarning = _log_warning
    handler = _StdoutHandler()
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(level)
    # The request middleware writes the access log and ServiceClient logs each call:
    # uvicorn's access log and httpx2's request lines would repeat them.
    logging.getLogger("uvicorn.access").disabled = True
    for name in ("httpx2", "httpcore2"):
        logging.getLogger(name).setLevel(logging.WARNING)
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers = []
        logging.getLogger(name).propagate = True
