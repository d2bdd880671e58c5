"""The ``rlboard`` command.

``serve`` and ``submit`` belong to the backend. ``train`` and ``worker`` are dispatched by
module name to the engine and the worker, so that importing the backend never imports torch
(the dependency rule of docs/ARCHITECTURE.md): only the process that asked for them loads them.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

#: subcommand -> module whose ``main(argv)`` implements it.
DELEGATED = {"train": "engine.cli", "worker": "worker.cli"}

WORKER_STOP_GRACE_S = 15.0


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] in DELEGATED:
        module = importlib.import_module(DELEGATED[argv[0]])
        # engine.cli parses its own subcommand; worker.cli takes only the options.
        module.main(argv if argv[0] == "train" else argv[1:])
        return

    parser = argparse.ArgumentParser(prog="rlboard", description="Experiment manager for deep RL.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, module in DELEGATED.items():
        commands.add_parser(name, help=f"see `rlboard {name} --help` ({module})", add_help=False)

    serve_parser = commands.add_parser("serve", help="API + dashboard + a local worker")
    serve_parser.add_argument("--host", help="bind address (default RLBOARD_HOST or 127.0.0.1)")
    serve_parser.add_argument("--port", type=int, help="port (default RLBOARD_PORT or 8000)")
    serve_parser.add_argument("--no-worker", action="store_true", help="start no local worker")
    serve_parser.set_defaults(handler=serve)

    submit_parser = commands.add_parser("submit", help="submit a spec file to a running server")
    submit_parser.add_argument("spec", type=Path, help="YAML or JSON experiment spec")
    submit_parser.add_argument("--api", default=None, help="server URL (default RLBOARD_API_URL)")
    submit_parser.add_argument("--tag", action="append", default=[], help="tag (repeatable)")
    submit_parser.set_defaults(handler=submit)

    args = parser.parse_args(argv)
    args.handler(args)


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


def submit(args: argparse.Namespace) -> None:
    """POST the spec to the server and print the created experiment's id and runs."""
    import httpx
    import yaml

    from backend.settings import get_settings

    api = (args.api or get_settings().api_url).rstrip("/")
    spec = yaml.safe_load(args.spec.read_text())
    response = httpx.post(f"{api}/api/v1/experiments", json={"spec": spec, "tags": args.tag}, timeout=30)
    if response.status_code != 201:
        sys.exit(f"rlboard submit: {response.status_code} {json.dumps(response.json(), indent=2)}")
    experiment = response.json()
    runs = ", ".join(f"run {r['id']} (seed {r['seed']})" for r in experiment["runs"])
    print(f"experiment {experiment['id']} {experiment['name']}: {runs}")
    print(f"{api}/experiments/{experiment['id']}")


if __name__ == "__main__":
    main()
