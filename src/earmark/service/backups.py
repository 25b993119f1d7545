"""``earmark backup`` and ``earmark restore``: a whole database to a file and
back, while the server serves it. :mod:`earmark.store.backup` does it, for
each kind of database; the CLI reaches it through here, as it reaches
every other use case through the service layer."""

from __future__ import annotations

from earmark.store.backup import BackupDone, BackupError, backup, restore, url_without_password

__all__ = ["BackupDone", "BackupError", "backup", "restore", "url_without_password"]
