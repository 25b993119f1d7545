"""``python -m earmark.api [--host 127.0.0.1] [--port 8000] [--database URL]``:
serve the HTTP API (what ``earmark serve`` does)."""

from __future__ import annotations

import argparse

from earmark.api.server import UnsafeBind, serve
from earmark.settings import Settings


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m earmark.api", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--workers", type=int, default=None,
                        help="server processes (default: one per core on PostgreSQL, 1 on "
                        "SQLite; 1 is fastest for a flash sale on few skus)")
    parser.add_argument("--database", default=None,
                        help="database URL (default: $EARMARK_DATABASE_URL, else "
                        "sqlite:///earmark.db)")
    args = parser.parse_args(argv)
    settings = Settings()
    if args.database:
        settings = settings.model_copy(update={"database_url": args.database})
    try:
        serve(settings, args.host, args.port, workers=args.workers)
    except UnsafeBind as error:
        parser.exit(2, f"earmark: {error}\n")


if __name__ == "__main__":
    main()
