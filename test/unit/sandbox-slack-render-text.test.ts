import { decodeMrkdwn, renderMessage, renderView } from '../../sandbox/slack/render-text';

const users = { U0ALICE001: 'alice', U0BOT: 'batch-score-bot' };

describe('rendering Block Kit as text', () => {
  test('decodes Slack escapes and mentions as a person would read them', () => {
    expect(decodeMrkdwn('a &lt;b&gt; &amp; c')).toBe('a <b> & c');
    expect(decodeMrkdwn('hi <@U0ALICE001>, see <#C0MLOPS0001|ml-ops>', { users })).toBe('hi @alice, see #ml-ops');
    expect(decodeMrkdwn('<!here> <!subteam^S0APPROVER1|@ml-approvers> <https://ml.azure.com/runs/1|run 1>')).toBe(
      '@here @ml-approvers run 1 (https://ml.azure.com/runs/1)',
    );
    expect(decodeMrkdwn('<@U0UNKNOWN1>')).toBe('@U0UNKNOWN1');
  });

  test('renders headers, sections with fields, context, dividers and buttons', () => {
    const text = renderMessage(
      {
        user: 'U0BOT',
        text: 'fallback',
        blocks: [
          { type: 'header', text: { type: 'plain_text', text: 'Deployment request' } },
          { type: 'section', text: { type: 'mrkdwn', text: '<@U0ALICE001> asks' }, fields: [{ type: 'mrkdwn', text: '*Model*\nfraud:3' }] },
          { type: 'context', elements: [{ type: 'mrkdwn', text: 'req-42' }, { type: 'plain_text', text: '2 min ago' }] },
          { type: 'divider' },
          { type: 'actions', elements: [{ type: 'button', text: { type: 'plain_text', text: 'Approve' } }, { type: 'button', text: { type: 'plain_text', text: 'Reject' } }] },
        ],
      },
      { users },
    );
    expect(text).toBe(
      ['batch-score-bot:', '## Deployment request', '@alice asks', '  *Model* fraud:3', '  req-42 · 2 min ago', '────────────────────', '[Approve] [Reject]'].join('\n'),
    );
  });

  test('falls back to the text and marks ephemerals and edits', () => {
    expect(renderMessage({ text: 'only &lt;you&gt;', user: 'U0BOT', ephemeralTo: 'U0ALICE001', edited: {} }, { users })).toBe(
      'batch-score-bot (only visible to alice) (edited):\nonly <you>',
    );
  });

  test('numbers a modal\'s inputs with their block ids, options and inline errors', () => {
    const text = renderView({
      title: { text: 'Deploy a model' },
      submit: { text: 'Deploy' },
      errors: { endpoint: 'Use lowercase' },
      blocks: [
        { type: 'input', block_id: 'endpoint', label: { type: 'plain_text', text: 'Endpoint name' }, element: { type: 'plain_text_input' } },
        {
          type: 'input',
          block_id: 'compute',
          optional: true,
          label: { type: 'plain_text', text: 'Compute' },
          element: { type: 'static_select', options: [{ text: { type: 'plain_text', text: 'CPU' }, value: 'cpu' }], initial_option: { text: { type: 'plain_text', text: 'CPU' }, value: 'cpu' } },
        },
      ],
    });
    expect(text).toBe(
      ['┌ Deploy a model', '│ 1. Endpoint name: ____ (endpoint)', '│    ⚠ Use lowercase', '│ 2. Compute (optional): CPU (compute) {CPU=cpu}', '└ [Cancel] [Deploy]'].join('\n'),
    );
  });
});
