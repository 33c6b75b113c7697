// The pure parts of after-the-job reporting: recognising failures from real messages, picking the log
// lines worth showing, reading progress, previewing predictions, and the Slack sections built from them.
import { meaningfulErrorLines, parseProgressOverview, recogniseFailure, triageFailure } from '../../src/domain/failure-triage';
import { parseCsvRows, previewPredictions } from '../../src/domain/predictions-preview';
import { jobOutcomeBlocks, previewTable } from '../../src/slack/blocks/job-outcome-sections';

describe('recogniseFailure', () => {
  it.each([
    // Messages as Microsoft's troubleshooting page and public reports quote them.
    ['init-raised', 'Traceback (most recent call last):\n  File "/mnt/code/score.py", line 9, in init\n    model = load()\nOSError: model not found'],
    ['run-raised', 'Traceback (most recent call last):\n  File "/mnt/code/score.py", line 20, in run\n    x = f(y)\nValueError: bad'],
    ['run-raised', 'User program failed with Exception: Run failed. Please check logs for details. You can check logs/readme.txt for the layout of logs.'],
    ['no-succeeded-mini-batch', "No succeeded mini batch item returned from run(). Please check 'response: run()' in https://aka.ms/batch-inference-documentation."],
    ['output-exists', 'The output file azureml://datastores/ws/paths/p.csv already exists. Batch scoring needs a unique output location.'],
    ['input-access', 'ScriptExecutionException was caused by StreamAccessException. StreamAccessException was caused by AuthenticationException.'],
    ['input-access', "Dataset initialization failed: UserErrorException: Message: Can't mount Dataset(ID='x', name='None', version=None)."],
    ['no-nodes', 'Requested 1 nodes but AzureMLCompute cluster only has 0 maximum nodes.'],
    ['token-audience', "InvalidAuthenticationTokenAudience: The access token has been obtained for wrong audience or resource 'https://management.azure.com'."],
    // Azure/MachineLearningNotebooks#1753: a batch deployment whose scoring script could not be imported.
    ['scoring-script-missing', "EntryScriptException: No module named 'score_return_list'"],
    // The sandbox's wording for a deployment's files gone from storage (a guess: docs/sandbox-fidelity.md).
    ['asset-files-missing', 'UserError: The model of this deployment could not be mounted: no files at azureml://datastores/workspaceblobstore/paths/m/ (model asset mnist:1).'],
  ])('recognises %s', (kind, text) => {
    const found = recogniseFailure([text]);
    expect(found?.kind).toBe(kind);
    expect(found?.fix).toMatch(/^[A-Z].*\.$/);
  });

  it('prefers the traceback over the job-level summary', () => {
    const tb = 'Traceback (most recent call last):\n  File "s.py", line 3, in init\nImportError: no torch';
    expect(recogniseFailure(['User program failed with Exception: Run failed.', tb])?.kind).toBe('init-raised');
  });

  it('names a missing scoring script, not init() raising, when the job summary says the user program failed', () => {
    const tb = "Traceback (most recent call last):\n  File \"driver/amlbi_main.py\", line 226, in main\n    entry_script.load()\nEntryScriptException: No module named 'score'";
    expect(recogniseFailure([tb, 'User program failed with Exception: Run failed.'])?.kind).toBe('scoring-script-missing');
  });

  it('recognises nothing in unrelated text', () => {
    expect(recogniseFailure(['the job failed', undefined, ''])).toBeUndefined();
  });
});

describe('meaningfulErrorLines', () => {
  it('shows the exception and the frame that raised, not the traceback header', () => {
    const tb = '2026-12-02 02:40:01.123 Traceback (most recent call last):\n  File "a.py", line 1, in <module>\n  File "score.py", line 31, in run\n    img = open(p)\nOSError: cannot open';
    expect(meaningfulErrorLines([tb])).toEqual(['OSError: cannot open', 'File "score.py", line 31, in run']);
  });

  it('caps long lines and the number of lines, and drops repeats', () => {
    const lines = meaningfulErrorLines([`${'x'.repeat(1000)}\nsame\nsame\na\nb\nc\nd`]);
    expect(lines).toHaveLength(4);
    expect(lines[0]!.length).toBeLessThanOrEqual(300);
    expect(lines.filter((l) => l === 'same')).toHaveLength(1);
  });
});

it('reads the last progress line of job_progress_overview.txt', () => {
  const text = 'x 1 of 3 mini batches processed. 2 items succeeded, 0 items failed, of 6 items.\ny 3 of 3 mini batches processed. 5 items succeeded, 1 items failed, of 6 items.\n';
  expect(parseProgressOverview(text)).toEqual({ miniBatchesDone: 3, miniBatchesTotal: 3, itemsSucceeded: 5, itemsFailed: 1, itemsTotal: 6 });
  expect(parseProgressOverview('nothing here')).toBeUndefined();
});

describe('predictions preview', () => {
  it('parses quoted CSV fields', () => {
    expect(parseCsvRows('a,"b,c","d ""e"""\r\n1,2,3\n')).toEqual([['a', 'b,c', 'd "e"'], ['1', '2', '3']]);
  });

  it('drops a line cut by a partial read and says more rows exist', () => {
    const p = previewPredictions({ text: '0.png,7\n1.png,3\n2.pn', truncated: true });
    expect(p).toEqual({ rows: [['0.png', '7'], ['1.png', '3']], more: true });
  });

  it('shows at most five rows, six columns and 40 characters a cell', () => {
    const row = `${'y'.repeat(100)},2,3,4,5,6,7,8`;
    const p = previewPredictions({ text: Array.from({ length: 9 }, () => row).join('\n'), truncated: false });
    expect(p.rows).toHaveLength(5);
    expect(p.rows[0]).toHaveLength(7);
    expect(p.rows[0]![0]!.length).toBe(40);
    expect(p.more).toBe(true);
  });
});

describe('job outcome sections', () => {
  it('escapes log lines and prediction cells, and nothing can close the code block', () => {
    const blocks = jobOutcomeBlocks({
      status: 'Completed',
      progress: { miniBatchesDone: 1, miniBatchesTotal: 1, itemsSucceeded: 1, itemsFailed: 1 },
      preview: { rows: [['<!channel>.png', '```<@U0BOB00001>']], more: false },
      triage: { errorLines: ['ValueError: <!here> & <https://evil|x>'], fix: 'Fix it.' },
      logsUrl: 'https://ml.azure.com/runs/x',
    });
    const text = JSON.stringify(blocks);
    expect(text).not.toMatch(/<!channel>|<!here>|<@U0BOB00001>|<https:\/\/evil/);
    expect(text).toContain('&lt;!channel&gt;');
    expect(previewTable([['```', 'a']]).match(/```/g)).toHaveLength(2);
    // A later, shorter row must not forget how wide an earlier row's columns are (found by fuzzed-input).
    expect(previewTable([['a', 'bbbbbb', 'c'], ['a']])).toBe('```a  bbbbbb  c\na```');
  });

  it('links the logs of a job that completed with failed items, the counts said once by its headline', () => {
    const view = { status: 'Completed', triage: { errorLines: ['Error processing input file 0.png'] }, logsUrl: 'https://ml.azure.com/runs/step' };
    // Counts from the job (no progress read from its logs): the logs link is there all the same.
    expect(JSON.stringify(jobOutcomeBlocks(view, { completedWithFailures: true }))).toContain('|Logs in Azure ML studio>');
    const withCounts = jobOutcomeBlocks({ ...view, progress: { miniBatchesDone: 1, miniBatchesTotal: 1, itemsSucceeded: 1, itemsFailed: 1 } }, { completedWithFailures: true });
    expect(JSON.stringify(withCounts)).not.toContain(':bar_chart:');
    expect(JSON.stringify(withCounts)).toContain('|Logs in Azure ML studio>');
    // A completed job without failed items has no logs link (its results are the point).
    expect(JSON.stringify(jobOutcomeBlocks({ status: 'Completed', logsUrl: 'https://ml.azure.com/runs/step' }))).not.toContain('Logs in Azure ML studio');
  });

  it('adds nothing to a canceled job without counts', () => {
    expect(jobOutcomeBlocks({ status: 'Canceled' })).toEqual([]);
  });

  it('builds triage from logs, falling back on the service message', () => {
    const t = triageFailure({ serviceMessage: 'Requested 1 nodes but AzureMLCompute cluster only has 0 maximum nodes.' });
    expect(t.recognised?.kind).toBe('no-nodes');
    expect(t.errorLines).toEqual(['Requested 1 nodes but AzureMLCompute cluster only has 0 maximum nodes.']);
  });
});
