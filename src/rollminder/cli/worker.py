"""``rollminder worker`` (issue 16): deliver the reminders of every profile of a hosted
database; run any number, on any machine that reaches it."""

from __future__ import annotations

import click

from rollminder import limits
from rollminder.cli import Context, fmt, pass_ctx


@click.command(short_help="Deliver due reminders from the hosted database (SIGTERM stops).")
@click.option(
    "--database",
    "url",
    metavar="URL",
    help="The PostgreSQL database (postgresql://user@host/name; env ROLLMINDER_DATABASE_URL).",
)
@click.option(
    "--batch",
    type=fmt.Limited(limits.WORKER_BATCH, "batch"),
    default=200,
    metavar="N",
    help="Due rows claimed at a time, 1 to 10,000 (default 200).",
)
@click.option(
    "--threads",
    type=fmt.Limited(limits.WORKER_THREADS, "number of threads"),
    default=16,
    metavar="N",
    help="Profiles delivered at the same time, 1 to 256 (default 16).",
)
@click.option(
    "--metrics-port",
    type=fmt.Limited(limits.PORT_OR_NONE, "port"),
    default=0,
    metavar="PORT",
    help="Serve /metrics on 127.0.0.1 at this port (0: none).",
)
@click.option(
    "--lease",
    type=fmt.Limited(limits.WORKER_LEASE, "lease"),
    default=60.0,
    metavar="SECONDS",
    help="Seconds a claimed row stays this worker's, 0.5 to 3600 (default 60): a killed "
    "worker's rows come back after it.",
)
@click.option(
    "--rebuild",
    is_flag=True,
    help="Recompute every profile's due index (after a restore), then stop.",
)
@pass_ctx
def worker(
    ctx: Context,
    url: str | None,
    batch: int,
    threads: int,
    metrics_port: int,
    lease: float,
    rebuild: bool,
) -> None:
    """Claim the reminders due now from the database's due index, send them through each
    profile's channels and record them in the delivery ledger (docs/scaling.md). Needs a
    PostgreSQL database (--database or ROLLMINDER_DATABASE_URL)."""
    import datetime as dt
    import logging
    import signal
    import threading

    from rollminder.env import valid_database_url
    from rollminder.remind import worker as workers

    if url is not None:
        ctx.env.database_url = valid_database_url(url)

    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s", force=True
    )
    if rebuild:
        done = workers.rebuild(ctx.env)
        fmt.echo(f"rollminder worker: the due index of {done} profile(s) recomputed.")
        return
    w = workers.Worker(ctx.env, batch=batch, threads=threads, lease=dt.timedelta(seconds=lease))
    stop = threading.Event()

    def handle(signum: int, frame: object) -> None:
        stop.set()

    previous = {s: signal.signal(s, handle) for s in (signal.SIGTERM, signal.SIGINT)}
    server = workers.serve_metrics(metrics_port) if metrics_port else None
    try:
        fmt.echo(f"rollminder worker: delivering due reminders ({w.owner}).")
        w.run(stop)
    finally:
        for s, h in previous.items():
            signal.signal(s, h)
        if server is not None:
            server.shutdown()
    fmt.echo(f"rollminder worker: stopped ({w.stats.sent} sent).")
