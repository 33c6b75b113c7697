// state.values for a view_submission, built the way Slack's client builds them: one entry per input
// block (block_id → action_id → value), in the shape of bolt's ViewStateValue, starting from each
// element's initial value; a person fills fields by block_id, action_id or label, and cannot submit
// while a required input is empty.
import { SlackDriverError } from './driver-errors';

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

export type FieldValue = string | boolean | string[];
/** One element's value, shaped like bolt's ViewStateValue ({ type, value | selected_* }). */
export type StateValue = { type: string } & Json;
export type StateValues = Record<string, Record<string, StateValue>>;

interface Option {
  text: { type: string; text: string };
  value: string;
}

export interface InputField {
  blockId: string;
  actionId: string;
  label: string;
  optional: boolean;
  element: Json;
}

/** The input blocks of a view, in order. */
export function inputFields(blocks: unknown[]): InputField[] {
  return blocks.filter(isObject).flatMap((b) => {
    if (b.type !== 'input' || !isObject(b.element)) return [];
    const label = isObject(b.label) && typeof b.label.text === 'string' ? b.label.text : '';
    return [{ blockId: String(b.block_id), actionId: String(b.element.action_id), label, optional: b.optional === true, element: b.element }];
  });
}

function optionsOf(element: Json): Option[] {
  const direct = Array.isArray(element.options) ? element.options : [];
  const grouped = Array.isArray(element.option_groups)
    ? element.option_groups.flatMap((g) => (isObject(g) && Array.isArray(g.options) ? g.options : []))
    : [];
  return [...direct, ...grouped].filter(isObject) as unknown as Option[];
}

const asOption = (o: Option): Option => ({ text: o.text, value: o.value });

function findOption(field: InputField, wanted: string): Option {
  const options = optionsOf(field.element);
  const w = wanted.toLowerCase();
  const found = options.find((o) => o.value === wanted) ?? options.find((o) => o.text.text.toLowerCase() === w);
  if (!found) {
    throw new SlackDriverError(
      'option_not_found',
      `"${wanted}" is not an option of ${field.blockId} (${options.map((o) => o.value).join(', ')})`,
    );
  }
  return asOption(found);
}

const list = (v: FieldValue): string[] => (Array.isArray(v) ? v : typeof v === 'string' ? [v] : []);

/** The state value an element holds before the person touches it. */
export function initialStateValue(element: Json): StateValue {
  const type = String(element.type);
  switch (type) {
    case 'plain_text_input':
    case 'number_input':
    case 'email_text_input':
    case 'url_text_input':
      return { type, value: typeof element.initial_value === 'string' ? element.initial_value : null };
    case 'static_select':
    case 'external_select':
    case 'radio_buttons':
      return { type, selected_option: isObject(element.initial_option) ? asOption(element.initial_option as unknown as Option) : null };
    case 'multi_static_select':
    case 'multi_external_select':
    case 'checkboxes':
      return {
        type,
        selected_options: Array.isArray(element.initial_options) ? (element.initial_options as Option[]).map(asOption) : [],
      };
    case 'users_select':
      return { type, selected_user: element.initial_user ?? null };
    case 'multi_users_select':
      return { type, selected_users: element.initial_users ?? [] };
    case 'conversations_select':
      return { type, selected_conversation: element.initial_conversation ?? null };
    case 'multi_conversations_select':
      return { type, selected_conversations: element.initial_conversations ?? [] };
    case 'channels_select':
      return { type, selected_channel: element.initial_channel ?? null };
    case 'multi_channels_select':
      return { type, selected_channels: element.initial_channels ?? [] };
    case 'datepicker':
      return { type, selected_date: element.initial_date ?? null };
    case 'timepicker':
      return { type, selected_time: element.initial_time ?? null };
    default:
      throw new SlackDriverError('unsupported_element', `input element type ${type} is not supported by the driver`);
  }
}

/** The state value after the person sets `value` on this field. */
export function filledStateValue(field: InputField, value: FieldValue): StateValue {
  const type = String(field.element.type);
  switch (type) {
    case 'plain_text_input':
    case 'number_input':
    case 'email_text_input':
    case 'url_text_input':
      return { type, value: value === '' ? null : String(value) };
    case 'static_select':
    case 'external_select':
    case 'radio_buttons':
      return { type, selected_option: findOption(field, String(value)) };
    case 'checkboxes': {
      const options = optionsOf(field.element);
      const chosen = typeof value === 'boolean' ? (value ? options.map(asOption) : []) : list(value).map((v) => findOption(field, v));
      return { type, selected_options: chosen };
    }
    case 'multi_static_select':
    case 'multi_external_select':
      return { type, selected_options: list(value).map((v) => findOption(field, v)) };
    case 'users_select':
      return { type, selected_user: String(value) };
    case 'multi_users_select':
      return { type, selected_users: list(value) };
    case 'conversations_select':
      return { type, selected_conversation: String(value) };
    case 'multi_conversations_select':
      return { type, selected_conversations: list(value) };
    case 'channels_select':
      return { type, selected_channel: String(value) };
    case 'multi_channels_select':
      return { type, selected_channels: list(value) };
    case 'datepicker':
      return { type, selected_date: String(value) };
    case 'timepicker':
      return { type, selected_time: String(value) };
    default:
      throw new SlackDriverError('unsupported_element', `input element type ${type} is not supported by the driver`);
  }
}

function isEmpty(state: Json): boolean {
  return Object.entries(state).every(([key, v]) => key === 'type' || v === null || (Array.isArray(v) && v.length === 0));
}

export function matchField(fields: InputField[], key: string): InputField | undefined {
  const k = key.trim().toLowerCase();
  return (
    fields.find((f) => f.blockId === key) ??
    fields.find((f) => f.actionId === key) ??
    fields.find((f) => f.label.trim().toLowerCase() === k)
  );
}

/** state.values after filling `values` (keys: block_id, action_id or label) into the view's inputs. */
export function fillStateValues(blocks: unknown[], values: Record<string, FieldValue>): StateValues {
  const fields = inputFields(blocks);
  const state: StateValues = {};
  for (const f of fields) state[f.blockId] = { [f.actionId]: initialStateValue(f.element) };
  for (const [key, value] of Object.entries(values)) {
    const field = matchField(fields, key);
    if (!field) {
      throw new SlackDriverError(
        'field_not_found',
        `no input "${key}" in the view (inputs: ${fields.map((f) => `${f.blockId}/${f.actionId} "${f.label}"`).join(', ')})`,
      );
    }
    state[field.blockId] = { [field.actionId]: filledStateValue(field, value) };
  }
  const missing = fields.filter((f) => !f.optional && isEmpty(state[f.blockId]?.[f.actionId] ?? {}));
  if (missing.length) {
    // Slack's client refuses to submit and marks the fields "Please fill out this field".
    throw new SlackDriverError('required_input_missing', `required inputs are empty: ${missing.map((f) => f.blockId).join(', ')}`);
  }
  return state;
}
