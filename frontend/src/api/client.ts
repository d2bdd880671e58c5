/**
 * The typed REST client: openapi-fetch over the generated `paths`, same origin, every path under
 * /api/v1 (the dev server proxies /api to the backend). Every call the dashboard makes lives in
 * this file, so a change in the backend's schema shows up as type errors here and nowhere else.
 */
import createClient from 'openapi-fetch';
import type { paths } from './schema';
import type {
  Catalog,
  Curves,
  ExperimentCreate,
  ExperimentDetail,
  ExperimentList,
  Health,
  Run,
  ValidationErrorItem,
} from './types';

export const api = createClient<paths>({ baseUrl: '' });

/** A failed request: HTTP status (0 for a network failure) and a readable message. */
export class ApiError extends Error {
  readonly status: number;
  readonly body: unknown;
  constructor(status: number, message: string, body?: unknown) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.body = body;
  }
}

/** `detail` of a FastAPI error body as one line (string detail, or the first validation items). */
export function describeErrorBody(body: unknown, status: number): string {
  const detail = isObject(body) ? body['detail'] : undefined;
  if (typeof detail === 'string' && detail) return detail;
  const items = asValidationItems(detail);
  if (items && items.length > 0) {
    return items.map((it) => `${it.loc.join('.')}: ${it.msg}`).join('; ');
  }
  if (status === 0) return 'Cannot reach the rlboard server.';
  return `Request failed with HTTP ${status}.`;
}

/** The items of a 422 `detail`, or undefined when it has another shape. */
export function asValidationItems(detail: unknown): ValidationErrorItem[] | undefined {
  if (!Array.isArray(detail)) return undefined;
  const items: ValidationErrorItem[] = [];
  for (const raw of detail as unknown[]) {
    if (!isObject(raw)) return undefined;
    const loc = raw['loc'];
    const msg = raw['msg'];
    if (!Array.isArray(loc) || typeof msg !== 'string') return undefined;
    items.push({
      loc: (loc as unknown[]).filter(
        (p): p is string | number => typeof p === 'string' || typeof p === 'number',
      ),
      msg,
      type: typeof raw['type'] === 'string' ? raw['type'] : '',
      input: raw['input'],
    });
  }
  return items;
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

type Result<T> = { data?: T; error?: unknown; response: Response };

/** The response body, or an ApiError with the status and FastAPI's `detail` as the message. */
export async function unwrap<T>(call: Promise<Result<T>>): Promise<T> {
  let result: Result<T>;
  try {
    result = await call;
  } catch (err) {
    if (err instanceof DOMException && err.name === 'AbortError') throw err;
    throw new ApiError(0, 'Cannot reach the rlboard server.', err);
  }
  const { data, error, response } = result;
  if (response.ok && data !== undefined) return data;
  throw new ApiError(response.status, describeErrorBody(error, response.status), error);
}

export type ExperimentPathId = paths['/api/v1/experiments/{id}']['get']['parameters']['path']['id'];
export type RunPathId = paths['/api/v1/runs/{id}']['get']['parameters']['path']['id'];

/**
 * A route segment as the schema's path-parameter type. Ids are integers in the current schema;
 * digit strings become numbers and anything else is passed through, so string ids keep working.
 */
export function pathId<T extends ExperimentPathId | RunPathId>(raw: string): T {
  return (/^\d+$/.test(raw) ? Number(raw) : raw) as T;
}

export function getHealth(signal?: AbortSignal): Promise<Health> {
  return unwrap(api.GET('/api/v1/health', { signal }));
}

export function getCatalog(signal?: AbortSignal): Promise<Catalog> {
  return unwrap(api.GET('/api/v1/catalog', { signal }));
}

export function listExperiments(
  page: { limit: number; offset: number },
  signal?: AbortSignal,
): Promise<ExperimentList> {
  return unwrap(api.GET('/api/v1/experiments', { params: { query: page }, signal }));
}

export function getExperiment(id: string, signal?: AbortSignal): Promise<ExperimentDetail> {
  return unwrap(
    api.GET('/api/v1/experiments/{id}', {
      params: { path: { id: pathId<ExperimentPathId>(id) } },
      signal,
    }),
  );
}

export function getCurves(
  id: string,
  query: { key: string; max_points: number },
  signal?: AbortSignal,
): Promise<Curves> {
  return unwrap(
    api.GET('/api/v1/experiments/{id}/curves', {
      params: { path: { id: pathId<ExperimentPathId>(id) }, query },
      signal,
    }),
  );
}

export function getRun(id: string, signal?: AbortSignal): Promise<Run> {
  return unwrap(
    api.GET('/api/v1/runs/{id}', { params: { path: { id: pathId<RunPathId>(id) } }, signal }),
  );
}

export type CreateResult =
  | { ok: true; experiment: ExperimentDetail }
  | { ok: false; status: number; validation: ValidationErrorItem[] | undefined; message: string };

/** POST /experiments; a 422 comes back as `validation` items, anything else as `message`. */
export async function createExperiment(body: ExperimentCreate): Promise<CreateResult> {
  try {
    const { data, error, response } = await api.POST('/api/v1/experiments', { body });
    if (response.ok && data !== undefined) return { ok: true, experiment: data };
    const detail = isObject(error) ? error['detail'] : undefined;
    return {
      ok: false,
      status: response.status,
      validation: response.status === 422 ? asValidationItems(detail) : undefined,
      message: describeErrorBody(error, response.status),
    };
  } catch (err) {
    return {
      ok: false,
      status: 0,
      validation: undefined,
      message: err instanceof Error ? `Cannot reach the rlboard server: ${err.message}` : String(err),
    };
  }
}
