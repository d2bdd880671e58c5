"""Launch PPO on CartPole-v1 over the REST API, wait for every seed, print the final returns.

    python examples/submit_and_wait.py [--api http://127.0.0.1:8000] [--seeds 3] [--steps 30000]

Uses only httpx: this is what any script of yours can do against a running `rlboard serve`.
"""

from __future__ import annotations

import argparse
import sys
import time

import httpx

FINISHED = {"succeeded", "failed", "cancelled"}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--api", default="http://127.0.0.1:8000")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--steps", type=int, default=30_000)
    parser.add_argument("--timeout", type=float, default=1800, help="seconds to wait at most")
    args = parser.parse_args()

    spec = {
        "name": "ppo-cartpole-script",
        "env": {"id": "CartPole-v1"},
        "algo": {"name": "PPO"},
        "runner": {"n_steps": args.steps, "log_interval_steps": 2048},
        "seeds": list(range(args.seeds)),
    }
    with httpx.Client(base_url=f"{args.api.rstrip('/')}/api/v1", timeout=30) as api:
        response = api.post("/experiments", json={"spec": spec, "tags": ["example"]})
        if response.status_code != 201:
            print(f"rejected ({response.status_code}): {response.text}", file=sys.stderr)
            return 1
        experiment = response.json()
        print(f"experiment {experiment['id']} with runs {[r['id'] for r in experiment['runs']]}")

        deadline = time.monotonic() + args.timeout
        while True:
            runs = api.get(f"/experiments/{experiment['id']}").json()["runs"]
            print("  " + "  ".join(f"seed {r['seed']}: {r['status']} {r['progress']:.0%}" for r in runs))
            if all(r["status"] in FINISHED for r in runs):
                break
            if time.monotonic() > deadline:
                print("timed out", file=sys.stderr)
                return 1
            time.sleep(2)

        curves = api.get(f"/experiments/{experiment['id']}/curves", params={"key": "return_mean"}).json()
        for series in curves["runs"]:
            last = series["values"][-1] if series["values"] else None
            print(f"seed {series['seed']}: {series['status']}, final return_mean {last}")
        return 0 if all(r["status"] == "succeeded" for r in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
