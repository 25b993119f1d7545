"""API keys: make one (shown once), list them, revoke one; over the same
handlers as ``/v1/keys``."""

from typing import Annotated

import typer

from earmark.cli.common import (
    CursorOption,
    DatabaseOption,
    FormatOption,
    LimitOption,
    after,
    done,
    fail,
    group,
    reading,
    refused,
    run,
    show_page,
)

GROUP_HELP = "API keys with scopes: read, write, admin."

ScopeOption = Annotated[str, typer.Option(
    "--scope", help="read (GET), write (also change stock and demand) or admin "
    "(also keys, webhooks and the clock).")]


def keys_create(
    name: Annotated[str, typer.Option("--name", help="Who the key is: every event it causes "
                                      "records this name.")],
    scope: ScopeOption = "read",
    database: DatabaseOption = None,
) -> None:
    """Make an API key and print it: it is shown this once and stored only as a hash.

    Example: earmark keys create --name shop-frontend --scope write
    """
    from earmark.service import keys

    result = run(database, keys.create_key, keys.CreateKey(name, scope))
    if not result.ok:
        fail(refused(result))
    value = result.value
    typer.echo(value["key"])
    typer.echo(f"{value['id']}  {value['name']}  {value['scope']}  (shown once: keep it now)",
               err=True)


def keys_list(limit: LimitOption = 100, cursor: CursorOption = None,
              database: DatabaseOption = None, format: FormatOption = "table") -> None:
    """The live keys: ids, names, scopes and prefixes (never a key).

    Example: earmark keys list
    """
    from earmark.service import keys

    with reading(database) as uow:
        found = keys.list_keys(uow.tx, after(keys.KEYS.cursors, cursor), limit)
    show_page(found, format, columns=["id", "name", "scope", "prefix", "created_at"],
              title="API keys")


def keys_revoke(key_id: str, database: DatabaseOption = None) -> None:
    """Revoke a key: the next request that presents it is refused.

    Example: earmark keys revoke key_0123456789abcdef
    """
    from earmark.service import keys

    done(run(database, keys.revoke_key, keys.RevokeKey(key_id)), f"revoked the key {key_id}")


def register(app: typer.Typer) -> None:
    keys_group = group(GROUP_HELP)
    keys_group.command("create")(keys_create)
    keys_group.command("list")(keys_list)
    keys_group.command("revoke")(keys_revoke)
    app.add_typer(keys_group, name="keys")
