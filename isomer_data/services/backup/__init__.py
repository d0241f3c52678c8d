"""Scheduled backups of the running platform (``backup_interval``, ``backup_keep``)."""
