"""Where a template comes from: the bundled, versioned template or any Copier git source.

The bundled template is shipped as a git bundle and copied before each run to
:data:`BUNDLED_SRC`. That literal string, ``~`` included, is what projects record
as ``_src_path``: it names the same file for every user, on every machine and
after every chassis upgrade, so ``copier update`` can always find the old
version. The path deliberately ignores ``XDG_CACHE_HOME`` and platform cache
conventions: those differ between machines, and the recorded path must not.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import platformdirs
from packaging.version import InvalidVersion, Version

from chassis import __version__, _bundle, git
from chassis.errors import GitError, TemplateError, UnknownVersionError

__all__ = [
    "BUNDLED_SRC",
    "TemplateSource",
    "bundled",
    "checkout",
    "from_recorded",
    "from_spec",
]

BUNDLED_SRC = "~/.cache/chassis/templates/service.bundle"
_PACKAGE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class TemplateSource:
    """A versioned template: ``url`` is what Copier reads and the project records."""

    url: str
    versions: tuple[str, ...]
    bundled: bool = False

    @property
    def latest(self) -> str:
        """The newest version; prereleases count only for the bundled template or if alone."""
        if self.bundled:
            return self.versions[-1]
        final = [v for v in self.versions if not Version(v).is_prerelease]
        return (final or list(self.versions))[-1]

    def require(self, version: str) -> str:
        """Return ``version`` if this source has it, else fail naming the ones it has."""
        if version not in self.versions:
            raise UnknownVersionError(version, self.url, self.versions)
        return version

    @property
    def trusted(self) -> bool:
        """Whether the template may run tasks, migrations and extensions without --trust:
        the one that ships with chassis, and the sources the user trusts."""
        return self.bundled or is_trusted(self.url, trusted_sources())


TRUST_VARIABLE = "CHASSIS_TRUST"


def trusted_sources() -> list[str]:
    """What the user trusts: the config file's ``trust:`` list, and the sources in
    ``$CHASSIS_TRUST`` (separated by white space), which is how CI passes the decision."""
    from chassis import answers  # noqa: PLC0415 - answers reads the config file

    return [*answers.user_config_trust(), *os.environ.get(TRUST_VARIABLE, "").split()]


def _normalized(location: str) -> str:
    """A source as Copier compares it for trust: a local path expanded and normalised,
    keeping a trailing slash; a URL (``scheme://`` or ``host:path``) as written."""
    if "://" in location or (":" in location and not _looks_local(location)):
        return location
    path = os.path.normpath(os.path.expanduser(location))  # noqa: PTH111 - str in, str out
    return path + os.sep if location.endswith(("/", os.sep)) else path


def is_trusted(url: str, trusted: list[str]) -> bool:
    """Copier's rule for its own ``trust`` setting: an entry ending in ``/`` trusts every
    source under it; any other entry trusts exactly that source.

    Hand-written because Copier's check is private API; tests/test_trust_config.py holds
    it to Copier's own decision on the same entries.
    """
    wanted = _normalized(url)
    for entry in trusted:
        normalized = _normalized(entry)
        if wanted == normalized or (entry.endswith("/") and wanted.startswith(normalized)):
            return True
    return False


def _source_checkout() -> Path | None:
    """The repository root when chassis runs from a source checkout (an editable install)."""
    root = _PACKAGE.parent.parent
    if (root / _bundle.TEMPLATE_SUBDIR / "copier.yml").is_file() and (root / ".git").exists():
        return root
    return None


def _checkout_or_fail(looked_for: Path) -> Path:
    """The source checkout this chassis runs from, when the package carries no template."""
    root = _source_checkout()
    if root is None:
        raise TemplateError(
            f"this chassis installation has no bundled template (looked for {looked_for})",
            "reinstall chassis from a wheel, an sdist or a git clone",
        )
    return root


def packaged_template_dir() -> Path:
    """The bundled template's files as this chassis ships them (its newest version)."""
    shipped = _PACKAGE / "_data" / "service"
    if shipped.is_dir():
        return shipped
    return _checkout_or_fail(shipped) / _bundle.TEMPLATE_SUBDIR


# Development bundles kept: one per template state recently used, so that switching
# between a few branches does not rebuild, and editing the template does not pile up
# a bundle per edit.
DEV_BUILDS_KEPT = 5


def _shipped_bundle() -> Path:
    shipped = _PACKAGE / "_data" / "service.bundle"
    if shipped.is_file():
        return shipped
    root = _checkout_or_fail(shipped)
    key = _bundle.fingerprint(root, __version__)
    cached = Path(platformdirs.user_cache_dir("chassis")) / "dev-builds" / f"{key}.bundle"
    if cached.is_file():
        cached.touch()  # recently used: pruned last
        return cached
    try:
        _bundle.build_bundle(root, version=__version__, out=cached)
    except _bundle.ReleaseHistoryError as error:
        raise TemplateError(
            f"cannot build the bundled template: {error.problem}", error.fix
        ) from None
    prune_dev_builds(cached.parent, keep=DEV_BUILDS_KEPT)
    return cached


def prune_dev_builds(folder: Path, *, keep: int) -> None:
    """Delete all but the ``keep`` most recently used development bundles in ``folder``."""
    bundles = sorted(folder.glob("*.bundle"), key=lambda p: p.stat().st_mtime, reverse=True)
    for stale in bundles[keep:]:
        stale.unlink(missing_ok=True)


def _parse_versions(tags: list[str]) -> tuple[str, ...]:
    parsed: list[tuple[Version, str]] = []
    for tag in tags:
        try:
            parsed.append((Version(tag), tag))
        except InvalidVersion:
            continue
    return tuple(tag for _, tag in sorted(parsed))


def bundled() -> TemplateSource:
    """Copy the shipped bundle to :data:`BUNDLED_SRC` and describe it."""
    git.require()
    target = Path(BUNDLED_SRC).expanduser()
    shipped = _shipped_bundle()
    target.parent.mkdir(parents=True, exist_ok=True)
    # Write then rename, so a concurrent run never reads half a bundle.
    partial = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    partial.write_bytes(shipped.read_bytes())
    partial.replace(target)
    return TemplateSource(BUNDLED_SRC, _parse_versions(git.version_tags(str(target))), bundled=True)


def _looks_local(spec: str) -> bool:
    """Whether ``spec`` names a path on this machine rather than a git URL."""
    return spec.startswith(("/", ".", "~")) or Path(spec).expanduser().exists() or ":" not in spec


def from_spec(spec: str) -> TemplateSource:
    """A ``--template`` argument: a local git repository or bundle, or a git URL."""
    if spec == BUNDLED_SRC:
        return bundled()
    local = Path(spec).expanduser()
    if _looks_local(spec):
        if not local.exists():
            raise TemplateError(
                f"template source {spec} does not exist",
                "pass a git repository, a git bundle or a git URL to --template",
            )
        url = str(local.resolve())
    else:
        url = spec
    git.require()  # a missing git is not a problem with the source
    try:
        tags = git.version_tags(url)
    except GitError as error:
        host = git.network_failure(error.output or error.problem)
        if host is not None:
            raise TemplateError(
                f"cannot reach {host} to read template source {spec}: the network is "
                "unreachable from here",
                "check your connection (or proxy), or pass a local clone to --template",
            ) from error
        raise TemplateError(
            f"cannot read template source {spec}: {error.problem.split(': ', 1)[-1]}",
            "check the path or URL (and your network) and that it is a git repository",
        ) from error
    versions = _parse_versions(tags)
    if not versions:
        raise TemplateError(
            f"template source {spec} has no version tags",
            "tag a release of the template (for example `git tag 0.1.0`): "
            "chassis update needs versions to update between",
        )
    return TemplateSource(url, versions)


def from_recorded(src_path: str) -> TemplateSource:
    """The source a project's answers file names."""
    if src_path == BUNDLED_SRC:
        return bundled()
    if _looks_local(src_path) and not Path(src_path).expanduser().exists():
        # from_spec's fix names --template, which `check` and `update` do not take.
        raise TemplateError(
            f"the project's template source {src_path} does not exist",
            "restore the template there, or set _src_path in .copier-answers.yml to where "
            "it is now",
        )
    return from_spec(src_path)


@contextmanager
def checkout(source: TemplateSource, version: str) -> Iterator[Path]:
    """The template's files at ``version``: its copier.yml and presets/ are read from here."""
    source.require(version)
    if source.bundled and version == source.versions[-1]:
        yield packaged_template_dir()
        return
    with tempfile.TemporaryDirectory(prefix="chassis-template-") as tmp:
        url = str(Path(source.url).expanduser()) if source.url.startswith("~") else source.url
        git.run("clone", "--quiet", "--branch", version, url, tmp)
        yield Path(tmp)
