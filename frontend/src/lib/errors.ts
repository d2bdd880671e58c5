/**
 * Maps FastAPI/pydantic 422 errors onto the launch form: each `loc` (e.g.
 * `["body","spec","env","id"]`) names the field to show the message at; the rest go to the
 * general error box.
 */
import type { ValidationErrorItem } from '../api/types';
import { paramField, type FieldErrors, type FormField } from './formFields';

export interface MappedErrors {
  fields: FieldErrors;
  general: string[];
}

/**
 * The form field that a `loc` points at, or undefined for one the form has no input for.
 * The leading `"body"` and `"spec"` segments are optional, so a backend that validates the spec
 * on its own (loc `["spec", ...]` or `["env", "id"]`) maps the same way. Pydantic puts the
 * discriminator tag into union locations (`["algo", "PPO", "params", "learning_rate"]`); that
 * segment is skipped.
 */
export function fieldForLoc(
  loc: readonly (string | number)[],
  paramNames: readonly string[] = [],
  sectionFieldNames: readonly string[] = [],
): FormField | undefined {
  let path = [...loc];
  if (path[0] === 'body') path = path.slice(1);
  if (path[0] === 'spec') path = path.slice(1);
  const [head, ...rest] = path;
  switch (head) {
    case 'name':
      return rest.length === 0 ? 'exp-name' : undefined;
    case 'env':
      // env.id, or env itself (missing / wrong type); env.kwargs has no input yet
      return rest.length === 0 || rest[0] === 'id' ? 'env-id' : undefined;
    case 'algo': {
      const paramsAt = rest.indexOf('params');
      if (paramsAt >= 0 && paramsAt <= 1) {
        const param = rest[paramsAt + 1];
        if (typeof param === 'string' && paramNames.includes(param)) return paramField(param);
        return 'algo';
      }
      return 'algo';
    }
    case 'runner':
    case 'model':
    case 'sampler': {
      if (head === 'runner' && rest[0] === 'n_steps') return 'n-steps';
      const dotted = `${head}.${String(rest[0])}`;
      return sectionFieldNames.includes(dotted) ? paramField(dotted) : undefined;
    }
    case 'seeds':
      return 'n-seeds';
    default:
      return undefined;
  }
}

/** Readable `loc` for the general box: `sampler.batch_T` (without body/spec). */
export function locLabel(loc: readonly (string | number)[]): string {
  let path = [...loc];
  if (path[0] === 'body') path = path.slice(1);
  if (path[0] === 'spec' && path.length > 1) path = path.slice(1);
  return path.join('.');
}

/** Groups 422 items by form field; several messages for one field are joined with "; ". */
export function mapValidationErrors(
  items: readonly ValidationErrorItem[],
  paramNames: readonly string[] = [],
  sectionFieldNames: readonly string[] = [],
): MappedErrors {
  const fields: FieldErrors = {};
  const general: string[] = [];
  for (const item of items) {
    const field = fieldForLoc(item.loc, paramNames, sectionFieldNames);
    if (field) {
      const prev = fields[field];
      fields[field] = prev ? `${prev}; ${item.msg}` : item.msg;
    } else {
      const where = locLabel(item.loc);
      general.push(where ? `${where}: ${item.msg}` : item.msg);
    }
  }
  return { fields, general };
}
