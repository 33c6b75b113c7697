// Input blocks for our modals and the readers of what comes back in view.state.values
// (view_submission payload: values[block_id][action_id] = {type, value | selected_option | selected_options}).
// Each input block has one element whose action_id is VALUE_ACTION_ID, so a field is named by its block_id
// alone, which is also the key `response_action: "errors"` expects.
import type { InputBlock, Option, PlainTextOption } from '@slack/types';
import { z } from 'zod';
import { truncate } from '../mrkdwn';
import { SLACK_LIMITS } from '../blocks/block-kit';

export const VALUE_ACTION_ID = 'value';

const stateValueSchema = z.looseObject({
  type: z.string(),
  value: z.string().nullish(),
  selected_option: z.looseObject({ value: z.string() }).nullish(),
  selected_options: z.array(z.looseObject({ value: z.string() })).nullish(),
});
export const viewStateValuesSchema = z.record(z.string(), z.record(z.string(), stateValueSchema));
export type ViewStateValues = z.infer<typeof viewStateValuesSchema>;

interface Common {
  blockId: string;
  label: string;
  hint?: string;
  optional?: boolean;
}

function label(text: string): InputBlock['label'] {
  return { type: 'plain_text', text: truncate(text, SLACK_LIMITS.inputLabel), emoji: true };
}

function common(c: Common): Pick<InputBlock, 'type' | 'block_id' | 'label' | 'hint' | 'optional'> {
  return {
    type: 'input',
    block_id: c.blockId,
    label: label(c.label),
    ...(c.hint ? { hint: { type: 'plain_text', text: truncate(c.hint, SLACK_LIMITS.hint) } } : {}),
    ...(c.optional ? { optional: true } : {}),
  };
}

function placeholder(text: string | undefined): { placeholder?: { type: 'plain_text'; text: string } } {
  return text ? { placeholder: { type: 'plain_text', text: truncate(text, SLACK_LIMITS.placeholder) } } : {};
}

export function textInput(c: Common & { initial?: string; placeholder?: string; multiline?: boolean; maxLength?: number }): InputBlock {
  return {
    ...common(c),
    element: {
      type: 'plain_text_input',
      action_id: VALUE_ACTION_ID,
      ...(c.initial !== undefined && c.initial !== '' ? { initial_value: c.initial } : {}),
      ...placeholder(c.placeholder),
      ...(c.multiline ? { multiline: true } : {}),
      ...(c.maxLength ? { max_length: c.maxLength } : {}),
    },
  };
}

export function integerInput(c: Common & { initial?: number; min?: number; max?: number }): InputBlock {
  return {
    ...common(c),
    element: {
      type: 'number_input',
      action_id: VALUE_ACTION_ID,
      is_decimal_allowed: false,
      ...(c.initial !== undefined ? { initial_value: String(c.initial) } : {}),
      ...(c.min !== undefined ? { min_value: String(c.min) } : {}),
      ...(c.max !== undefined ? { max_value: String(c.max) } : {}),
    },
  };
}

export function option(text: string, value: string): PlainTextOption {
  return { text: { type: 'plain_text', text: truncate(text, SLACK_LIMITS.optionText), emoji: true }, value: value.slice(0, SLACK_LIMITS.optionValue) };
}

export function selectInput(c: Common & { options: PlainTextOption[]; initial?: string; placeholder?: string }): InputBlock {
  const options = c.options.slice(0, SLACK_LIMITS.selectOptions);
  const initial = options.find((o) => o.value === c.initial);
  return {
    ...common(c),
    element: {
      type: 'static_select',
      action_id: VALUE_ACTION_ID,
      options,
      ...(initial ? { initial_option: initial } : {}),
      ...placeholder(c.placeholder ?? 'Choose…'),
    },
  };
}

export function radioInput(c: Common & { options: Option[]; initial?: string }): InputBlock {
  const initial = c.options.find((o) => o.value === c.initial);
  return {
    ...common(c),
    element: { type: 'radio_buttons', action_id: VALUE_ACTION_ID, options: c.options.slice(0, 10), ...(initial ? { initial_option: initial } : {}) },
  };
}

export function checkboxInput(c: Common & { option: Option; checked: boolean }): InputBlock {
  return {
    ...common(c),
    element: { type: 'checkboxes', action_id: VALUE_ACTION_ID, options: [c.option], ...(c.checked ? { initial_options: [c.option] } : {}) },
  };
}

/** The batch settings both forms ask for, in the same words and limits (src/domain/batch-settings.ts). */
export const BATCH_SETTING_INPUTS = {
  miniBatchSize: { label: 'Mini-batch size', min: 1, hint: 'Files per call to run().' },
  instanceCount: { label: 'Instance count', min: 1, max: 1000 },
  errorThreshold: { label: 'Error threshold', min: -1, hint: 'Failed items tolerated before the job fails; -1 ignores all failures.' },
  maxRetries: { label: 'Max retries per mini-batch', min: 0, max: 100 },
  timeout: { label: 'Mini-batch timeout', hint: 'An ISO 8601 duration: PT30S, PT5M.' },
} as const;

/** The submitted value of a field: text, a number as text, or the chosen option's value. Trimmed; '' if empty. */
export function readValue(values: ViewStateValues, blockId: string): string {
  const v = values[blockId]?.[VALUE_ACTION_ID];
  if (!v) return '';
  return (v.value ?? v.selected_option?.value ?? '').trim();
}

/** Whether a checkbox field has its option ticked. */
export function readChecked(values: ViewStateValues, blockId: string, optionValue: string): boolean {
  const v = values[blockId]?.[VALUE_ACTION_ID];
  return (v?.selected_options ?? []).some((o) => o.value === optionValue);
}
