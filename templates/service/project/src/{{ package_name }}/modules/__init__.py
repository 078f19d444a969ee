"""Business modules. Each owns its API router, service, repository and schemas.

Modules call each other only through services (never another module's
repository or tables), so a module can later move into its own service.

Each module is a package here: the app includes the ``router`` of every module's
``api``, and the migrations see every module's ``models``. So adding or deleting a
module edits no shared file.
"""

import importlib.util
import pkgutil
from types import ModuleType


def names() -> list[str]:
    """The name of every module package, in order."""
    return sorted(found.name for found in pkgutil.iter_modules(__path__) if found.ispkg)


def load(part: str) -> list[ModuleType]:
    """The ``part`` (like "api" or "models") of every module that has one, imported."""
    loaded: list[ModuleType] = []
    for name in names():
        path = f"{__name__}.{name}.{part}"
        if importlib.util.find_spec(path) is not None:
            loaded.append(importlib.import_module(path))
    return loaded
