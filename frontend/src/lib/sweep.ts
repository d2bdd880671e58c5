/**
 * The launch form's sweep builder: rows of (parameter, values) -> the API's `sweep`
 * `{dotted.path: [values]}`, a grid whose every combination runs with every seed.
 */
import type { FieldValue, SchemaField, SectionFields } from './schemaFields';
import { parseParamInput } from './spec';

export interface SweepRow {
  path: string;
  /** "1e-3, 3e-4"; list-valued parameters separate their values with ";" ("64, 64; 256, 256"). */
  values: string;
}

export interface SweepTarget {
  path: string;
  field: SchemaField;
}

/** Every parameter a sweep can vary: the algorithm's params, then the sections' fields. */
export function sweepTargets(params: readonly SchemaField[], sections: readonly SectionFields[]): SweepTarget[] {
  return [
    ...params.map((field) => ({ path: `algo.params.${field.name}`, field })),
    ...sections.flatMap((s) => s.fields.map((field) => ({ path: `${s.name}.${field.name}`, field }))),
  ];
}

export function valueSeparator(field: SchemaField): string {
  return field.kind === 'list' ? ';' : ',';
}

/** One row's values, typed by the field; an error names what could not be read. */
export function parseSweepValues(row: SweepRow, target: SweepTarget | undefined): { values: FieldValue[]; error?: string } {
  if (!target) return { values: [], error: 'Choose a parameter' };
  const parts = row.values.split(valueSeparator(target.field)).map((p) => p.trim()).filter(Boolean);
  if (parts.length === 0) return { values: [], error: 'Enter at least one value' };
  const values: FieldValue[] = [];
  for (const part of parts) {
    const input = target.field.kind === 'boolean' ? /^(true|1|yes|on)$/i.test(part) : part;
    if (target.field.kind === 'boolean' && !/^(true|false|1|0|yes|no|on|off)$/i.test(part)) {
      return { values: [], error: `"${part}" is not true or false` };
    }
    const { value, error } = parseParamInput(target.field, input);
    if (error) return { values: [], error: `"${part}": ${error}` };
    if (value !== undefined && !values.some((v) => JSON.stringify(v) === JSON.stringify(value))) values.push(value);
  }
  return { values };
}

/** The sweep body and how many variants (combinations) it makes; errors by row index. */
export function buildSweep(
  rows: readonly SweepRow[],
  targets: readonly SweepTarget[],
): { sweep: Record<string, FieldValue[]> | undefined; variants: number; errors: Record<number, string> } {
  const sweep: Record<string, FieldValue[]> = {};
  const errors: Record<number, string> = {};
  rows.forEach((row, i) => {
    if (!row.path && !row.values.trim()) return; // an empty row is no axis
    if (row.path in sweep) {
      errors[i] = 'This parameter is swept twice';
      return;
    }
    const { values, error } = parseSweepValues(row, targets.find((t) => t.path === row.path));
    if (error) errors[i] = error;
    else sweep[row.path] = values;
  });
  const axes = Object.values(sweep);
  return {
    sweep: axes.length > 0 ? sweep : undefined,
    variants: axes.reduce((n, values) => n * values.length, 1),
    errors,
  };
}
