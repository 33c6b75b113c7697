import type { KnownBlock } from '@slack/types';
import { addFormError, blockIdsOf, formBlocks, owningField, readFieldValues, type FormErrors, type FormField } from '../../src/slack/modals/form-fields';
import { textInput } from '../../src/slack/modals/modal-inputs';

const input = (blockId: string) => (): KnownBlock => textInput({ blockId, label: blockId });

/** A small form shaped like the deploy form: a top field, an asset with a name shown only for uploads, a group. */
const FORM = {
  name: { blockId: 'name', input: input('name'), value: { path: ['name'], as: 'text', keepEmpty: true }, shows: ['name'] },
  asset: { blockId: 'asset', input: input('asset'), shows: ['asset'] },
  assetName: {
    blockId: 'asset_name',
    input: input('asset_name'),
    shows: ['asset.name'],
    showsWhen: (raw) => (raw.asset as { kind?: string } | undefined)?.kind === 'upload',
  },
  count: { blockId: 'count', heading: '*Settings*', input: input('count'), value: { path: ['settings', 'count'], as: 'integer', named: 'Count' }, shows: ['settings.count'] },
} satisfies Record<string, FormField<undefined>>;
const FIELDS: FormField<undefined>[] = Object.values(FORM);
const state = (values: Record<string, string>) =>
  Object.fromEntries(Object.entries(values).map(([k, v]) => [k, { value: { type: 'plain_text_input', value: v } }]));

describe('form field declarations', () => {
  it('derive the block ids, and the blocks with a divider and heading before each group', () => {
    expect(blockIdsOf(FORM)).toEqual({ name: 'name', asset: 'asset', assetName: 'asset_name', count: 'count' });
    const blocks = formBlocks('Intro', FIELDS, undefined);
    expect(blocks.map((b) => b.type)).toEqual(['section', 'input', 'input', 'input', 'divider', 'section', 'input']);
  });

  it('read simple values into their spec paths, and say which whole number is not one', () => {
    const raw: Record<string, unknown> = {};
    const errors: FormErrors = {};
    readFieldValues(FIELDS, state({ name: '', count: '3' }), raw, errors);
    expect(raw).toEqual({ name: '', settings: { count: 3 } });
    readFieldValues(FIELDS, state({ count: '1.5' }), {}, errors);
    expect(errors).toEqual({ count: 'Count must be a whole number.' });
  });

  it('place an error on the field with the longest matching path that shows it for this spec', () => {
    expect(owningField(FIELDS, ['asset', 'name'], { asset: { kind: 'upload' } })).toBe('asset_name');
    expect(owningField(FIELDS, ['asset', 'name'], { asset: { kind: 'registered' } })).toBe('asset');
    expect(owningField(FIELDS, ['settings', 'count'], {})).toBe('count');
    expect(owningField(FIELDS, ['settings', 'other'], {})).toBeUndefined();
    expect(owningField(FIELDS, [], {})).toBeUndefined();
  });

  it("shows an error no field owns on the form's first field, marked as the form's, keeping that field's own message", () => {
    const errors: FormErrors = {};
    addFormError(errors, 'name', 'settings.other: must be positive');
    expect(errors).toEqual({ name: 'This form: settings.other: must be positive' });
    const both: FormErrors = { name: 'A name is required.' };
    addFormError(both, 'name', 'settings.other: must be positive');
    expect(both.name).toBe('A name is required. This form: settings.other: must be positive');
  });
});
