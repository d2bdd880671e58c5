/**
 * Launch form values -> experiment spec. Only what the form edits goes into the spec (name, env
 * id, algorithm, runner.n_steps and its log interval, seeds and the algorithm parameters the user
 * changed); everything else is left to the server's defaults.
 */
import type { FieldValue, SchemaField } from './schemaFields';
import { paramField, type FieldErrors } from './formFields';

export const DEFAULT_ENV_ID = 'CartPole-v1';
export const DEFAULT_ALGO = 'PPO';
export const DEFAULT_N_STEPS = 100_000;
export const DEFAULT_N_SEEDS = 3;
/** Above this the form refuses to build a seed list at all (the server caps it lower). */
export const MAX_SEEDS_CLIENT = 10_000;

/** What a param input holds: the text of a number/text/select input, or a checkbox's state. */
export type ParamInput = string | boolean;

export interface LaunchFormValues {
  envId: string;
  algo: string;
  /** Raw text of the number inputs, so "1e6" or an empty box are handled here, not by React. */
  nSteps: string;
  nSeeds: string;
  name: string;
  params: Record<string, ParamInput>;
}

/** The part of the spec the form writes; the server fills in the rest. */
export interface SpecDraft {
  name: string;
  env: { id: string };
  algo: { name: string; params: Record<string, FieldValue> };
  runner: { n_steps: number; log_interval_steps: number };
  seeds: number[];
}

/** Rows logged per run launched from the form: enough for a smooth live curve at any length. */
export const ROWS_PER_RUN = 100;
/** Fewer steps between rows would spend more time logging than training small runs. */
export const MIN_LOG_INTERVAL_STEPS = 1000;

export function logIntervalFor(nSteps: number): number {
  return Math.max(MIN_LOG_INTERVAL_STEPS, Math.round(nSteps / ROWS_PER_RUN));
}

export function defaultExperimentName(algo: string, envId: string): string {
  return `${algo.trim().toLowerCase() || 'experiment'}-${envId.trim()}`;
}

export function initialFormValues(algo = DEFAULT_ALGO, envId = DEFAULT_ENV_ID): LaunchFormValues {
  return {
    envId,
    algo,
    nSteps: String(DEFAULT_N_STEPS),
    nSeeds: String(DEFAULT_N_SEEDS),
    name: defaultExperimentName(algo, envId),
    params: {},
  };
}

/** The input state that shows each field's default. */
export function paramInputsFromDefaults(fields: readonly SchemaField[]): Record<string, ParamInput> {
  const out: Record<string, ParamInput> = {};
  for (const f of fields) out[f.name] = defaultAsInput(f);
  return out;
}

function defaultAsInput(f: SchemaField): ParamInput {
  if (f.kind === 'boolean') return f.default === true;
  return f.default === undefined || f.default === null ? '' : String(f.default);
}

/** Parses one param input; `undefined` value means "leave to the server's default". */
export function parseParamInput(
  field: SchemaField,
  input: ParamInput | undefined,
): { value?: FieldValue; error?: string } {
  if (input === undefined) return {};
  if (field.kind === 'boolean') return { value: input === true };
  const text = typeof input === 'string' ? input.trim() : String(input);
  if (text === '') return field.nullable ? { value: null } : {};
  switch (field.kind) {
    case 'number':
    case 'integer': {
      const n = Number(text);
      if (!Number.isFinite(n)) return { error: 'Enter a number' };
      if (field.kind === 'integer' && !Number.isInteger(n)) return { error: 'Enter a whole number' };
      return { value: n };
    }
    case 'enum': {
      const opt = field.options?.find((o) => String(o) === text);
      return { value: opt ?? text };
    }
    default:
      return { value: text };
  }
}

function sameValue(a: FieldValue | undefined, b: FieldValue | undefined): boolean {
  if (typeof a === 'number' && typeof b === 'number') return a === b || Math.abs(a - b) <= 1e-12 * Math.max(Math.abs(a), Math.abs(b));
  return a === b;
}

/** The params whose value differs from the field's default, plus per-param parse errors. */
export function changedParams(
  fields: readonly SchemaField[],
  inputs: Record<string, ParamInput>,
): { params: Record<string, FieldValue>; errors: FieldErrors } {
  const params: Record<string, FieldValue> = {};
  const errors: FieldErrors = {};
  for (const f of fields) {
    const { value, error } = parseParamInput(f, inputs[f.name]);
    if (error) errors[paramField(f.name)] = error;
    else if (value !== undefined && !sameValue(value, f.default)) params[f.name] = value;
  }
  return { params, errors };
}

/** `n` seeds 0..n-1; n = 0 gives [] so that the server reports the limit itself. */
export function seedList(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

/**
 * Builds the spec from the form. Errors are only what cannot be sent at all (an empty or
 * non-numeric box, a negative or fractional seed count); limits are the server's to check, and
 * its 422 lands at the same fields.
 */
export function buildSpec(
  values: LaunchFormValues,
  fields: readonly SchemaField[],
): { spec: SpecDraft; errors: FieldErrors } {
  const errors: FieldErrors = {};

  const nStepsText = values.nSteps.trim();
  const nSteps = Number(nStepsText);
  if (nStepsText === '') errors['n-steps'] = 'Enter the number of environment steps';
  else if (!Number.isFinite(nSteps)) errors['n-steps'] = 'Enter a number';

  const nSeedsText = values.nSeeds.trim();
  const nSeeds = Number(nSeedsText);
  let seeds: number[] = [];
  if (nSeedsText === '') errors['n-seeds'] = 'Enter the number of seeds';
  else if (!Number.isInteger(nSeeds) || nSeeds < 0 || nSeeds > MAX_SEEDS_CLIENT)
    errors['n-seeds'] = `Enter a whole number of seeds (1 or more)`;
  else seeds = seedList(nSeeds);

  if (values.algo.trim() === '') errors.algo = 'Choose an algorithm';

  const { params, errors: paramErrors } = changedParams(fields, values.params);
  Object.assign(errors, paramErrors);

  const spec: SpecDraft = {
    name: values.name.trim(),
    env: { id: values.envId.trim() },
    algo: { name: values.algo, params },
    runner: {
      n_steps: Number.isFinite(nSteps) ? nSteps : 0,
      log_interval_steps: logIntervalFor(Number.isFinite(nSteps) ? nSteps : 0),
    },
    seeds,
  };
  return { spec, errors };
}
