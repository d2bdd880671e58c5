"""The ``rlboard`` command.

The backend's own commands: ``serve``; ``token`` (API tokens, straight in the database); and
the client commands ``submit``, ``list``, ``status``, ``cancel`` and ``report``, which talk to a server
through ``backend.client.RlboardClient`` (a new one is a function ``(client, args)`` added in
``_add_client_commands``). ``train``, ``evaluate`` and ``worker`` are dispatched by module
name to the engine and the worker, so that importing the backend never imports torch (the
dependency rule of docs/ARCHITECTURE.md): only the process that asked for them loads them.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from backend.client import RlboardClient
    from backend.schemas import ExperimentDetail

#: subcommand -> module whose ``main(argv)`` implements it.
DELEGATED = {"train": "engine.cli", "evaluate": "engine.cli", "worker": "worker.cli"}

WORKER_STOP_GRACE_S = 15.0

ClientCommand = Callable[["RlboardClient", argparse.Namespace], None]


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] in DELEGATED:
        module = importlib.import_module(DELEGATED[argv[0]])
        # engine.cli parses its own subcommand; worker.cli takes only the options.
        code = module.main(argv if module.__name__ == "engine.cli" else argv[1:])
        sys.exit(code or 0)

    parser = argparse.ArgumentParser(prog="rlboard", description="Experiment manager for deep RL.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, module in DELEGATED.items():
        commands.add_parser(name, help=f"see `rlboard {name} --help` ({module})", add_help=False)

    serve_parser = commands.add_parser("serve", help="API + dashboard + a local worker")
    serve_parser.add_argument("--host", help="bind address (default RLBOARD_HOST or 127.0.0.1)")
    serve_parser.add_argument("--port", type=int, help="port (default RLBOARD_PORT or 8000)")
    serve_parser.add_argument("--no-worker", action="store_true", help="start no local worker")
    serve_parser.set_defaults(handler=serve)

    _add_token_commands(commands)
    _add_client_commands(commands)

    args = parser.parse_args(argv)
    args.handler(args)


def _add_token_commands(commands: argparse._SubParsersAction) -> None:
    token = commands.add_parser("token", help="API tokens (in the database directly)")
    token_commands = token.add_subparsers(dest="token_command", required=True, metavar="ACTION")
    create = token_commands.add_parser("create", help="create a token; prints its secret once")
    create.add_argument("name", help="who or what uses it, e.g. worker-gpu1")
    create.add_argument("--scope", choices=("read", "write", "admin"), default="read",
                        help="write also allows reading, admin also managing tokens over the "
                        "API (default read)")
    create.set_defaults(handler=token_create)
    token_commands.add_parser("list", help="every token, without secrets").set_defaults(
        handler=token_list)
    revoke = token_commands.add_parser("revoke", help="revoke a token for good")
    revoke.add_argument("id", type=int)
    revoke.set_defaults(handler=token_revoke)


def _add_client_commands(commands: argparse._SubParsersAction) -> None:
    """The commands that talk to a running server; each handler gets an ``RlboardClient``."""
    server = argparse.ArgumentParser(add_help=False)
    server.add_argument("--api", default=None, help="server URL (default RLBOARD_API_URL)")
    server.add_argument("--token", default=None, help="API token (default RLBOARD_TOKEN)")

    def add(name: str, handler: ClientCommand, description: str) -> argparse.ArgumentParser:
        command = commands.add_parser(name, parents=[server], help=description)
        command.set_defaults(handler=lambda args: _with_client(handler, args))
        return command

    submit_parser = add("submit", submit, "submit a spec file (optionally a sweep)")
    submit_parser.add_argument("spec", type=Path, help="YAML or JSON experiment spec")
    submit_parser.add_argument("--sweep", action="append", default=[], type=_sweep_axis,
                               metavar="PATH=V1,V2", help="sweep a spec path (repeatable: a grid)")
    submit_parser.add_argument("--tag", action="append", default=[], help="tag (repeatable)")
    submit_parser.add_argument("--notes", default="")

    list_parser = add("list", list_experiments, "list experiments, newest first")
    list_parser.add_argument("--q", help="text in name, env, algorithm, tags or notes")
    list_parser.add_argument("--status", help="with a run in this status")
    list_parser.add_argument("--tag")
    list_parser.add_argument("--algo")
    list_parser.add_argument("--env")
    list_parser.add_argument("--limit", type=int, default=50)

    report_parser = add("report", report, "compare experiments in one self-contained HTML file")
    report_parser.add_argument("ids", type=int, nargs="+", help="two or more experiment ids")
    report_parser.add_argument("--key", help="metric (default eval_return_mean, else return_mean)")
    report_parser.add_argument("--last-k", type=int, default=5, help="final score: last K points")
    report_parser.add_argument("--out", type=Path, help="file (default rlboard-report-<ids>.html)")

    for name, handler, verb in (("status", status, "show"), ("cancel", cancel, "cancel")):
        command = add(name, handler, f"{verb} an experiment and its runs (or one run)")
        command.add_argument("id", type=int, help="experiment id (run id with --run)")
        command.add_argument("--run", action="store_true", help="ID is a run's")


def _with_client(handler: ClientCommand, args: argparse.Namespace) -> None:
    """Run a client command; an API error or an unreachable server ends it with a message."""
    import httpx

    from backend.client import ApiError, RlboardClient
    from backend.settings import get_settings

    settings = get_settings()
    api = args.api or settings.api_url
    try:
        with RlboardClient(api, token=args.token or settings.token) as client:
            handler(client, args)
    except ApiError as exc:
        detail = exc.detail if isinstance(exc.detail, str) else json.dumps(exc.detail, indent=2)
        sys.exit(f"rlboard {args.command}: {exc.status_code}: {detail}")
    except httpx.TransportError as exc:
        sys.exit(f"rlboard {args.command}: cannot reach {api}: {exc}")


def serve(args: argparse.Namespace) -> None:
    """Migrate the database, start one local worker, and serve the API and the dashboard."""
    import uvicorn

    from backend.db import upgrade_database
    from backend.main import create_app
    from backend.settings import get_settings

    settings = get_settings()
    host, port = args.host or settings.host, args.port or settings.port
    settings = settings.model_copy(update={"host": host, "port": port})
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    upgrade_database(settings.effective_database_url)
    print(f"rlboard: database ready at {settings.effective_database_url}", flush=True)

    worker = None if args.no_worker else _start_local_worker(settings.local_worker_concurrency, host, port)
    try:
        uvicorn.run(create_app(settings), host=host, port=port, log_level="info")
    finally:
        if worker is not None:
            _stop_local_worker(worker)


def _start_local_worker(concurrency: int, host: str, port: int) -> subprocess.Popen[bytes]:
    api_host = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    env = {**os.environ, "RLBOARD_API_URL": f"http://{api_host}:{port}"}
    # Same process group as this one, so Ctrl-C in the terminal reaches the worker too;
    # worker.launch makes it die with this process if this one is killed outright.
    command = [sys.executable, "-m", "backend.cli", "worker", "--queues", "cpu,gpu",
               "--concurrency", str(concurrency), "--name", f"local-{port}@%h"]
    return subprocess.Popen([sys.executable, "-m", "worker.launch", *command], env=env)


def _stop_local_worker(worker: subprocess.Popen[bytes]) -> None:
    """Warm shutdown (the worker stops its runs), then SIGKILL if it takes too long."""
    if worker.poll() is None:
        worker.send_signal(signal.SIGTERM)
    try:
        worker.wait(WORKER_STOP_GRACE_S)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait()


def _sweep_axis(text: str) -> tuple[str, list[Any]]:
    """``PATH=V1,V2`` as (path, values); each value is JSON if it parses (numbers, true,
    null), else a string."""
    path, equals, values = text.partition("=")
    if not (path and equals and values):
        raise argparse.ArgumentTypeError(f"expected PATH=V1,V2,..., got {text!r}")
    return path, [_json_or_text(value) for value in values.split(",")]


def _json_or_text(value: str) -> Any:
    try:
        return json.loads(value)
    except ValueError:
        return value


def submit(client: RlboardClient, args: argparse.Namespace) -> None:
    """POST the spec (and sweep); print the created experiment and its runs."""
    import yaml

    spec = yaml.safe_load(args.spec.read_text())
    experiment = client.create_experiment(
        spec, tags=args.tag, notes=args.notes, sweep=dict(args.sweep) or None
    )
    _print_experiment(experiment)


def list_experiments(client: RlboardClient, args: argparse.Namespace) -> None:
    page = client.list_experiments(q=args.q, status=args.status, tag=args.tag, algo=args.algo,
                                   env=args.env, limit=args.limit)
    for item in page.items:
        counts = ", ".join(f"{n} {state}" for state, n in item.status_counts.items() if n)
        tags = f"  [{', '.join(item.tags)}]" if item.tags else ""
        print(f"{item.id:>6}  {item.name}  {item.algo} on {item.env_id}  "
              f"{item.progress:.0%}  {counts}{tags}")
    print(f"{len(page.items)} of {page.total} experiments")


def status(client: RlboardClient, args: argparse.Namespace) -> None:
    if not args.run:
        _print_experiment(client.get_experiment(args.id))
        return
    run = client.get_run(args.id)
    print(f"run {run.id} of experiment {run.experiment_id}: seed {run.seed}, {run.status}, "
          f"{run.steps_done}/{run.steps_total} steps ({run.progress:.0%})")
    if run.variant:
        print(f"  variant {json.dumps(run.variant)}")
    if run.error:
        print(f"  error: {run.error}")
    for attempt in run.attempts:
        print(f"  attempt {attempt.number} ({attempt.kind}): {attempt.status} on "
              f"{attempt.worker or '-'}, device {attempt.device or '-'}, "
              f"rlboard {attempt.rlboard_version or '-'} at commit {attempt.git_commit or '-'}")


def cancel(client: RlboardClient, args: argparse.Namespace) -> None:
    if args.run:
        run = client.cancel_run(args.id)
        print(f"run {run.id}: {run.status}")
    else:
        _print_experiment(client.cancel_experiment(args.id))


def report(client: RlboardClient, args: argparse.Namespace) -> None:
    from backend.services.report import report_filename

    out = args.out or Path(report_filename(args.ids))
    out.write_text(client.report_html(args.ids, key=args.key, last_k=args.last_k))
    print(f"wrote {out}")


def _print_experiment(experiment: ExperimentDetail) -> None:
    print(f"experiment {experiment.id} {experiment.name}: {len(experiment.runs)} runs")
    for run in experiment.runs:
        variant = f" {json.dumps(run.variant)}" if run.variant else ""
        print(f"  run {run.id} (seed {run.seed}){variant}: {run.status} {run.progress:.0%}")


def token_create(args: argparse.Namespace) -> None:
    from backend.services import auth

    with _database_session() as session:
        token, secret = auth.create_token(session, args.name, args.scope)
        print(f"token {token.id} {token.name!r} ({token.scope}); its secret, shown only now:")
        print(secret)


def token_list(args: argparse.Namespace) -> None:
    from backend.services import auth

    with _database_session() as session:
        for token in auth.list_tokens(session):
            state = f"revoked {token.revoked_at:%Y-%m-%d %H:%M}" if token.revoked_at else "active"
            used = f"{token.last_used_at:%Y-%m-%d %H:%M}" if token.last_used_at else "never"
            print(f"{token.id:>4}  {token.name}  {token.scope}  {state}  last used {used}")


def token_revoke(args: argparse.Namespace) -> None:
    from backend.services import auth
    from backend.services.errors import NotFoundError

    with _database_session() as session:
        try:
            token = auth.revoke_token(session, args.id)
        except NotFoundError as exc:
            sys.exit(f"rlboard token revoke: {exc}")
        print(f"token {token.id} {token.name!r} revoked")


def _database_session() -> Session:
    """A session on the settings' database, migrated first (a fresh install has no tables)."""
    from backend.db import create_db_engine, create_session_factory, upgrade_database
    from backend.settings import get_settings

    url = get_settings().effective_database_url
    upgrade_database(url)
    return create_session_factory(create_db_engine(url))()


if __name__ == "__main__":
    main()
