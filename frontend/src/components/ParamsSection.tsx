/**
 * A collapsible section of generated inputs: the algorithm's params, or a spec section (model,
 * sampler, runner), from its JSON Schema. Inputs are `${idPrefix}-${name}`; errors are read at
 * `param:${errorPrefix}${name}`.
 */
import type { SchemaField } from '../lib/schemaFields';
import { paramField, type FieldErrors } from '../lib/formFields';
import type { ParamInput } from '../lib/spec';

interface Props {
  title?: string;
  /** Prefix of the inputs' ids and test ids. */
  idPrefix?: string;
  /** Prefix of the fields' keys in `errors` ("model." for `param:model.hidden_sizes`). */
  errorPrefix?: string;
  description?: string;
  fields: readonly SchemaField[];
  inputs: Record<string, ParamInput>;
  errors: FieldErrors;
  changed: ReadonlySet<string>;
  open: boolean;
  onToggle: (open: boolean) => void;
  onChange: (name: string, value: ParamInput) => void;
  onReset: () => void;
}

function boundsHint(f: SchemaField): string {
  const parts: string[] = [];
  if (f.minimum !== undefined) parts.push(`≥ ${f.minimum}`);
  if (f.exclusiveMinimum !== undefined) parts.push(`> ${f.exclusiveMinimum}`);
  if (f.maximum !== undefined) parts.push(`≤ ${f.maximum}`);
  if (f.exclusiveMaximum !== undefined) parts.push(`< ${f.exclusiveMaximum}`);
  return parts.join(', ');
}

export function ParamsSection({
  title = 'Algorithm parameters',
  idPrefix = 'param',
  errorPrefix = '',
  description,
  fields,
  inputs,
  errors,
  changed,
  open,
  onToggle,
  onChange,
  onReset,
}: Props) {
  return (
    <details
      className="params"
      open={open}
      onToggle={(e) => onToggle((e.currentTarget as HTMLDetailsElement).open)}
      data-testid={idPrefix === 'param' ? 'algo-params' : `section-${idPrefix}`}
    >
      <summary>
        {title}{' '}
        <span className="muted">
          ({fields.length} {fields.length === 1 ? 'parameter' : 'parameters'}
          {changed.size > 0 ? `, ${changed.size} changed` : ', all defaults'})
        </span>
      </summary>
      {description && open && <p className="muted small">{description}</p>}
      {fields.length === 0 ? (
        <p className="muted">This algorithm publishes no editable parameters.</p>
      ) : (
        <div className="params-grid">
          {fields.map((f) => {
            const id = `${idPrefix}-${f.name}`;
            const err = errors[paramField(`${errorPrefix}${f.name}`)];
            const hint = boundsHint(f);
            const value = inputs[f.name];
            return (
              <div key={f.name} className={`param${changed.has(f.name) ? ' param-changed' : ''}`}>
                <label htmlFor={id} title={f.description}>
                  <span className="mono">{f.name}</span>
                </label>
                <div className="param-input">
                  {f.kind === 'boolean' ? (
                    <input
                      id={id}
                      type="checkbox"
                      data-testid={id}
                      checked={value === true}
                      onChange={(e) => onChange(f.name, e.target.checked)}
                    />
                  ) : f.kind === 'enum' ? (
                    <select
                      id={id}
                      data-testid={id}
                      value={typeof value === 'string' ? value : ''}
                      onChange={(e) => onChange(f.name, e.target.value)}
                    >
                      {f.nullable && <option value="">(none)</option>}
                      {(f.options ?? []).map((o) => (
                        <option key={String(o)} value={String(o)}>
                          {String(o)}
                        </option>
                      ))}
                    </select>
                  ) : (
                    <input
                      id={id}
                      data-testid={id}
                      type={f.kind === 'string' || f.kind === 'list' ? 'text' : 'number'}
                      step={f.kind === 'integer' ? 1 : 'any'}
                      min={f.minimum}
                      max={f.maximum}
                      inputMode={f.kind === 'integer' ? 'numeric' : f.kind === 'number' ? 'decimal' : undefined}
                      placeholder={f.kind === 'list' ? (f.nullable ? 'default, e.g. 64, 64' : 'e.g. 64, 64') : f.nullable ? '(none)' : 'default'}
                      value={typeof value === 'string' ? value : ''}
                      aria-invalid={err ? true : undefined}
                      onChange={(e) => onChange(f.name, e.target.value)}
                    />
                  )}
                  <span className="param-meta muted">
                    {f.kind === 'list' ? `list of ${f.itemKind ?? 'number'}s` : f.kind}
                    {f.default !== undefined && <> · default {f.default === null ? 'null (server decides)' : Array.isArray(f.default) ? f.default.join(', ') : String(f.default)}</>}
                    {hint && <> · {hint}</>}
                  </span>
                </div>
                {f.description && <div className="param-desc muted">{f.description}</div>}
                {err && (
                  <div className="field-error" data-testid={`error-${idPrefix}-${f.name}`} role="alert">
                    {err}
                  </div>
                )}
              </div>
            );
          })}
          <div>
            <button type="button" className="btn btn-small" onClick={onReset} disabled={changed.size === 0}>
              Reset to defaults
            </button>
          </div>
        </div>
      )}
    </details>
  );
}
