/** The launch form's fields, named like their `data-testid`s (`error-<field>`). */
export const FORM_FIELDS = ['env-id', 'algo', 'n-steps', 'n-seeds', 'exp-name'] as const;
export type BaseField = (typeof FORM_FIELDS)[number];
/** A base field, or one algorithm parameter (`param:learning_rate`). */
export type FormField = BaseField | `param:${string}`;
export type FieldErrors = Partial<Record<FormField, string>>;

export const paramField = (name: string): FormField => `param:${name}`;
