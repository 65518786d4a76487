"""`successlink serve`: the ASGI service (tracked redirects, tracking API, Stripe webhooks)
on granian (default) or uvicorn, in one or more worker processes, plus the one webhook
inbox processor (cli/inbox_supervisor.py) unless `[program] webhook_inbox` is off."""

from __future__ import annotations

import os
from enum import StrEnum
from typing import Annotated

import typer

from successlink.cli.context import AppContext
from successlink.cli.inbox_supervisor import InboxSupervisor
from successlink.store.connect import open_store
from successlink.web.serve_app import RSGI_TARGET, TARGET, service_config


class ServerKind(StrEnum):
    granian = "granian"
    uvicorn = "uvicorn"


def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    workers: Annotated[int, typer.Option(
        min=1, help="Worker processes. Each has its own writers (a click-writer process and "
                    "a group-commit thread); with SQLite they take turns at the one write "
                    "lock, so more than one mostly helps on PostgreSQL.")] = 1,
    server: Annotated[ServerKind, typer.Option(
        help="HTTP server: granian (faster) or uvicorn.")] = ServerKind.granian,
) -> None:
    """Run the service: /r/CODE redirects, the tracking API and POST /webhooks/stripe.

    On granian the service speaks RSGI (granian's native interface, about half the cost
    of ASGI per request); on uvicorn, ASGI."""
    state: AppContext = ctx.obj
    settings = state.settings
    engine = open_store(settings.app_store_url)
    config = service_config(settings, engine)  # refuse to start on a bad setup, here
    engine.dispose()  # the workers open their own connections
    if not config.webhook_secrets:
        state.err.print("warning: no Stripe webhook secret is set, so webhooks are refused; "
                        "set SUCCESSLINK_PROGRAM__STRIPE_WEBHOOK_SECRETS.")
    state.console.print(f"Serving on http://{host}:{port} with {server.value}, {workers} "
                        f"worker{'s' if workers > 1 else ''} (app store "
                        f"{engine.url.render_as_string(hide_password=True)})")
    # The workers build the app from the environment: point them at this workspace.
    os.environ["SUCCESSLINK_WORKSPACE"] = str(settings.workspace.resolve())
    processor = None
    if config.webhook_inbox:
        processor = InboxSupervisor(settings.workspace.resolve(),
                                    say=lambda text: state.err.print(text, highlight=False))
        processor.start()
        state.console.print(f"Webhooks: acknowledged once in the inbox, processed by process "
                            f"{processor.pid} (`successlink webhooks status` to watch)")
    try:
        _run_server(server, host, port, workers)
    finally:
        if processor is not None:
            processor.stop()


def _run_server(server: ServerKind, host: str, port: int, workers: int) -> None:
    """Serve until SIGINT or SIGTERM (the servers handle them and return)."""
    if server is ServerKind.granian:
        from granian.constants import Interfaces, RuntimeModes
        from granian.log import LogLevels
        from granian.server import Server

        Server(RSGI_TARGET, address=host, port=port, interface=Interfaces.RSGI,
               workers=workers, factory=True, log_level=LogLevels.warning,
               runtime_mode=RuntimeModes.st, websockets=False).serve()
    else:
        import uvicorn

        uvicorn.run(TARGET, factory=True, host=host, port=port, workers=workers,
                    log_level="warning")
