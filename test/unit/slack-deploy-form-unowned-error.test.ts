// A spec rule the deploy form has no field for (here: one added to the schema for this test) must still
// reach the user, visibly marked as about the whole form, never silently on a field it has nothing to do
// with nor dropped.
import { encodeModalMetadata } from '../../src/slack/modals/modal-metadata';

jest.mock('../../src/domain/deploy-spec', () => {
  const actual = jest.requireActual('../../src/domain/deploy-spec');
  return {
    ...actual,
    deploySpecSchema: actual.deploySpecSchema.superRefine((_spec: unknown, ctx: { addIssue(i: object): void }) => {
      ctx.addIssue({ code: 'custom', path: ['quota'], message: 'the workspace has no quota left for this VM size' });
    }),
  };
});

// Imported after the mock, so the form reads the schema with the extra rule.
const { DEPLOY_FIELDS, parseDeploySubmission } = require('../../src/slack/modals/deploy-modal') as typeof import('../../src/slack/modals/deploy-modal');

const metadata = encodeModalMetadata({ channelId: 'C0DEPLOYS01', requesterId: 'U0ALICE001', teamId: 'T0TEAM0001' });
const typed = (values: Record<string, string>) =>
  Object.fromEntries(Object.entries(values).map(([blockId, value]) => [blockId, { value: { type: 'plain_text_input', value } }]));
/** A form that is fine in every field: a registered MLflow-style model needs no code or environment. */
const F = DEPLOY_FIELDS;
const filled = { [F.endpoint]: 'mnist-batch', [F.deployment]: 'mnist-torch', [F.model]: 'mnist:1', [F.computeName]: 'batch-cluster' };

describe('deploy form: an error no field owns', () => {
  it("is shown on the form's first field as the form's, naming what it is about", () => {
    const result = parseDeploySubmission(typed(filled), metadata);
    expect(result).toEqual({ ok: false, errors: { [DEPLOY_FIELDS.endpoint]: 'This form: quota: The workspace has no quota left for this VM size.' } });
  });

  it("is added to that field's own problem, not dropped", () => {
    const result = parseDeploySubmission(typed({ ...filled, [DEPLOY_FIELDS.endpoint]: '1-bad' }), metadata);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors[DEPLOY_FIELDS.endpoint]).toMatch(/begin with a letter.* This form: quota: The workspace has no quota left/);
  });
});
