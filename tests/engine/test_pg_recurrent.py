"""Recurrent policy gradient: the LSTM with resets inside a sequence, and training replaying
exactly what every sampler kind computed (per-env state, both collectors, across evaluation)."""

import copy

import pytest
import torch
from torch import nn

from engine.algos.pg.base import valid_from_done
from engine.build import build_runner
from engine.models.pg.lstm import RnnState, run_lstm
from engine.spec import ExperimentSpec

T, B = 12, 4


def test_run_lstm_zeroes_the_state_where_an_episode_begins():
    torch.manual_seed(0)
    lstm = nn.LSTM(3, 5)
    x = torch.randn(T, B, 3)
    init = RnnState(torch.randn(B, 5), torch.randn(B, 5))
    reset = torch.zeros(T, B, dtype=torch.bool)
    reset[3, 1] = reset[3, 2] = reset[7, 0] = reset[11, 3] = True
    out, final = run_lstm(lstm, x, init, reset)
    # Reference: one step at a time, zeroing the reset envs' state by hand.
    h, c = init.h.unsqueeze(0), init.c.unsqueeze(0)
    expected = []
    for t in range(T):
        keep = (~reset[t]).float().view(1, B, 1)
        step_out, (h, c) = lstm(x[t : t + 1], (h * keep, c * keep))
        expected.append(step_out)
    torch.testing.assert_close(out, torch.cat(expected))
    torch.testing.assert_close(final.h, h.squeeze(0))
    torch.testing.assert_close(final.c, c.squeeze(0))
    # Without resets: one call from zeros.
    out, _ = run_lstm(lstm, x, None)
    torch.testing.assert_close(out, lstm(x)[0])


def test_valid_from_done_masks_what_follows_the_first_done():
    done = torch.tensor([[0, 0, 1], [1, 0, 0], [0, 0, 1], [1, 0, 0]], dtype=torch.bool)
    expected = torch.tensor([[1, 1, 1], [1, 1, 0], [0, 1, 0], [0, 1, 0]], dtype=torch.float32)
    torch.testing.assert_close(valid_from_done(done), expected)


def recurrent_runner(tmp_path, kind, mid_batch_reset, env_id="CartPole-v1", gaussian=False):
    spec = ExperimentSpec.model_validate(
        dict(
            env={"id": "Pendulum-v1" if gaussian else env_id},
            algo={"name": "PPO", "params": {"minibatches": 2, "epochs": 1}},
            model={"recurrent": True, "hidden_sizes": [16], "lstm_size": 8},
            sampler={
                "kind": kind,
                "batch_T": T,
                "batch_B": B,
                "workers": None if kind == "serial" else 2 if kind != "alternating" else 1,
                "mid_batch_reset": mid_batch_reset,
                "max_decorrelation_steps": 10,
                "eval_n_envs": 2,
                "eval_max_steps": 100,
            },
            runner={"kind": "minibatch_eval", "n_steps": 3 * T * B},
            device="cpu",
        )
    )
    runner = build_runner(spec, seed=1, out_dir=tmp_path)
    runner.startup()
    return runner


def replay(runner, samples):
    """The training forward pass over the batch; returns (dist_info, value, valid, final)."""
    algo = runner.algo
    _, _, valid = algo.process_returns(samples)
    with torch.no_grad():
        dist_info, value, final = runner.agent(
            samples.env.observation,
            samples.agent.prev_action,
            samples.env.prev_reward,
            *algo.rnn_inputs(samples),
        )
    return dist_info, value, torch.ones_like(value) if valid is None else valid, final


@pytest.mark.parametrize(
    "kind, mid_batch_reset",
    [
        ("serial", True),
        ("serial", False),
        ("cpu", True),
        ("alternating", True),
        ("alternating", False),
    ],
)
def test_training_replays_the_sampler_exactly(tmp_path, kind, mid_batch_reset):
    """Training from ``prev_rnn_state[0]`` reproduces every valid step's policy and value, and
    each batch starts from the state the previous one ended in (zeroed after a done), also
    with an evaluation in between. With per-env state mixed up between the alternating
    sampler's groups, or lost to the evaluation, these would differ."""
    runner = recurrent_runner(tmp_path, kind, mid_batch_reset)
    agent, sampler = runner.agent, runner.sampler
    try:
        final = None
        for itr in range(3):
            agent.sample_mode(itr)
            samples, _ = sampler.obtain_samples(itr)
            prev_rnn_state = samples.agent.agent_info.prev_rnn_state
            if final is not None:
                torch.testing.assert_close(prev_rnn_state[0].h, final.h)
                torch.testing.assert_close(prev_rnn_state[0].c, final.c)
            dist_info, value, valid, final = replay(runner, samples)
            recorded = samples.agent.agent_info
            assert valid.sum() > 0
            mask = valid.bool()
            torch.testing.assert_close(
                dist_info.logits[mask], recorded.dist_info.logits[mask], atol=1e-5, rtol=1e-5
            )
            torch.testing.assert_close(value[mask], recorded.value[mask], atol=1e-5, rtol=1e-5)
            # The sampler zeroes the state of envs whose episode ended with the batch (without
            # mid-batch resets: of every env that was done, waiting for the next batch).
            keep = (~samples.env.done[-1].bool()).float().unsqueeze(-1)
            final = RnnState(final.h * keep, final.c * keep)
            agent.eval_mode(itr)
            assert sampler.evaluate_agent(itr)  # evaluation keeps its own state
            agent.train_mode(itr)
            runner.algo.optimize_agent(itr, samples)
    finally:
        sampler.shutdown()


def test_gaussian_recurrent_agent_trains_and_resumes_its_state(tmp_path):
    runner = recurrent_runner(tmp_path, "serial", True, gaussian=True)
    agent = runner.agent
    try:
        assert type(agent).__name__ == "RecurrentGaussianPgAgent"
        agent.sample_mode(0)
        samples, _ = runner.sampler.obtain_samples(0)
        dist_info, value, valid, _ = replay(runner, samples)
        torch.testing.assert_close(dist_info.mean, samples.agent.agent_info.dist_info.mean)
        agent.train_mode(0)
        opt_info = runner.algo.optimize_agent(0, samples)
        assert all(torch.isfinite(torch.tensor(v)) for v in opt_info.values())
        # The checkpointed agent carries the states in flight.
        agent.sample_mode(1)
        state = copy.deepcopy(agent.state_dict())
        before = agent.step(*_step_inputs(runner)).agent_info.prev_rnn_state
        assert before.h.abs().sum() > 0
        agent.step(*_step_inputs(runner))
        agent.load_state_dict(state)
        after = agent.step(*_step_inputs(runner)).agent_info.prev_rnn_state
        torch.testing.assert_close(after.h, before.h)
        torch.testing.assert_close(after.c, before.c)
    finally:
        runner.sampler.shutdown()


def _step_inputs(runner):
    step = runner.sampler.server.step_pyt
    return step.observation, step.action, step.reward
