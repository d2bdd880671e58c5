/**
 * Turns the JSON Schema of an algorithm's params (as the catalog sends it, i.e. pydantic's
 * `model_json_schema()`) into a flat list of editable form fields. Pure, so the form generator
 * can grow (every algorithm, every parameter) without touching the components.
 */
import type { JsonSchema } from '../api/types';

export type FieldKind = 'number' | 'integer' | 'boolean' | 'string' | 'enum' | 'list';

/** A value a field can hold; `null` only for nullable fields, a number list for `list`. */
export type FieldValue = number | boolean | string | null | number[];

export interface SchemaField {
  name: string;
  /** Human label: the schema's `title`, else the property name. */
  title: string;
  kind: FieldKind;
  /** The schema default (or the catalog's `defaults[name]`); undefined when there is none. */
  default: FieldValue | undefined;
  description?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  /** True when `null` is an accepted value (`anyOf: [{...}, {type: 'null'}]`). */
  nullable: boolean;
  required: boolean;
  /** The choices of an `enum` field. */
  options?: (string | number)[];
  /** A `list` field's item type (lists of numbers, entered as "64, 64"). */
  itemKind?: 'integer' | 'number';
  /** A `list` field's bounds on its length. */
  maxItems?: number;
}

const SCALAR_KINDS = new Set(['number', 'integer', 'boolean', 'string']);

/**
 * The editable (scalar) fields of an object schema, in property order. Arrays, objects and
 * read-only properties are left out; `$ref`s into the schema's own `$defs`/`definitions` are
 * followed; `anyOf` with `null` marks a field nullable.
 */
export function fieldsFromSchema(
  schema: JsonSchema | null | undefined,
  defaults?: Record<string, unknown>,
): SchemaField[] {
  if (!schema || typeof schema !== 'object') return [];
  const root = schema;
  const obj = resolve(schema, root);
  const props = obj.properties ?? {};
  const required = new Set(obj.required ?? []);
  const fields: SchemaField[] = [];
  for (const [name, rawProp] of Object.entries(props)) {
    if (!rawProp || typeof rawProp !== 'object') continue;
    const field = fieldFromProperty(name, rawProp, root, required.has(name), defaults?.[name]);
    if (field) fields.push(field);
  }
  return fields;
}

function fieldFromProperty(
  name: string,
  prop: JsonSchema,
  root: JsonSchema,
  required: boolean,
  catalogDefault: unknown,
): SchemaField | undefined {
  const outer = prop;
  let s = resolve(prop, root);
  if (outer.readOnly || s.readOnly) return undefined;

  let nullable = false;
  const alternatives = s.anyOf ?? s.oneOf;
  if (alternatives) {
    const members = alternatives.map((m) => resolve(m, root));
    const nonNull = members.filter((m) => !isNullType(m));
    nullable = nonNull.length < members.length;
    const only = nonNull[0];
    if (nonNull.length === 1 && only) {
      s = { ...only, ...pickAnnotations(s) };
    } else if (nonNull.length > 1 && nonNull.every((m) => scalarChoices(m) !== undefined)) {
      s = { ...pickAnnotations(s), enum: nonNull.flatMap((m) => scalarChoices(m) ?? []) };
    } else {
      return undefined;
    }
  }

  let type = s.type;
  if (Array.isArray(type)) {
    const nonNull = type.filter((t) => t !== 'null');
    nullable = nullable || nonNull.length < type.length;
    if (nonNull.length !== 1) return undefined;
    type = nonNull[0];
  }

  let kind: FieldKind;
  let options: (string | number)[] | undefined;
  let itemKind: SchemaField['itemKind'];
  const choices = scalarChoices(s);
  const items = type === 'array' && s.items ? resolve(s.items, root) : undefined;
  if (items && (items.type === 'integer' || items.type === 'number')) {
    kind = 'list';
    itemKind = items.type;
  } else if (choices !== undefined && choices.every((c) => typeof c !== 'boolean')) {
    kind = 'enum';
    options = choices as (string | number)[];
  } else if (typeof type === 'string' && SCALAR_KINDS.has(type)) {
    kind = type as FieldKind;
  } else {
    return undefined;
  }

  const rawDefault = 'default' in outer ? outer.default : 'default' in s ? s.default : catalogDefault;
  const field: SchemaField = {
    name,
    title: typeof (outer.title ?? s.title) === 'string' ? String(outer.title ?? s.title) : name,
    kind,
    default: toFieldValue(rawDefault),
    nullable,
    required,
  };
  const description = outer.description ?? s.description;
  if (typeof description === 'string') field.description = description;
  if (options) field.options = options;
  if (kind === 'number' || kind === 'integer') Object.assign(field, bounds(s));
  if (kind === 'list' && items && itemKind) {
    field.itemKind = itemKind;
    Object.assign(field, bounds(items));
    if (typeof s.maxItems === 'number') field.maxItems = s.maxItems;
  }
  return field;
}

function bounds(s: JsonSchema): Partial<SchemaField> {
  const b: Partial<SchemaField> = {};
  if (typeof s.minimum === 'number') b.minimum = s.minimum;
  if (typeof s.maximum === 'number') b.maximum = s.maximum;
  // JSON Schema 2019+/OpenAPI 3.1: exclusive bounds are numbers; draft 4: booleans on min/max.
  if (typeof s.exclusiveMinimum === 'number') b.exclusiveMinimum = s.exclusiveMinimum;
  else if (s.exclusiveMinimum === true && b.minimum !== undefined) {
    b.exclusiveMinimum = b.minimum;
    delete b.minimum;
  }
  if (typeof s.exclusiveMaximum === 'number') b.exclusiveMaximum = s.exclusiveMaximum;
  else if (s.exclusiveMaximum === true && b.maximum !== undefined) {
    b.exclusiveMaximum = b.maximum;
    delete b.maximum;
  }
  return b;
}

function toFieldValue(v: unknown): FieldValue | undefined {
  if (v === null) return null;
  if (Array.isArray(v) && v.every((x) => typeof x === 'number')) return v as number[];
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'string') return v;
  return undefined;
}

function isNullType(s: JsonSchema): boolean {
  return s.type === 'null' || (Array.isArray(s.type) && s.type.length === 1 && s.type[0] === 'null');
}

function scalarChoices(s: JsonSchema): (string | number | boolean)[] | undefined {
  const raw = s.enum ?? ('const' in s ? [s.const] : undefined);
  if (!raw) return undefined;
  const ok = raw.every((v) => ['string', 'number', 'boolean'].includes(typeof v));
  return ok ? (raw as (string | number | boolean)[]) : undefined;
}

function pickAnnotations(s: JsonSchema): JsonSchema {
  const out: Record<string, unknown> = {};
  for (const k of ['title', 'description', 'default', 'readOnly']) {
    if (k in s) out[k] = s[k];
  }
  return out as JsonSchema;
}

/** Follows `$ref` (a local JSON pointer) and single-element `allOf` wrappers, a few levels deep. */
function resolve(s: JsonSchema, root: JsonSchema): JsonSchema {
  let cur = s;
  for (let depth = 0; depth < 16; depth++) {
    if (typeof cur.$ref === 'string') {
      const target = lookupPointer(root, cur.$ref);
      if (!target) return cur;
      const { $ref: _ignored, ...rest } = cur;
      cur = { ...target, ...rest };
      continue;
    }
    const single = cur.allOf?.length === 1 ? cur.allOf[0] : undefined;
    if (single) {
      const { allOf: _ignored, ...rest } = cur;
      cur = { ...single, ...rest };
      continue;
    }
    return cur;
  }
  return cur;
}

function lookupPointer(root: JsonSchema, ref: string): JsonSchema | undefined {
  if (!ref.startsWith('#')) return undefined;
  let node: unknown = root;
  for (const part of ref.slice(1).split('/').filter(Boolean)) {
    const key = decodeURIComponent(part).replace(/~1/g, '/').replace(/~0/g, '~');
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return typeof node === 'object' && node !== null ? (node as JsonSchema) : undefined;
}

/** The spec sections the launch form offers beside the algorithm's params. */
export const SPEC_SECTIONS = ['model', 'sampler', 'runner'] as const;
export type SpecSection = (typeof SPEC_SECTIONS)[number];

/** Fields the form edits elsewhere (its own inputs) rather than in a section. */
const OWN_INPUTS: Partial<Record<SpecSection, readonly string[]>> = { runner: ['n_steps'] };

export interface SectionFields {
  name: SpecSection;
  title: string;
  description?: string;
  fields: SchemaField[];
}

/** The editable fields of each section of the spec's JSON Schema (`$ref`s into `$defs`). */
export function specSections(specSchema: JsonSchema | null | undefined): SectionFields[] {
  if (!specSchema?.properties) return [];
  const out: SectionFields[] = [];
  for (const name of SPEC_SECTIONS) {
    const prop = specSchema.properties[name];
    if (!prop) continue;
    const sub = resolve(prop, specSchema);
    const skip = OWN_INPUTS[name] ?? [];
    const fields = fieldsFromSchema({ ...sub, $defs: specSchema.$defs }).filter((f) => !skip.includes(f.name));
    const section: SectionFields = { name, title: name[0]?.toUpperCase() + name.slice(1), fields };
    if (typeof sub.description === 'string') section.description = sub.description;
    out.push(section);
  }
  return out;
}
