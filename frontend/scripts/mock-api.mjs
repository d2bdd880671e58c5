#!/usr/bin/env node
/**
 * A stand-in for the rlboard API, for working on the dashboard without the backend: serves
 * dist/ (with the index.html fallback the real backend must also give) and a fake /api/v1 whose
 * runs progress in real time. Not used by the tests or the build.
 *
 *   npm run build && node scripts/mock-api.mjs        # http://127.0.0.1:8000
 *   PORT=8001 node scripts/mock-api.mjs
 *
 * Special environment ids: "Slow-v0" (runs take 60 s), "Crashy-v0" (the last seed fails),
 * "Broker-Down-v0" (POST answers 503); unknown ids get a 422 at spec.env.id.
 */
import { createServer } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';

const PORT = Number(process.env.PORT ?? 8000);
const DIST = fileURLToPath(new URL('../dist/', import.meta.url));
const RUN_SECONDS = Number(process.env.MOCK_RUN_SECONDS ?? 12);

const PPO_SCHEMA = {"additionalProperties": false, "description": "Clipped-ratio PPO (rlpyt ``algos/pg/ppo.py``).", "properties": {"discount": {"default": 0.99, "description": "Reward discount factor gamma.", "exclusiveMinimum": 0, "maximum": 1, "title": "Discount", "type": "number"}, "learning_rate": {"default": 0.001, "description": "Adam learning rate.", "exclusiveMinimum": 0, "title": "Learning Rate", "type": "number"}, "value_loss_coeff": {"default": 1.0, "description": "Weight of the value loss.", "minimum": 0, "title": "Value Loss Coeff", "type": "number"}, "entropy_loss_coeff": {"default": 0.01, "description": "Weight of the entropy bonus.", "minimum": 0, "title": "Entropy Loss Coeff", "type": "number"}, "clip_grad_norm": {"default": 1.0, "description": "Global gradient-norm clip.", "exclusiveMinimum": 0, "title": "Clip Grad Norm", "type": "number"}, "gae_lambda": {"default": 1.0, "description": "GAE lambda (1 = discounted return).", "maximum": 1, "minimum": 0, "title": "Gae Lambda", "type": "number"}, "minibatches": {"default": 4, "description": "Minibatches per epoch over the [T, B] batch.", "minimum": 1, "title": "Minibatches", "type": "integer"}, "epochs": {"default": 4, "description": "Passes over each sampled batch.", "minimum": 1, "title": "Epochs", "type": "integer"}, "ratio_clip": {"default": 0.1, "description": "PPO likelihood-ratio clip epsilon.", "exclusiveMinimum": 0, "title": "Ratio Clip", "type": "number"}, "linear_lr_schedule": {"default": true, "description": "Anneal learning rate and ratio_clip linearly to 0 over the run.", "title": "Linear Lr Schedule", "type": "boolean"}, "normalize_advantage": {"default": false, "description": "Normalize advantages per batch.", "title": "Normalize Advantage", "type": "boolean"}}, "title": "PPOParams", "type": "object"};
const A2C_SCHEMA = {
  type: 'object', title: 'A2CParams', additionalProperties: false,
  properties: {
    discount: { type: 'number', default: 0.99, exclusiveMinimum: 0, maximum: 1, title: 'Discount', description: 'Reward discount factor gamma.' },
    learning_rate: { type: 'number', default: 0.001, exclusiveMinimum: 0, title: 'Learning Rate' },
    value_loss_coeff: { type: 'number', default: 0.5, minimum: 0, title: 'Value Loss Coeff' },
    clip_grad_norm: { anyOf: [{ type: 'number', exclusiveMinimum: 0 }, { type: 'null' }], default: 1.0, title: 'Clip Grad Norm' },
  },
};
const ALGOS = [
  { name: 'PPO', family: 'policy_gradient', params_schema: PPO_SCHEMA },
  { name: 'A2C', family: 'policy_gradient', params_schema: A2C_SCHEMA },
].map((a) => ({ ...a, defaults: Object.fromEntries(Object.entries(a.params_schema.properties).map(([k, v]) => [k, v.default ?? null])) }));
const ENVS = ['CartPole-v1', 'Acrobot-v1', 'MountainCar-v0', 'Pendulum-v1', 'LunarLander-v3', 'ALE/Pong-v5', 'HalfCheetah-v5', 'Slow-v0', 'Crashy-v0', 'Broker-Down-v0'];

const experiments = [];
const runs = [];
let nextExp = 1;
let nextRun = 1;

const iso = (ms) => (ms == null ? null : new Date(ms).toISOString());

function runState(r, now = Date.now()) {
  const t = (now - r.created) / 1000;
  const queuedFor = 0.8 + 0.5 * r.seed;
  if (t < queuedFor) return { status: 'queued', steps: 0, started: null, finished: null };
  const f = Math.min(1, (t - queuedFor) / r.duration);
  const started = r.created + queuedFor * 1000;
  if (r.crash && f >= 0.6) {
    return { status: 'failed', steps: Math.round(0.6 * r.total), started, finished: started + 0.6 * r.duration * 1000,
      error: 'Traceback (most recent call last):\n  File "engine/runner.py", line 88, in train\nRuntimeError: mock crash at 60%' };
  }
  if (f >= 1) return { status: 'succeeded', steps: r.total, started, finished: started + r.duration * 1000 };
  return { status: 'running', steps: Math.round(f * r.total), started, finished: null };
}

function runJson(r) {
  const s = runState(r);
  return {
    id: r.id, experiment_id: r.exp, seed: r.seed, status: s.status, queue: 'cpu',
    worker: s.status === 'queued' ? null : `mock-worker-${r.seed % 2}`,
    steps_done: s.steps, steps_total: r.total, progress: r.total ? s.steps / r.total : 0,
    created_at: iso(r.created), started_at: iso(s.started), finished_at: iso(s.finished),
    heartbeat_at: s.status === 'running' ? iso(Date.now()) : null, error: s.error ?? null,
  };
}

function summary(e) {
  const rs = runs.filter((r) => r.exp === e.id).map(runJson);
  const status_counts = {};
  for (const r of rs) status_counts[r.status] = (status_counts[r.status] ?? 0) + 1;
  return {
    id: e.id, name: e.spec.name, env_id: e.spec.env.id, algo: e.spec.algo.name, tags: e.tags,
    created_at: iso(e.created), status_counts,
    steps_done: rs.reduce((a, r) => a + r.steps_done, 0), steps_total: rs.reduce((a, r) => a + r.steps_total, 0),
  };
}

function value(key, seed, frac) {
  const noise = Math.sin(seed * 12.9898 + frac * 78.233) * 43758.5453;
  const n = noise - Math.floor(noise) - 0.5;
  if (key === 'return_mean') return 20 + 460 * (1 - Math.exp(-3.5 * frac * (1 + 0.15 * seed))) + 25 * n;
  if (key === 'loss') return 1.5 * Math.exp(-2 * frac) + 0.1 * n;
  return frac * 100 + 10 * n;
}

function curves(e, key) {
  const rs = runs.filter((r) => r.exp === e.id);
  const interval = e.spec.runner.log_interval_steps ?? Math.max(1, Math.round(e.spec.runner.n_steps / 25));
  const grid = [];
  for (let s = interval; s <= e.spec.runner.n_steps; s += interval) grid.push(s);
  const series = rs.map((r) => {
    const st = runState(r);
    const steps = grid.filter((s) => s <= st.steps);
    return { run_id: r.id, seed: r.seed, status: st.status, steps, values: steps.map((s) => value(key, r.seed, s / r.total)) };
  });
  const agg = { steps: [], mean: [], min: [], max: [], n: [] };
  grid.forEach((s) => {
    const vals = series.map((r) => r.values[r.steps.indexOf(s)]).filter((v) => v !== undefined);
    if (vals.length === 0) return;
    agg.steps.push(s);
    agg.n.push(vals.length);
    agg.mean.push(vals.reduce((a, b) => a + b, 0) / vals.length);
    agg.min.push(Math.min(...vals));
    agg.max.push(Math.max(...vals));
  });
  return { key, runs: series, aggregate: agg };
}

function validate(body) {
  const errs = [];
  const err = (loc, msg, type, input) => errs.push({ loc: ['body', ...loc], msg, type, input });
  const spec = body?.spec;
  if (!spec || typeof spec !== 'object') { err(['spec'], 'Field required', 'missing'); return errs; }
  if (typeof spec.name === 'string' && spec.name.length === 0) err(['spec', 'name'], 'String should have at least 1 character', 'string_too_short', spec.name);
  const envId = spec.env?.id;
  if (!envId) err(['spec', 'env', 'id'], 'String should have at least 1 character', 'string_too_short', envId);
  else if (!ENVS.includes(envId)) err(['spec', 'env', 'id'], `Value error, unknown environment id '${envId}': Environment ${envId} doesn't exist.`, 'value_error', envId);
  const algo = ALGOS.find((a) => a.name === spec.algo?.name);
  if (!algo) err(['spec', 'algo'], `Input tag '${spec.algo?.name}' found using 'name' does not match any of the expected tags: ${ALGOS.map((a) => `'${a.name}'`).join(', ')}`, 'union_tag_invalid');
  else for (const [k, v] of Object.entries(spec.algo.params ?? {})) {
    const p = algo.params_schema.properties[k];
    if (!p) err(['spec', 'algo', algo.name, 'params', k], 'Extra inputs are not permitted', 'extra_forbidden', v);
    else if (typeof p.exclusiveMinimum === 'number' && typeof v === 'number' && v <= p.exclusiveMinimum) err(['spec', 'algo', algo.name, 'params', k], `Input should be greater than ${p.exclusiveMinimum}`, 'greater_than', v);
    else if (typeof p.maximum === 'number' && typeof v === 'number' && v > p.maximum) err(['spec', 'algo', algo.name, 'params', k], `Input should be less than or equal to ${p.maximum}`, 'less_than_equal', v);
  }
  const n = spec.runner?.n_steps;
  if (n !== undefined && (!Number.isInteger(n))) err(['spec', 'runner', 'n_steps'], 'Input should be a valid integer, got a number with a fractional part', 'int_from_float', n);
  else if (n !== undefined && n < 1) err(['spec', 'runner', 'n_steps'], 'Input should be greater than or equal to 1', 'greater_than_equal', n);
  const seeds = spec.seeds ?? [0];
  if (seeds.length < 1) err(['spec', 'seeds'], 'List should have at least 1 item after validation, not 0', 'too_short', seeds);
  if (seeds.length > 100) err(['spec', 'seeds'], `List should have at most 100 items after validation, not ${seeds.length}`, 'too_long', seeds);
  return errs;
}

const send = (res, status, body) => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
};

async function api(req, res, url) {
  const p = url.pathname.replace(/^\/api\/v1/, '');
  let m;
  if (req.method === 'GET' && p === '/health') return send(res, 200, { status: 'ok', version: 'mock', database: 'ok', broker: 'ok' });
  if (req.method === 'GET' && p === '/catalog') return send(res, 200, { algorithms: ALGOS, samplers: ['serial'], runners: ['minibatch', 'minibatch_eval'], environments: ENVS, spec_schema: {} });
  if (req.method === 'GET' && p === '/experiments') {
    const limit = Number(url.searchParams.get('limit') ?? 50);
    const offset = Number(url.searchParams.get('offset') ?? 0);
    const all = [...experiments].reverse();
    return send(res, 200, { items: all.slice(offset, offset + limit).map(summary), total: all.length });
  }
  if (req.method === 'POST' && p === '/experiments') {
    let raw = '';
    for await (const chunk of req) raw += chunk;
    let body;
    try { body = JSON.parse(raw); } catch { return send(res, 422, { detail: [{ loc: ['body'], msg: 'JSON decode error', type: 'json_invalid' }] }); }
    const errs = validate(body);
    if (errs.length) return send(res, 422, { detail: errs });
    if (body.spec.env.id === 'Broker-Down-v0') return send(res, 503, { detail: 'broker unreachable: Error 111 connecting to 127.0.0.1:6379' });
    const spec = {
      name: body.spec.name ?? 'experiment', env: { id: body.spec.env.id, kwargs: {} },
      algo: { name: body.spec.algo.name, params: { ...ALGOS.find((a) => a.name === body.spec.algo.name).defaults, ...body.spec.algo.params } },
      model: { hidden_sizes: [64, 64], nonlinearity: 'tanh' }, sampler: { kind: 'serial', batch_T: 128, batch_B: 8 },
      runner: { kind: 'minibatch', n_steps: body.spec.runner?.n_steps ?? 100000, log_interval_steps: Math.max(1, Math.round((body.spec.runner?.n_steps ?? 100000) / 25)) },
      device: 'auto', seeds: body.spec.seeds ?? [0],
    };
    const e = { id: nextExp++, spec, tags: body.tags ?? [], created: Date.now() };
    experiments.push(e);
    spec.seeds.forEach((seed, i) => runs.push({
      id: nextRun++, exp: e.id, seed, created: e.created, total: spec.runner.n_steps,
      duration: (spec.env.id === 'Slow-v0' ? 60 : RUN_SECONDS) * (1 + 0.1 * i),
      crash: spec.env.id === 'Crashy-v0' && i === spec.seeds.length - 1,
    }));
    return send(res, 201, { ...summary(e), spec, runs: runs.filter((r) => r.exp === e.id).map(runJson) });
  }
  if (req.method === 'GET' && (m = p.match(/^\/experiments\/(\d+)$/))) {
    const e = experiments.find((x) => x.id === Number(m[1]));
    if (!e) return send(res, 404, { detail: 'experiment not found' });
    return send(res, 200, { ...summary(e), spec: e.spec, runs: runs.filter((r) => r.exp === e.id).map(runJson) });
  }
  if (req.method === 'GET' && (m = p.match(/^\/experiments\/(\d+)\/curves$/))) {
    const e = experiments.find((x) => x.id === Number(m[1]));
    if (!e) return send(res, 404, { detail: 'experiment not found' });
    return send(res, 200, curves(e, url.searchParams.get('key') ?? 'return_mean'));
  }
  if (req.method === 'GET' && (m = p.match(/^\/runs\/(\d+)$/))) {
    const r = runs.find((x) => x.id === Number(m[1]));
    return r ? send(res, 200, runJson(r)) : send(res, 404, { detail: 'run not found' });
  }
  return send(res, 404, { detail: 'Not Found' });
}

const TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml', '.json': 'application/json' };

async function staticFile(res, pathname) {
  const rel = normalize(decodeURIComponent(pathname)).replace(/^([/\\.])+/, '');
  let file = join(DIST, rel);
  try {
    if (!rel || !(await stat(file)).isFile()) file = join(DIST, 'index.html');
  } catch {
    file = join(DIST, 'index.html');
  }
  try {
    const body = await readFile(file);
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' });
    res.end(body);
  } catch {
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('dist/ not built: run npm run build first');
  }
}

createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const handler = url.pathname.startsWith('/api/') ? api(req, res, url) : staticFile(res, url.pathname);
  handler.catch((err) => send(res, 500, { detail: String(err) }));
}).listen(PORT, '127.0.0.1', () => console.log(`mock rlboard API + dashboard on http://127.0.0.1:${PORT}`));
