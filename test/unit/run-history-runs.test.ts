// Run history's child runs, read tolerantly: no recording shows run history, so the parser takes what it
// knows (runId; the step's name; a failed run's ErrorResponse, as Azure's SDKs read it) and lets one odd
// child, an unknown field or a newer value pass without losing the list.
import { parseChildRuns, runErrorText, scoringStepOf } from '../../src/azureml/run-history-runs';

const step = {
  runId: 'a1b2c3d4-0000-4000-8000-000000000001',
  parentRunId: 'batchjob-1',
  status: 'Failed',
  name: 'batchscoring',
  properties: { StepType: 'ParallelRunStep', 'azureml.nodeid': 'batchscoring' },
  error: { error: { code: 'UserError', message: 'User program failed with Exception: Run failed.', details: [], innerError: { code: 'ScriptExecution' } } },
};

it('reads the step, its status and its error from a page of children', () => {
  const children = parseChildRuns({ value: [step], continuationToken: null, nextLink: null });
  expect(scoringStepOf(children)?.runId).toBe(step.runId);
  expect(runErrorText(scoringStepOf(children))).toEqual({ code: 'UserError', message: 'User program failed with Exception: Run failed.' });
});

it('skips children without a run id and keeps the rest', () => {
  const children = parseChildRuns({ value: [{ name: 'batchscoring' }, 42, null, step] });
  expect(children.map((c) => c.runId)).toEqual([step.runId]);
});

it('keeps status values and fields it does not know', () => {
  const [run] = parseChildRuns({ value: [{ ...step, status: 'PostProcessing', computeRequest: { nodeCount: 1 }, error: undefined }] });
  expect(run?.status).toBe('PostProcessing');
  expect((run as Record<string, unknown>).computeRequest).toEqual({ nodeCount: 1 });
  expect(runErrorText(run)).toBeUndefined();
});

it('reads an error of another shape, or none, as no error rather than failing', () => {
  for (const error of ['Run failed', { message: 'flat, not nested' }, { error: { code: 7 } }, null]) {
    const [run] = parseChildRuns({ value: [{ ...step, error }] });
    expect(run?.runId).toBe(step.runId);
    expect(runErrorText(run)).toBeUndefined();
  }
});

it('reads a page without children, or not a page at all, as no children', () => {
  for (const body of [{}, { value: null }, { value: 'x' }, null, 'not json', []]) expect(parseChildRuns(body)).toEqual([]);
});

it('finds the step by display name or node id, else takes the only child', () => {
  const other = { runId: 'r-2', name: 'prepare' };
  expect(scoringStepOf(parseChildRuns({ value: [other, { runId: 'r-3', displayName: 'batchscoring' }] }))?.runId).toBe('r-3');
  expect(scoringStepOf(parseChildRuns({ value: [other, { runId: 'r-4', properties: { 'azureml.nodeid': 'batchscoring' } }] }))?.runId).toBe('r-4');
  expect(scoringStepOf(parseChildRuns({ value: [other] }))?.runId).toBe('r-2');
});
