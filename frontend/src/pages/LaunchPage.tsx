import { useEffect, useMemo, useRef, useState, type FormEvent } from 'react';
import { createExperiment, getCatalog } from '../api/client';
import type { AlgorithmInfo, ExperimentSpecInput, JsonSchema } from '../api/types';
import { ErrorBox } from '../components/ErrorBox';
import { ParamsSection } from '../components/ParamsSection';
import { usePoll } from '../hooks/usePoll';
import { mapValidationErrors } from '../lib/errors';
import type { BaseField, FieldErrors, FormField } from '../lib/formFields';
import { fieldsFromSchema, specSections, type SpecSection } from '../lib/schemaFields';
import {
  buildSpec,
  changedParams,
  DEFAULT_ALGO,
  defaultExperimentName,
  formFromSpec,
  initialFormValues,
  paramInputsFromDefaults,
  sectionInputsFromDefaults,
  type LaunchFormValues,
  type ParamInput,
} from '../lib/spec';
import { buildSweep, sweepTargets, valueSeparator, type SweepRow } from '../lib/sweep';
import { parseYaml, toYaml } from '../lib/yaml';
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
  const sections = useMemo(() => specSections(catalog.data?.spec_schema as JsonSchema | undefined), [catalog.data]);
  const presets = useMemo(() => catalog.data?.presets ?? [], [catalog.data]);
  const deviceOptions = useMemo(() => {
    const device = (catalog.data?.spec_schema as JsonSchema | undefined)?.properties?.['device'];
    return (device?.enum as string[] | undefined) ?? ['auto', 'cpu', 'cuda'];
  }, [catalog.data]);

  const [values, setValues] = useState<LaunchFormValues>(() => initialFormValues());
  const [nameTouched, setNameTouched] = useState(false);
  const [errors, setErrors] = useState<FieldErrors>({});
  const [formError, setFormError] = useState<string[]>([]);
  const [submitting, setSubmitting] = useState(false);
  const [paramsOpen, setParamsOpen] = useState(false);
  const [openSections, setOpenSections] = useState<ReadonlySet<string>>(new Set());
  const [sweepRows, setSweepRows] = useState<SweepRow[]>([]);
  const [tags, setTags] = useState('');
  const [yamlOpen, setYamlOpen] = useState(false);
  const [yamlText, setYamlText] = useState('');
  const [yamlNote, setYamlNote] = useState<{ error: boolean; text: string }>();
  const [preset, setPreset] = useState('');
  /** Params of an applied spec, kept until its algorithm's fields are in place. */
  const pendingParams = useRef<Record<string, ParamInput> | undefined>(undefined);

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

  // fresh param inputs (the defaults, or an applied spec's) whenever the algorithm's fields change
  useEffect(() => {
    const pending = pendingParams.current;
    pendingParams.current = undefined;
    setValues((v) => ({ ...v, params: { ...paramInputsFromDefaults(fields), ...pending } }));
  }, [fields]);

  // the sections' defaults once the catalog's spec schema is in
  useEffect(() => {
    setValues((v) => ({ ...v, sections: { ...sectionInputsFromDefaults(sections), ...v.sections } }));
  }, [sections]);

  const sectionFieldNames = useMemo(() => sections.flatMap((s) => s.fields.map((f) => `${s.name}.${f.name}`)), [sections]);
  const targets = useMemo(() => sweepTargets(fields, sections), [fields, sections]);
  const sweep = useMemo(() => buildSweep(sweepRows, targets), [sweepRows, targets]);
  const seedCount = Number(values.nSeeds);
  const runCount = Number.isInteger(seedCount) && seedCount > 0 ? seedCount * sweep.variants : undefined;
  const sectionChanged = (name: SpecSection) => {
    const section = sections.find((s) => s.name === name);
    return new Set(section ? Object.keys(changedParams(section.fields, values.sections[name] ?? {}).params) : []);
  };

  /** Puts a spec (pasted YAML or a preset) into the form; says what it could not show. */
  function applySpec(spec: unknown): string[] {
    const target = algorithms.find((a) => a.name === (spec as { algo?: { name?: string } })?.algo?.name);
    const targetFields = target
      ? fieldsFromSchema(target.params_schema as JsonSchema, target.defaults)
      : fields;
    const { values: next, ignored } = formFromSpec(spec, targetFields, sections);
    if (target && target.name !== values.algo) pendingParams.current = next.params;
    setValues(next);
    setNameTouched(true);
    setErrors({});
    setFormError([]);
    return ignored;
  }

  function setSectionInput(section: SpecSection, name: string, value: ParamInput) {
    setValues((v) => ({ ...v, sections: { ...v.sections, [section]: { ...v.sections[section], [name]: value } } }));
    clearError(`param:${section}.${name}`);
  }

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

  /** Opens the collapsed sections that hold a field with an error. */
  function openErrorSections(keys: string[]) {
    const params = keys.filter((k) => k.startsWith('param:')).map((k) => k.slice('param:'.length));
    if (params.some((k) => !k.includes('.'))) setParamsOpen(true);
    const names = params.filter((k) => k.includes('.')).map((k) => k.split('.')[0] ?? '');
    if (names.length > 0) setOpenSections((open) => new Set([...open, ...names]));
  }

  function openYaml(open: boolean) {
    setYamlOpen(open);
    if (open) {
      setYamlText(toYaml(buildSpec(values, fields, sections).spec));
      setYamlNote(undefined);
    }
  }

  function applyYaml() {
    try {
      const ignored = applySpec(parseYaml(yamlText));
      setYamlNote({ error: false, text: ignored.length ? `Applied; not shown in the form and left to defaults: ${ignored.join(', ')}` : 'Applied to the form.' });
    } catch (err) {
      setYamlNote({ error: true, text: err instanceof Error ? err.message : String(err) });
    }
  }

  function choosePreset(name: string) {
    setPreset(name);
    const found = presets.find((p) => p.name === name);
    if (found) applySpec(found.spec);
  }

  async function onSubmit(e: FormEvent) {
    e.preventDefault();
    if (submitting) return;
    setFormError([]);
    const { spec, errors: clientErrors } = buildSpec(values, fields, sections);
    if (Object.keys(clientErrors).length > 0 || Object.keys(sweep.errors).length > 0) {
      setErrors(clientErrors);
      openErrorSections(Object.keys(clientErrors));
      return;
    }
    setErrors({});
    setSubmitting(true);
    // The form only writes part of the spec (the server fills in the rest) and its algorithm
    // name comes from the catalog at run time, so the draft is handed over as the body's spec
    // type here; the server validates it and answers 422 where it is wrong.
    const result = await createExperiment({
      spec: spec as unknown as ExperimentSpecInput,
      tags: tags.split(',').map((t) => t.trim()).filter(Boolean),
      notes: '',
      ...(sweep.sweep ? { sweep: sweep.sweep } : {}),
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
        sectionFieldNames,
      );
      setErrors(mapped.fields);
      setFormError(mapped.general);
      openErrorSections(Object.keys(mapped.fields));
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
        {presets.length > 0 && (
          <div className="form-row">
            <label htmlFor="preset">Preset</label>
            <div>
              <select id="preset" data-testid="preset" value={preset} onChange={(e) => choosePreset(e.target.value)}>
                <option value="">(none: start from the defaults)</option>
                {presets.map((p) => (
                  <option key={p.name} value={p.name}>
                    {p.name} ({p.algorithm}, {p.env_id})
                  </option>
                ))}
              </select>
              <div className="hint muted" data-testid="preset-hint">
                {presetHint(presets.find((p) => p.name === preset))}
              </div>
            </div>
          </div>
        )}
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

        {sections.map((section) => (
          <ParamsSection
            key={section.name}
            title={section.title}
            idPrefix={section.name}
            errorPrefix={`${section.name}.`}
            description={section.description}
            fields={section.fields}
            inputs={values.sections[section.name] ?? {}}
            errors={errors}
            changed={sectionChanged(section.name)}
            open={openSections.has(section.name)}
            onToggle={(open) =>
              setOpenSections((s) => {
                const next = new Set(s);
                if (open) next.add(section.name);
                else next.delete(section.name);
                return next;
              })
            }
            onChange={(name, value) => setSectionInput(section.name, name, value)}
            onReset={() => setValues((v) => ({ ...v, sections: { ...v.sections, [section.name]: paramInputsFromDefaults(section.fields) } }))}
          />
        ))}

        <div className="form-row">
          <label htmlFor="device">Device</label>
          <div>
            <select id="device" data-testid="device" value={values.device} onChange={(e) => setValues((v) => ({ ...v, device: e.target.value }))}>
              {deviceOptions.map((d) => (
                <option key={d} value={d}>
                  {d}
                </option>
              ))}
            </select>
            <div className="hint muted">auto takes a GPU when the worker has one; cuda queues the runs for GPU workers</div>
          </div>
        </div>

        <div className="form-row">
          <label htmlFor="tags">Tags</label>
          <div>
            <input id="tags" data-testid="tags" type="text" value={tags} onChange={(e) => setTags(e.target.value)} placeholder="baseline, ablation" autoComplete="off" />
            <div className="hint muted">Comma-separated; the compare page can take every experiment with a tag</div>
          </div>
        </div>

        <fieldset className="params sweep" data-testid="sweep">
          <legend className="section-title">Sweep</legend>
          <p className="muted small">
            A grid over parameters: every combination runs with every seed. Separate values with “,” (lists with “;”).
          </p>
          {sweepRows.map((row, i) => {
            const target = targets.find((t) => t.path === row.path);
            return (
              <div className="sweep-row" key={i}>
                <select
                  aria-label={`Sweep parameter ${i + 1}`}
                  value={row.path}
                  onChange={(e) => setSweepRows((rows) => rows.map((r, j) => (j === i ? { ...r, path: e.target.value } : r)))}
                  data-testid="sweep-path"
                >
                  <option value="">choose a parameter</option>
                  {targets.map((t) => (
                    <option key={t.path} value={t.path}>
                      {t.path}
                    </option>
                  ))}
                </select>
                <div>
                  <input
                    type="text"
                    aria-label={`Sweep values ${i + 1}`}
                    value={row.values}
                    placeholder={target ? (target.field.kind === 'list' ? '64, 64; 256, 256' : `e.g. ${String(target.field.default ?? 1)}${valueSeparator(target.field)} …`) : ''}
                    onChange={(e) => setSweepRows((rows) => rows.map((r, j) => (j === i ? { ...r, values: e.target.value } : r)))}
                    data-testid="sweep-values"
                    aria-invalid={sweep.errors[i] ? true : undefined}
                  />
                  {sweep.errors[i] && (
                    <div className="field-error" role="alert" data-testid="sweep-error">
                      {sweep.errors[i]}
                    </div>
                  )}
                </div>
                <button type="button" className="btn btn-small" aria-label={`Remove sweep parameter ${i + 1}`} onClick={() => setSweepRows((rows) => rows.filter((_, j) => j !== i))}>
                  Remove
                </button>
              </div>
            );
          })}
          <div className="form-actions">
            <button type="button" className="btn btn-small" onClick={() => setSweepRows((rows) => [...rows, { path: '', values: '' }])} data-testid="sweep-add">
              Add parameter
            </button>
            <span className="muted small" data-testid="run-count">
              {runCount === undefined ? '' : `${sweep.variants} variant${sweep.variants === 1 ? '' : 's'} × ${seedCount} seed${seedCount === 1 ? '' : 's'} = ${runCount} run${runCount === 1 ? '' : 's'}`}
            </span>
          </div>
        </fieldset>

        <details className="params" open={yamlOpen} onToggle={(e) => openYaml((e.currentTarget as HTMLDetailsElement).open)} data-testid="yaml-view">
          <summary>YAML</summary>
          <p className="muted small">The spec this form launches. Paste a spec (YAML or JSON) and apply it to fill the form; copy it for <span className="mono">rlboard submit</span>.</p>
          <textarea className="yaml-box" aria-label="Spec as YAML" spellCheck={false} value={yamlText} onChange={(e) => setYamlText(e.target.value)} data-testid="yaml-text" />
          <div className="form-actions">
            <button type="button" className="btn btn-small" onClick={applyYaml} data-testid="yaml-apply">
              Apply to form
            </button>
            <button type="button" className="btn btn-small" onClick={() => openYaml(true)}>
              Reload from form
            </button>
            <button type="button" className="btn btn-small" onClick={() => void navigator.clipboard?.writeText(yamlText).catch(() => undefined)}>
              Copy
            </button>
          </div>
          {yamlNote && (
            <div className={yamlNote.error ? 'field-error' : 'hint muted'} role={yamlNote.error ? 'alert' : undefined} data-testid="yaml-note">
              {yamlNote.text}
            </div>
          )}
        </details>

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
            {submitting ? 'Launching…' : runCount && runCount > 1 ? `Launch ${runCount} runs` : 'Launch'}
          </button>
          <span className="muted">Anything left at its default is filled in by the server.</span>
        </div>
      </form>
    </section>
  );
}

function presetHint(preset: { algorithm: string; env_id: string } | undefined): string {
  return preset
    ? `${preset.algorithm} on ${preset.env_id}, the engine's reference settings: edit anything before launching.`
    : 'Fills the form with one of the engine’s reference experiments.';
}
