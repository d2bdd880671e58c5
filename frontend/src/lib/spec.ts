/**
 * Launch form values -> experiment spec. Only what the form edits goes into the spec (name, env
 * id, algorithm, runner.n_steps and its log interval, seeds and the algorithm parameters the user
 * changed); everything else is left to the server's defaults.
 */
import type { FieldValue, SchemaField, SectionFields, SpecSection } from './schemaFields';
import { paramField, type FieldErrors, type FormField } from './formFields';

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
  /** Inputs of the model/sampler/runner sections, by section then field. */
  sections: Partial<Record<SpecSection, Record<string, ParamInput>>>;
  device: string;
}

/** The part of the spec the form writes; the server fills in the rest. */
export interface SpecDraft {
  name: string;
  env: { id: string };
  algo: { name: string; params: Record<string, FieldValue> };
  runner: { n_steps: number; log_interval_steps: number } & Record<string, FieldValue>;
  model?: Record<string, FieldValue>;
  sampler?: Record<string, FieldValue>;
  device?: string;
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
    sections: {},
    device: 'auto',
  };
}

/** The input state that shows each field's default. */
export function paramInputsFromDefaults(fields: readonly SchemaField[]): Record<string, ParamInput> {
  const out: Record<string, ParamInput> = {};
  for (const f of fields) out[f.name] = defaultAsInput(f);
  return out;
}

/** The input state of every section field at its default. */
export function sectionInputsFromDefaults(sections: readonly SectionFields[]): LaunchFormValues['sections'] {
  return Object.fromEntries(sections.map((s) => [s.name, paramInputsFromDefaults(s.fields)]));
}

/** The text or checkbox state that shows a value in a field's input. */
export function valueAsInput(f: SchemaField, v: unknown): ParamInput {
  if (f.kind === 'boolean') return v === true;
  if (v === undefined || v === null) return '';
  if (Array.isArray(v)) return v.join(', ');
  return String(v);
}

function defaultAsInput(f: SchemaField): ParamInput {
  return valueAsInput(f, f.default);
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
    case 'list': {
      const parts = text.replace(/^\[|\]$/g, '').split(/[\s,]+/).filter(Boolean);
      const nums = parts.map(Number);
      if (nums.some((n) => !Number.isFinite(n))) return { error: 'Enter numbers separated by commas' };
      if (field.itemKind === 'integer' && nums.some((n) => !Number.isInteger(n))) return { error: 'Enter whole numbers' };
      return { value: nums };
    }
    default:
      return { value: text };
  }
}

function sameValue(a: FieldValue | undefined, b: FieldValue | undefined): boolean {
  if (Array.isArray(a) || Array.isArray(b)) return JSON.stringify(a) === JSON.stringify(b);
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
  sections: readonly SectionFields[] = [],
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

  const changedSections: Partial<Record<SpecSection, Record<string, FieldValue>>> = {};
  for (const section of sections) {
    const { params: changed, errors: sectionErrors } = changedParams(section.fields, values.sections[section.name] ?? {});
    for (const [k, msg] of Object.entries(sectionErrors)) errors[sectionField(section.name, k.slice('param:'.length))] = msg;
    if (Object.keys(changed).length > 0) changedSections[section.name] = changed;
  }

  const spec: SpecDraft = {
    name: values.name.trim(),
    env: { id: values.envId.trim() },
    algo: { name: values.algo, params },
    runner: {
      n_steps: Number.isFinite(nSteps) ? nSteps : 0,
      log_interval_steps: logIntervalFor(Number.isFinite(nSteps) ? nSteps : 0),
      ...changedSections.runner,
    },
    seeds,
  };
  if (changedSections.model) spec.model = changedSections.model;
  if (changedSections.sampler) spec.sampler = changedSections.sampler;
  if (values.device && values.device !== 'auto') spec.device = values.device;
  return { spec, errors };
}

/** A section field's key in the form's errors: `param:model.hidden_sizes`. */
export function sectionField(section: string, name: string): FormField {
  return paramField(`${section}.${name}`);
}

/**
 * The form values that show a spec (pasted YAML, a preset): every field the form has is set
 * from the spec or else its default; the rest of the spec is not representable and is
 * reported in `ignored` (dotted paths).
 */
export function formFromSpec(
  spec: unknown,
  fields: readonly SchemaField[],
  sections: readonly SectionFields[],
): { values: LaunchFormValues; ignored: string[] } {
  const obj = isRecord(spec) ? spec : {};
  const env = isRecord(obj['env']) ? obj['env'] : {};
  const algo = isRecord(obj['algo']) ? obj['algo'] : {};
  const runner = isRecord(obj['runner']) ? obj['runner'] : {};
  const algoName = typeof algo['name'] === 'string' ? algo['name'] : DEFAULT_ALGO;
  const envId = typeof env['id'] === 'string' ? env['id'] : DEFAULT_ENV_ID;
  const values = initialFormValues(algoName, envId);
  const ignored: string[] = [];
  if (typeof obj['name'] === 'string') values.name = obj['name'];
  if (typeof runner['n_steps'] === 'number') values.nSteps = String(runner['n_steps']);
  if (Array.isArray(obj['seeds'])) values.nSeeds = String(obj['seeds'].length);
  if (typeof obj['device'] === 'string') values.device = obj['device'];
  const fill = (target: readonly SchemaField[], given: Record<string, unknown>, prefix: string) => {
    const inputs = paramInputsFromDefaults(target);
    for (const [k, v] of Object.entries(given)) {
      const f = target.find((x) => x.name === k);
      if (f) inputs[k] = valueAsInput(f, v);
      else if (!(prefix === 'runner' && (k === 'n_steps' || k === 'log_interval_steps'))) ignored.push(`${prefix}.${k}`);
    }
    return inputs;
  };
  values.params = fill(fields, isRecord(algo['params']) ? algo['params'] : {}, 'algo.params');
  for (const section of sections) {
    values.sections[section.name] = fill(section.fields, isRecord(obj[section.name]) ? (obj[section.name] as Record<string, unknown>) : {}, section.name);
  }
  if (isRecord(env['kwargs']) && Object.keys(env['kwargs']).length > 0) ignored.push('env.kwargs');
  return { values, ignored };
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}
