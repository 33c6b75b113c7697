import { findBlockProblems, formatProblems } from '../../sandbox/slack/block-kit-limits';

const section = (text: string) => ({ type: 'section', text: { type: 'mrkdwn', text } });
const button = (text: string, extra: object = {}) => ({ type: 'button', action_id: 'go', text: { type: 'plain_text', text }, ...extra });

describe('Block Kit limits', () => {
  test('accepts a message at every limit', () => {
    const blocks = [
      { type: 'header', text: { type: 'plain_text', text: 'h'.repeat(150) } },
      section('s'.repeat(3000)),
      { type: 'section', fields: Array.from({ length: 10 }, () => ({ type: 'mrkdwn', text: 'f'.repeat(2000) })) },
      { type: 'actions', block_id: 'b'.repeat(255), elements: [button('b'.repeat(75))] },
      ...Array.from({ length: 46 }, () => ({ type: 'divider' })),
    ];
    expect(blocks).toHaveLength(50);
    expect(findBlockProblems(blocks, 'message')).toEqual([]);
  });

  test('refuses a 51st block in a message but allows 100 in a modal', () => {
    const dividers = (n: number) => Array.from({ length: n }, () => ({ type: 'divider' }));
    expect(formatProblems(findBlockProblems(dividers(51), 'message'))).toEqual(['[ERROR] no more than 50 items allowed [json-pointer:/blocks]']);
    expect(findBlockProblems(dividers(100), 'modal')).toEqual([]);
    expect(findBlockProblems(dividers(101), 'modal')).toHaveLength(1);
  });

  test('names the offending field with a JSON pointer', () => {
    expect(findBlockProblems([section('x'), section('s'.repeat(3001))], 'message')).toEqual([
      { pointer: '/blocks/1/text/text', message: 'must be less than 3001 characters' },
    ]);
    expect(findBlockProblems([{ type: 'header', text: { type: 'plain_text', text: 'h'.repeat(151) } }], 'message')[0]?.pointer).toBe('/blocks/0/text/text');
    expect(findBlockProblems([{ type: 'actions', elements: [button('b'.repeat(76))] }], 'message')[0]?.pointer).toBe('/blocks/0/elements/0/text/text');
  });

  test('refuses mrkdwn in a header, duplicate block ids, unknown block types and empty text', () => {
    expect(findBlockProblems([{ type: 'header', text: { type: 'mrkdwn', text: 'x' } }], 'message')).toHaveLength(1);
    expect(findBlockProblems([{ ...section('a'), block_id: 'x' }, { ...section('b'), block_id: 'x' }], 'message')[0]?.message).toMatch(/duplicate block_id/);
    expect(findBlockProblems([{ type: 'carousel' }], 'message')[0]?.message).toMatch(/unsupported block type/);
    expect(findBlockProblems([section('')], 'message')[0]?.message).toBe('must be more than 0 characters');
    expect(findBlockProblems('not blocks', 'message')).toEqual([{ pointer: '/blocks', message: 'must provide an array' }]);
  });

  test('checks select options and button styles', () => {
    const select = { type: 'static_select', action_id: 's', options: [{ text: { type: 'plain_text', text: 'o'.repeat(76) }, value: 'v' }] };
    expect(findBlockProblems([{ type: 'actions', elements: [select] }], 'message')[0]?.pointer).toBe('/blocks/0/elements/0/options/0/text/text');
    expect(findBlockProblems([{ type: 'actions', elements: [button('ok', { style: 'loud' })] }], 'message')[0]?.pointer).toBe('/blocks/0/elements/0/style');
  });
});
