import { useEffect, useMemo, useState, type FormEvent } from 'react';
import { createExperiment, getCatalog } from '../api/client';
import type { AlgorithmInfo, ExperimentSpecInput, JsonSchema } from '../api/types';
import { ErrorBox } from '../components/ErrorBox';
import { ParamsSection } from '../components/ParamsSection';
import { usePoll } from '../hooks/usePoll';
import { mapValidationErrors } from '../lib/errors';
import type { BaseField, FieldErrors, FormField } from '../lib/formFields';
import { fieldsFromSchema } from '../lib/schemaFields';
import {
  buildSpec,
  changedParams,
  DEFAULT_ALGO,
  defaultExperimentName,
  initialFormValues,
  paramInputsFromDefaults,
  type LaunchFormValues,
  type ParamInput,
} from '../lib/spec';
import { navigate } from '../router';

function FieldError({ field, errors }: { field: BaseField; errors: FieldErrors }) {
  const msg = errors[field];
  if (!msg) return null;
  return (
    <div className="field-error" id={`error-${field}`} data-testid={`error-${field}`} role="alert">
      {msg}
    </div>
  );
}

const errorProps = (field: BaseField, errors: FieldErrors) =>
  errors[field] ? { 'aria-invalid': true as const, 'aria-describedby': `error-${field}` } : {};

export function LaunchPage() {
  const catalog = usePoll((signal) => getCatalog(signal), [], { intervalMs: 0, keepPolling: () => false });
  const algorithms: AlgorithmInfo[] = useMemo(() => catalog.data?.algorithms ?? [], [catalog.data]);
  const environments = catalog.data?.environments ?? [];

  const [values, setValues] = useState<LaunchFormValues>(() => initialFormValues());
  const [nameTouched, setNameTouched] = useState(false);
  const [errors, setErrors] = useState<FieldErrors>({});
  const [formError, setFormError] = useState<string[]>([]);
  const [submitting, setSubmitting] = useState(false);
  const [paramsOpen, setParamsOpen] = useState(false);

  useEffect(() => {
    document.title = 'New experiment · rlboard';
  }, []);

  // once the catalog is in: make sure the chosen algorithm exists (PPO by default, else the first)
  useEffect(() => {
    if (algorithms.length === 0) return;
    if (!algorithms.some((a) => a.name === values.algo)) {
      const algo = algorithms.find((a) => a.name === DEFAULT_ALGO)?.name ?? algorithms[0]?.name ?? '';
      setAlgo(algo);
    }
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [algorithms]);

  const selected = algorithms.find((a) => a.name === values.algo);
  const fields = useMemo(
    () => fieldsFromSchema(selected?.params_schema as JsonSchema | undefined, selected?.defaults),
    [selected],
  );

  // fresh param inputs (the defaults) whenever the algorithm's fields change
  useEffect(() => {
    setValues((v) => ({ ...v, params: paramInputsFromDefaults(fields) }));
  }, [fields]);

  const changed = useMemo(
    () => new Set(Object.keys(changedParams(fields, values.params).params)),
    [fields, values.params],
  );

  function clearError(field: FormField) {
    if (errors[field]) {
      setErrors((e) => {
        const next = { ...e };
        delete next[field];
        return next;
      });
    }
  }

  function update(patch: Partial<LaunchFormValues>, field: FormField) {
    setValues((v) => {
      const next = { ...v, ...patch };
      if (!nameTouched && ('algo' in patch || 'envId' in patch)) {
        next.name = defaultExperimentName(next.algo, next.envId);
      }
      return next;
    });
    clearError(field);
  }

  function setAlgo(algo: string) {
    update({ algo }, 'algo');
  }

  function setParam(name: string, value: ParamInput) {
    setValues((v) => ({ ...v, params: { ...v.params, [name]: value } }));
    clearError(`param:${name}`);
  }

  async function onSubmit(e: FormEvent) {
    e.preventDefault();
    if (submitting) return;
    setFormError([]);
    const { spec, errors: clientErrors } = buildSpec(values, fields);
    if (Object.keys(clientErrors).length > 0) {
      setErrors(clientErrors);
      if (Object.keys(clientErrors).some((k) => k.startsWith('param:'))) setParamsOpen(true);
      return;
    }
    setErrors({});
    setSubmitting(true);
    // The form only writes part of the spec (the server fills in the rest) and its algorithm
    // name comes from the catalog at run time, so the draft is handed over as the body's spec
    // type here; the server validates it and answers 422 where it is wrong.
    const result = await createExperiment({
      spec: spec as unknown as ExperimentSpecInput,
      tags: [],
      notes: '',
    });
    setSubmitting(false);
    if (result.ok) {
      navigate(`/experiments/${encodeURIComponent(String(result.experiment.id))}`);
      return;
    }
    if (result.validation && result.validation.length > 0) {
      const mapped = mapValidationErrors(
        result.validation,
        fields.map((f) => f.name),
      );
      setErrors(mapped.fields);
      setFormError(mapped.general);
      if (Object.keys(mapped.fields).some((k) => k.startsWith('param:'))) setParamsOpen(true);
    } else {
      setFormError([
        result.status === 503 ? `The server cannot take experiments right now: ${result.message}` : result.message,
      ]);
    }
  }

  return (
    <section className="launch">
      <div className="page-head">
        <h1>New experiment</h1>
      </div>

      {catalog.error && (
        <ErrorBox testId="catalog-error" onRetry={catalog.refresh}>
          Could not load the catalog of algorithms and environments: {catalog.error.message}
        </ErrorBox>
      )}

      <form className="card form" onSubmit={onSubmit} noValidate data-testid="launch-form">
        <div className="form-row">
          <label htmlFor="env-id">Environment</label>
          <div>
            <input
              id="env-id"
              data-testid="env-id"
              type="text"
              list="env-options"
              autoComplete="off"
              spellCheck={false}
              value={values.envId}
              onChange={(e) => update({ envId: e.target.value }, 'env-id')}
              {...errorProps('env-id', errors)}
            />
            <datalist id="env-options">
              {environments.map((env) => (
                <option key={env} value={env} />
              ))}
            </datalist>
            <div className="hint muted">Any gymnasium id, e.g. CartPole-v1, ALE/Pong-v5 or package.module:MyEnv-v0</div>
            <FieldError field="env-id" errors={errors} />
          </div>
        </div>

        <div className="form-row">
          <label htmlFor="algo">Algorithm</label>
          <div>
            <select
              id="algo"
              data-testid="algo"
              value={values.algo}
              onChange={(e) => setAlgo(e.target.value)}
              {...errorProps('algo', errors)}
            >
              {algorithms.length === 0 && <option value={values.algo}>{values.algo}</option>}
              {algorithms.map((a) => (
                <option key={a.name} value={a.name}>
                  {a.name}
                </option>
              ))}
            </select>
            {selected && <span className="hint muted inline">{selected.family.replace(/_/g, ' ')}</span>}
            <FieldError field="algo" errors={errors} />
          </div>
        </div>

        <div className="form-row">
          <label htmlFor="n-steps">Total steps</label>
          <div>
            <input
              id="n-steps"
              data-testid="n-steps"
              type="number"
              min={1}
              step={1}
              inputMode="numeric"
              value={values.nSteps}
              onChange={(e) => update({ nSteps: e.target.value }, 'n-steps')}
              {...errorProps('n-steps', errors)}
            />
            <div className="hint muted">Environment steps per seed (runner.n_steps)</div>
            <FieldError field="n-steps" errors={errors} />
          </div>
        </div>

        <div className="form-row">
          <label htmlFor="n-seeds">Seeds</label>
          <div>
            <input
              id="n-seeds"
              data-testid="n-seeds"
              type="number"
              min={1}
              step={1}
              inputMode="numeric"
              value={values.nSeeds}
              onChange={(e) => update({ nSeeds: e.target.value }, 'n-seeds')}
              {...errorProps('n-seeds', errors)}
            />
            <div className="hint muted">One run per seed, seeds 0 … n−1</div>
            <FieldError field="n-seeds" errors={errors} />
          </div>
        </div>

        <div className="form-row">
          <label htmlFor="exp-name">Name</label>
          <div>
            <input
              id="exp-name"
              data-testid="exp-name"
              type="text"
              autoComplete="off"
              value={values.name}
              onChange={(e) => {
                setNameTouched(true);
                update({ name: e.target.value }, 'exp-name');
              }}
              {...errorProps('exp-name', errors)}
            />
            <FieldError field="exp-name" errors={errors} />
          </div>
        </div>

        <ParamsSection
          fields={fields}
          inputs={values.params}
          errors={errors}
          changed={changed}
          open={paramsOpen}
          onToggle={setParamsOpen}
          onChange={setParam}
          onReset={() => setValues((v) => ({ ...v, params: paramInputsFromDefaults(fields) }))}
        />

        {formError.length > 0 && (
          <div className="error-box" role="alert" data-testid="form-error">
            {formError.length === 1 ? (
              <span>{formError[0]}</span>
            ) : (
              <ul>
                {formError.map((m, i) => (
                  <li key={i}>{m}</li>
                ))}
              </ul>
            )}
          </div>
        )}

        <div className="form-actions">
          <button type="submit" className="btn btn-primary" data-testid="launch-submit" disabled={submitting}>
            {submitting ? 'Launching…' : 'Launch'}
          </button>
          <span className="muted">
            Everything else (model, sampler, device, …) uses the server’s defaults.
          </span>
        </div>
      </form>
    </section>
  );
}
