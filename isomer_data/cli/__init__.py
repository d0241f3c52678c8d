"""The ``isomer`` (alias ``iso``) management tool."""
