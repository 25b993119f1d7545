"""The optional parts of earmark and what installs them.

The core install serves, forecasts (on a local process pool) and runs the
demo. Two parts need packages of their own, installed as extras:

- ``earmark[dask]``: forecast runs on a Dask cluster (``backend: "dask"``);
- ``earmark[nats]``: every event published to NATS JetStream (``EARMARK_NATS_URL``).

Their modules are imported only when such a part is used; a missing one
says what to install instead of a bare ``ModuleNotFoundError``.
"""

from __future__ import annotations

import importlib
from types import ModuleType

EXTRAS: dict[str, str] = {
    "dask": "forecast runs on a Dask cluster",
    "nats": "publishing events to NATS JetStream",
}


class MissingExtra(ImportError):
    """An optional part was asked for without the packages it needs."""

    def __init__(self, extra: str, module: str) -> None:
        super().__init__(
            f"{EXTRAS[extra]} needs the {module!r} package, which the core install leaves "
            f"out: pip install 'earmark[{extra}]'")
        self.extra = extra
        self.module = module


def require(module: str, extra: str) -> ModuleType:
    """``importlib.import_module(module)``, or :class:`MissingExtra` naming the extra."""
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as error:
        if error.name is not None and module.split(".")[0] != error.name.split(".")[0]:
            raise  # something else is missing, inside the package: not ours to explain
        raise MissingExtra(extra, module) from error
