// One declaration per form field: its block id, the input it shows (built from what the form opens with),
// how its value enters the spec when it maps one-to-one, and which spec paths' errors it shows. The
// deploy and run forms list their fields once; the blocks, the reading of simple values and the placing
// of schema errors are derived here.
import type { KnownBlock } from '@slack/types';
import { divider, section } from '../blocks/block-kit';
import { readChecked, readValue, type ViewStateValues } from './modal-inputs';

/** How a field's submitted value enters the spec, when it maps to one spec path. */
export type FieldValue =
  /** The text as typed (trimmed); absent when empty, unless kept so the schema says what an empty one lacks. */
  | { path: readonly string[]; as: 'text'; keepEmpty?: boolean }
  /** A whole number, checked here so the message names the field; absent when empty. */
  | { path: readonly string[]; as: 'integer'; named: string }
  /** Whether the checkbox's one option is ticked; always present. */
  | { path: readonly string[]; as: 'checked'; option: string };

export interface FormField<Context> {
  blockId: string;
  /** Opens a group of fields: a divider and this heading (mrkdwn) come before the field. */
  heading?: string;
  /** The input block; `blockId` is the field's own. */
  input(context: Context, blockId: string): KnownBlock;
  /** Absent: the form reads the value itself, together with other fields (an asset and its name). */
  value?: FieldValue;
  /** Spec paths (dotted) whose schema errors this field shows; the field with the longest matching path wins. */
  shows: readonly string[];
  /** Shows them only while this holds for the submitted spec (the name field of an uploaded model only). */
  showsWhen?(raw: Readonly<Record<string, unknown>>): boolean;
}

export type FormErrors = Partial<Record<string, string>>;

/** The block ids of a form's fields, by the names the code uses for them. */
export function blockIdsOf<K extends string, B extends string>(fields: Readonly<Record<K, { blockId: B }>>): { readonly [k in K]: B } {
  return Object.fromEntries(Object.entries<{ blockId: B }>(fields).map(([key, field]) => [key, field.blockId])) as { [k in K]: B };
}

/** The form's blocks: its intro, then each field, groups opened by a divider and their heading. */
export function formBlocks<Context>(intro: string, fields: readonly FormField<Context>[], context: Context): KnownBlock[] {
  return [
    section(intro),
    ...fields.flatMap((field) => [...(field.heading ? [divider(), section(field.heading)] : []), field.input(context, field.blockId)]),
  ];
}

/** Reads every field that maps to one spec path into `raw` (nested objects made as needed). */
export function readFieldValues<Context>(
  fields: readonly FormField<Context>[],
  values: ViewStateValues,
  raw: Record<string, unknown>,
  errors: FormErrors,
): void {
  for (const field of fields) {
    const how = field.value;
    if (!how) continue;
    let value: unknown;
    if (how.as === 'checked') value = readChecked(values, field.blockId, how.option);
    else {
      const text = readValue(values, field.blockId);
      if (text === '' && !(how.as === 'text' && how.keepEmpty)) continue;
      value = how.as === 'integer' ? readInteger(values, field.blockId, how.named, errors) : text;
      if (value === undefined) continue;
    }
    setPath(raw, how.path, value);
  }
}

/** A whole-number field: its number, undefined when empty, or an error saying it must be whole. */
export function readInteger(values: ViewStateValues, blockId: string, named: string, errors: FormErrors): number | undefined {
  const text = readValue(values, blockId);
  if (text === '') return undefined;
  if (!/^-?\d{1,9}$/.test(text)) {
    errors[blockId] = `${named} must be a whole number.`;
    return undefined;
  }
  return Number(text);
}

function setPath(target: Record<string, unknown>, path: readonly string[], value: unknown): void {
  const last = path[path.length - 1];
  if (last === undefined) return;
  let at = target;
  for (const key of path.slice(0, -1)) {
    const next = at[key];
    if (typeof next === 'object' && next !== null) at = next as Record<string, unknown>;
    else at = at[key] = {};
  }
  at[last] = value;
}

/** The block id of the field that shows errors at `path`, or undefined when no field owns the path. */
export function owningField<Context>(
  fields: readonly FormField<Context>[],
  path: readonly PropertyKey[],
  raw: Readonly<Record<string, unknown>>,
): string | undefined {
  const dotted = path.map(String);
  let best: { blockId: string; length: number } | undefined;
  for (const field of fields) {
    if (field.showsWhen && !field.showsWhen(raw)) continue;
    for (const shown of field.shows) {
      const parts = shown.split('.');
      const matches = parts.length <= dotted.length && parts.every((p, i) => p === dotted[i]);
      if (matches && (!best || parts.length > best.length)) best = { blockId: field.blockId, length: parts.length };
    }
  }
  return best?.blockId;
}

/**
 * A problem no field owns (a new spec rule the form does not know yet): shown on the form's first field,
 * where the submission handler puts its form-wide refusals too, marked as about the whole form and added
 * to that field's own message rather than replacing it or being dropped.
 */
export function addFormError(errors: FormErrors, firstBlockId: string, message: string): void {
  const formWide = `This form: ${message}`;
  const own = errors[firstBlockId];
  errors[firstBlockId] = own === undefined ? formWide : `${own} ${formWide}`;
}

/** A spec path in words for a form-wide message ("retrySettings.timeout"). */
export function pathText(path: readonly PropertyKey[]): string {
  return path.map(String).join('.') || 'the spec';
}
