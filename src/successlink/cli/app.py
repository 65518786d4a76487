"""The root command: global options, the sub-commands, and the one error handler."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from successlink import __version__
from successlink.cli import (
    advocates,
    affiliates,
    db,
    demo,
    drivers,
    fraud,
    health,
    ingest,
    keys,
    ledger,
    plans,
    program,
    rejects,
    report,
    score,
    serve,
    status,
    sync,
    synth,
    train,
    webhooks,
    workspace,
)
from successlink.cli.context import AppContext
from successlink.errors import SuccessLinkError

app = typer.Typer(
    name="successlink",
    help="Run an affiliate program on customer-success data: ingest billing, usage, support, "
         "surveys and CRM data, then judge every affiliate by the customers it brings.",
    no_args_is_help=True,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
)
app.command("init")(workspace.init)
app.command("ingest")(ingest.ingest)
app.command("sources")(ingest.sources)
app.command("status")(status.status)
app.command("synth")(synth.synth)
app.command("score")(score.score)
app.command("train")(train.train)
app.command("report")(report.report)
app.command("advocates")(advocates.advocates)
app.command("drivers")(drivers.drivers)
app.add_typer(health.app, name="health")
app.command("demo")(demo.demo)
app.add_typer(rejects.app, name="rejects")
app.add_typer(db.app, name="db")
app.command("sync")(sync.sync)
app.add_typer(affiliates.affiliates_app, name="affiliates")
app.add_typer(affiliates.links_app, name="links")
app.add_typer(plans.app, name="plans")
app.add_typer(program.app, name="program")
app.add_typer(ledger.ledger_app, name="ledger")
app.add_typer(ledger.payouts_app, name="payouts")
app.add_typer(fraud.app, name="fraud")
app.add_typer(keys.app, name="keys")
app.command("serve")(serve.serve)
app.add_typer(webhooks.app, name="webhooks")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"successlink {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    workspace_dir: Annotated[Path | None, typer.Option(
        "--workspace", "-w", envvar="SUCCESSLINK_WORKSPACE",
        help="Workspace folder (holds successlink.toml and the default warehouse). "
             "Default: the current folder.")] = None,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks of errors.")] = False,
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Show the version and exit.")] = False,
) -> None:
    """Global options."""
    state = AppContext(workspace=workspace_dir, debug=debug)
    ctx.obj = state
    ctx.call_on_close(state.close)


def run(argv: list[str] | None = None) -> int:
    """Run the CLI; user errors become one readable sentence and an exit code."""
    args = sys.argv[1:] if argv is None else argv
    try:
        app(args=args, prog_name="successlink", standalone_mode=False)
    except SuccessLinkError as exc:
        if "--debug" in args:
            raise
        AppContext().err.print(f"[bold red]error:[/] {exc.render()}", highlight=False,
                               soft_wrap=True)
        return exc.exit_code
    except typer.Exit as exc:
        return int(exc.exit_code)
    except typer.Abort:
        return 130
    except typer.TyperException as exc:  # bad option values and usage errors (typer's click)
        show = getattr(exc, "show", None)
        if callable(show):
            show()
        else:
            AppContext().err.print(f"[bold red]error:[/] {exc}", highlight=False)
        return int(getattr(exc, "exit_code", 2))
    return 0


def main() -> None:
    """Console-script entry point."""
    sys.exit(run())
