"""Business modules. Each owns its API router, service, repository and schemas.

Modules call each other only through services (never another module's
repository or tables), so a module can later move into its own service.
"""
