import { SlackDriverError } from '../../sandbox/slack/driver-errors';
import { fillStateValues } from '../../sandbox/slack/view-state-values';

const option = (text: string, value: string) => ({ text: { type: 'plain_text', text }, value });
const input = (block_id: string, label: string, element: object, optional = false) => ({
  type: 'input',
  block_id,
  optional,
  label: { type: 'plain_text', text: label },
  element,
});
const blocks = [
  input('name', 'Endpoint name', { type: 'plain_text_input', action_id: 'v' }),
  input('size', 'Mini batch size', { type: 'number_input', action_id: 'n', is_decimal_allowed: false, initial_value: '10' }),
  input('compute', 'Compute', { type: 'static_select', action_id: 'c', options: [option('CPU cluster', 'cpu'), option('GPU cluster', 'gpu')] }),
  input('tags', 'Tags', { type: 'multi_static_select', action_id: 't', options: [option('prod', 'prod'), option('test', 'test')] }, true),
  input('confirm', 'Confirm', { type: 'checkboxes', action_id: 'ok', options: [option('I understand', 'yes')] }, true),
  input('owner', 'Owner', { type: 'users_select', action_id: 'u' }, true),
  { type: 'section', text: { type: 'mrkdwn', text: 'not an input' } },
];

describe('filling a modal as a person would', () => {
  test('maps values by block_id, action_id or label to each element\'s state shape', () => {
    const values = fillStateValues(blocks, { name: 'fraud', c: 'GPU cluster', Tags: ['prod'], confirm: true, owner: 'U0ALICE001' });
    expect(values).toEqual({
      name: { v: { type: 'plain_text_input', value: 'fraud' } },
      size: { n: { type: 'number_input', value: '10' } },
      compute: { c: { type: 'static_select', selected_option: option('GPU cluster', 'gpu') } },
      tags: { t: { type: 'multi_static_select', selected_options: [option('prod', 'prod')] } },
      confirm: { ok: { type: 'checkboxes', selected_options: [option('I understand', 'yes')] } },
      owner: { u: { type: 'users_select', selected_user: 'U0ALICE001' } },
    });
  });

  test('leaves untouched optional inputs empty, as Slack sends them', () => {
    const values = fillStateValues(blocks, { name: 'fraud', compute: 'cpu' });
    expect(values.tags).toEqual({ t: { type: 'multi_static_select', selected_options: [] } });
    expect(values.owner).toEqual({ u: { type: 'users_select', selected_user: null } });
  });

  test('refuses to submit with a required input empty, an unknown field or option', () => {
    const code = (fn: () => unknown) => {
      try {
        fn();
      } catch (e) {
        return e instanceof SlackDriverError ? e.code : e;
      }
      return 'no error';
    };
    expect(code(() => fillStateValues(blocks, { name: 'fraud' }))).toBe('required_input_missing');
    expect(code(() => fillStateValues(blocks, { name: 'fraud', compute: 'cpu', colour: 'red' }))).toBe('field_not_found');
    expect(code(() => fillStateValues(blocks, { name: 'fraud', compute: 'TPU' }))).toBe('option_not_found');
  });
});
