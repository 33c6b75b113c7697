// The table of verbs is the one place a verb is declared: the approval policy's lists and the values
// BATCH_SCORE_APPROVAL_REQUIRED_FOR accepts are read from it, and a row missing a piece does not compile
// (the @ts-expect-error lines below are checked by the type check that runs before the tests).
import { approvalActionSchema } from '../../src/config';
import { DEPLOYER_ACTIONS, READ_ONLY_ACTIONS, RUNNER_ACTIONS } from '../../src/domain/approval-policy';
import { VERB_DECLARATIONS, VERBS, type VerbDeclaration } from '../../src/domain/command-verbs';

describe('the table of verbs', () => {
  it('has a row for every verb and nothing else', () => {
    expect(Object.keys(VERB_DECLARATIONS).sort()).toEqual([...VERBS].sort());
  });

  it("gives the approval policy its lists from each verb's access", () => {
    const withAccess = (...access: string[]) => VERBS.filter((v) => access.includes(VERB_DECLARATIONS[v].access));
    expect(READ_ONLY_ACTIONS).toEqual(withAccess('read-anywhere', 'read'));
    expect(DEPLOYER_ACTIONS).toEqual(['deploy', 'set-default', 'delete']);
    expect(RUNNER_ACTIONS).toEqual(['run', 'cancel', 'data-register']);
  });

  it('lets exactly the deployers\' and runners\' verbs be put behind an approval', () => {
    expect(approvalActionSchema.options).toEqual([...DEPLOYER_ACTIONS, ...RUNNER_ACTIONS]);
  });

  it('refuses, at compile time, a row without its reader', () => {
    // @ts-expect-error `read` is missing: the grammar could not parse the verb
    const incomplete: VerbDeclaration<Record<string, never>> = {
      words: 'archive',
      args: [],
      flags: {},
      summary: 'Archive something.',
      example: 'archive',
      access: 'read',
      fields: {},
      write: () => undefined,
    };
    expect(incomplete.words).toBe('archive');
  });
});
