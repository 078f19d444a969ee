"""Ship the bundled template's versioned history inside sdists and wheels.

From a git checkout the bundle is built from the releases recorded in
``templates/RELEASES`` (see ``src/chassis/_bundle.py``); a clone that lacks a
recorded release fails the build rather than ship a bundle without it. An sdist
has no git history, so it carries the bundle it was built with, and a wheel
built from that sdist reuses it.
Editable installs need nothing: chassis builds the bundle from the checkout
at run time, so edits to the template show up at once.
"""

from __future__ import annotations

import importlib.util
import tempfile
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

_SDIST_BUNDLE = "templates/service.bundle"
_WHEEL_BUNDLE = "chassis/_data/service.bundle"


def _load_bundle_module(root: Path) -> Any:
    spec = importlib.util.spec_from_file_location(
        "_chassis_bundle", root / "src/chassis/_bundle.py"
    )
    if spec is None or spec.loader is None:
        msg = "cannot load src/chassis/_bundle.py"
        raise RuntimeError(msg)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class BundleHook(BuildHookInterface):  # type: ignore[misc]
    """Add the template bundle to the build."""

    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name == "wheel" and version == "editable":
            return
        root = Path(self.root)
        shipped = root / _SDIST_BUNDLE
        if (root / ".git").exists():
            self._tmp = tempfile.TemporaryDirectory(prefix="chassis-build-")
            bundle = Path(self._tmp.name) / "service.bundle"
            bundling = _load_bundle_module(root)
            try:
                bundling.build_bundle(root, version=self.metadata.version, out=bundle)
            except bundling.ReleaseHistoryError as error:
                msg = f"cannot build chassis: {error}"
                raise RuntimeError(msg) from None
        elif shipped.is_file():
            bundle = shipped
        else:
            msg = (
                "cannot build chassis: no git history to build the template bundle from "
                f"and no prebuilt {_SDIST_BUNDLE}; build from a git clone or an sdist"
            )
            raise RuntimeError(msg)
        target = _SDIST_BUNDLE if self.target_name == "sdist" else _WHEEL_BUNDLE
        build_data["force_include"][str(bundle)] = target

    def finalize(self, version: str, build_data: dict[str, Any], artifact_path: str) -> None:
        tmp = getattr(self, "_tmp", None)
        if tmp is not None:
            tmp.cleanup()
