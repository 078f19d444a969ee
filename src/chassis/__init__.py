"""chassis: bootstrap service projects from a versioned Copier template, and keep them updatable."""

__all__ = ["__version__"]

__version__ = "0.2.0.dev0"
