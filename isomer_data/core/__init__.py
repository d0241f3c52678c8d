"""What services and modules share: roles, the hub's event declaration, the error table and
domain errors, and the contract a service or module fulfils.

Nothing here imports a service: services depend on the core, never on each other's
internals for these (the import-cycle test in ``tests/test_architecture.py`` holds it).

A **service** (built in, ``isomer_data/services/<name>/``, or installed through the entry
point group ``isomer_data.services``) is a package with any of:

- ``service.py``: ``setup(platform, serverapp)`` at load (blocking allowed: the server does
  not serve yet; declare the collections you write in ``platform.collections``) and
  ``async start(platform)`` once the event loop runs;
- ``handlers.py``: ``handlers``, tornado URL specs;
- ``components.py``: hub events marked with :func:`isomer_data.core.events.event`.

A **module** (``isomer_data.core.modules``, ``docs/modules.md``) is the installable kind:
a pip package whose entry point in ``isomer_data.modules`` describes it
(:class:`~isomer_data.core.modules.Module`); the same file holds the runtime that
discovers, isolates, configures, starts and stops modules.

Domain code raises :class:`isomer_data.core.errors.DomainError`; the hub and REST layers
translate it. A service whose setup or start raises is reported in ``/isomer/api/status``
and skipped; the others run.
"""
