/**
 * Names for the API's payloads, derived from the generated schema by *path and method*, not by
 * component name, so they keep working when the backend renames or splits its pydantic models
 * (e.g. FastAPI's `Foo-Input` / `Foo-Output` variants). Regenerate schema.d.ts with
 * `npm run gen:api` after `python -m backend.openapi > openapi.json`.
 */
import type { paths } from './schema';

type JsonOk<Op> = Op extends { responses: { 200: { content: { 'application/json': infer T } } } }
  ? T
  : Op extends { responses: { 201: { content: { 'application/json': infer T } } } }
    ? T
    : never;

type JsonBody<Op> = Op extends {
  requestBody?: { content: { 'application/json': infer T } } | undefined;
}
  ? T
  : never;

export type Health = JsonOk<paths['/api/v1/health']['get']>;
export type Catalog = JsonOk<paths['/api/v1/catalog']['get']>;
export type AlgorithmInfo = Catalog['algorithms'][number];
export type ExperimentList = JsonOk<paths['/api/v1/experiments']['get']>;
export type ExperimentSummary = ExperimentList['items'][number];
export type ExperimentDetail = JsonOk<paths['/api/v1/experiments/{id}']['get']>;
export type Run = ExperimentDetail['runs'][number];
export type Curves = JsonOk<paths['/api/v1/experiments/{id}/curves']['get']>;
export type RunCurve = Curves['runs'][number];
export type CurveAggregate = Curves['aggregate'];
export type ExperimentCreate = JsonBody<paths['/api/v1/experiments']['post']>;
export type ExperimentSpecInput = ExperimentCreate['spec'];

/** Run states (ARCHITECTURE.md); the schema may type `status` as a plain string. */
export type RunStatus = Run['status'];

/** One item of FastAPI's 422 body: `{detail: ValidationErrorItem[]}`. */
export interface ValidationErrorItem {
  loc: (string | number)[];
  msg: string;
  type: string;
  input?: unknown;
}

/** A JSON Schema object as the catalog sends it (only the parts the form reads are typed). */
export interface JsonSchema {
  type?: string | string[];
  title?: string;
  description?: string;
  default?: unknown;
  enum?: unknown[];
  const?: unknown;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number | boolean;
  exclusiveMaximum?: number | boolean;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  $ref?: string;
  $defs?: Record<string, JsonSchema>;
  definitions?: Record<string, JsonSchema>;
  readOnly?: boolean;
  deprecated?: boolean;
  [key: string]: unknown;
}
