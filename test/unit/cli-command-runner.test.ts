// Each command against a fake Azure ML client: what is called, what is printed, and the exit code.
import { AzureMlError } from '../../src/azureml/errors';
import type { DeployProgress } from '../../src/domain/deploy-plan';
import type { Job } from '../../src/azureml/resources';
import type { ScoringJob } from '../../src/azureml/scoring';
import { CliUsageError } from '../../src/cli/cli-usage';
import { runCommand, type CliAzureMl, type CommandRunnerDeps } from '../../src/cli/command-runner';
import { parseCommand, type Command } from '../../src/domain/command-grammar';
import { buildMissingTargetMessage, missingTargetView } from '../../src/slack/blocks/missing-target-message';
import { code, escapeMrkdwn } from '../../src/slack/mrkdwn';
import { lookupInstead, type MissingTarget } from '../../src/usecases/target-not-found';

const WS = '/subscriptions/s/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws';
const SCORING_URI = 'https://x/inference/batchEndpoints/digits/jobs';
const INPUT = 'azureml://datastores/workspaceblobstore/paths/in/';

const command = (text: string): Command => {
  const parsed = parseCommand(text);
  if (!parsed.ok) throw new Error(parsed.error.message);
  return parsed.command;
};

const armJob = (name: string, status: string, extra: Record<string, string> = {}, createdAt = '2026-01-01T00:00:00Z'): Job => ({
  id: `${WS}/jobs/${name}`,
  name,
  properties: { jobType: 'Pipeline', status: status as Job['properties']['status'], experimentName: 'digits', properties: { ...extra }, inputs: null, outputs: null },
  systemData: { createdAt },
});
const scoringJob = (name: string, status: string, extra: Record<string, string> = {}): ScoringJob => armJob(name, status, extra) as unknown as ScoringJob;

function setup(over: Partial<{ [K in keyof CliAzureMl]: Partial<CliAzureMl[K]> }> = {}, deps: Partial<CommandRunnerDeps> = {}) {
  const progress: string[] = [];
  const azureml = {
    endpoints: { list: jest.fn(), get: jest.fn(), setDefaultDeploymentAndWait: jest.fn(), ...over.endpoints },
    deployments: { list: jest.fn(), get: jest.fn(), ...over.deployments },
    jobs: { get: jest.fn(), list: jest.fn(), listForEndpoint: jest.fn(), cancelAndWait: jest.fn(), assertBatchScoring: jest.fn(), isBatchScoringShape: () => true, ...over.jobs },
    scoring: { invoke: jest.fn(), getJob: jest.fn(), ...over.scoring },
    assets: { createDataVersion: jest.fn(), ...over.assets },
    runDeployPlan: over.runDeployPlan ?? jest.fn(),
    deleteEndpoint: over.deleteEndpoint ?? jest.fn(),
  } as unknown as CliAzureMl;
  let now = 1_700_000_000_000;
  const runnerDeps: CommandRunnerDeps = {
    azureml,
    workspace: 'ws',
    links: { studioUrl: 'https://ml.azure.com', workspace: { subscriptionId: 's', resourceGroup: 'rg', workspace: 'ws' } },
    wait: false,
    progress: (line) => progress.push(line),
    readSpecFile: jest.fn(),
    pacing: { minIntervalMs: 10, maxIntervalMs: 10 },
    sleep: async (ms) => {
      now += ms;
    },
    now: () => now,
    ...deps,
  };
  return { azureml, deps: runnerDeps, progress };
}

describe('run', () => {
  it('submits the job and, without --wait, returns at once with its name and exit 0', async () => {
    const invoke = jest.fn().mockResolvedValue({ jobName: 'job-1', scoringUri: SCORING_URI, job: scoringJob('job-1', 'NotStarted') });
    const { azureml, deps, progress } = setup({ scoring: { invoke } });
    const outcome = await runCommand(command(`run digits ${INPUT} --deployment digits-v2`), deps);
    expect(invoke).toHaveBeenCalledWith({
      endpointName: 'digits',
      deploymentName: 'digits-v2',
      input: { ref: expect.objectContaining({ kind: 'datastore', datastore: 'workspaceblobstore', path: 'in/' }), type: 'UriFolder' },
    });
    expect(azureml.scoring.getJob).not.toHaveBeenCalled();
    expect(outcome).toMatchObject({ command: 'run', exitCode: 0, result: { name: 'job-1', status: 'NotStarted', endpointName: 'digits', deploymentName: 'digits-v2', scoringUri: SCORING_URI } });
    expect(progress).toEqual(['submitted job job-1 to digits (deployment digits-v2)']);
  });

  it('with --wait follows the job from its scoring URI to Completed and reports its output', async () => {
    const done = { ...scoringJob('job-1', 'Completed'), properties: { ...scoringJob('job-1', 'Completed').properties, outputs: { score: { uri: 'azureml://datastores/d/paths/out/' } } } };
    const getJob = jest.fn().mockResolvedValueOnce(scoringJob('job-1', 'Running')).mockResolvedValueOnce(done);
    const invoke = jest.fn().mockResolvedValue({ jobName: 'job-1', scoringUri: SCORING_URI, job: scoringJob('job-1', 'NotStarted') });
    const { deps, progress } = setup({ scoring: { invoke, getJob } }, { wait: true });
    const outcome = await runCommand(command(`run digits ${INPUT}`), deps);
    expect(getJob).toHaveBeenCalledWith(SCORING_URI, 'job-1');
    expect(outcome).toMatchObject({ exitCode: 0, result: { status: 'Completed', output: 'azureml://datastores/d/paths/out/' } });
    expect(progress.slice(1)).toEqual(['job job-1: Running (0s)', 'job job-1: Completed (0s)']);
  });

  it('exits 1 when the job fails, saying how it ended (Azure job documents carry no reason)', async () => {
    const invoke = jest.fn().mockResolvedValue({ jobName: 'job-1', scoringUri: SCORING_URI, job: scoringJob('job-1', 'NotStarted') });
    const getJob = jest.fn().mockResolvedValue(scoringJob('job-1', 'Failed'));
    const { deps } = setup({ scoring: { invoke, getJob } }, { wait: true });
    const outcome = await runCommand(command(`run digits ${INPUT}`), deps);
    expect(outcome).toMatchObject({ exitCode: 1, result: { status: 'Failed' }, error: { code: 'JobFailed', message: 'job job-1 ended Failed', step: 'job job-1' } });
  });

  it("exits 1 with the service's reason when a job document carries an error", async () => {
    const invoke = jest.fn().mockResolvedValue({ jobName: 'job-1', scoringUri: SCORING_URI, job: scoringJob('job-1', 'NotStarted') });
    const failed = scoringJob('job-1', 'Failed');
    const getJob = jest.fn().mockResolvedValue({ ...failed, properties: { ...failed.properties, error: { code: 'UserError', message: 'score.py raised' } } });
    const { deps } = setup({ scoring: { invoke, getJob } }, { wait: true });
    const outcome = await runCommand(command(`run digits ${INPUT}`), deps);
    expect(outcome).toMatchObject({ exitCode: 1, result: { status: 'Failed' }, error: { code: 'UserError', message: 'score.py raised', step: 'job job-1' } });
  });

  it('needs its arguments in the CLI, where there is no form to open', async () => {
    await expect(runCommand(command('run'), setup().deps)).rejects.toBeInstanceOf(CliUsageError);
  });
});

describe('deploy', () => {
  const specText = JSON.stringify({
    endpointName: 'digits',
    deploymentName: 'digits-v1',
    model: { kind: 'upload', localPath: 'model', name: 'digits-model' },
    code: { kind: 'upload', localPath: 'code', name: 'digits-code' },
    scoringScript: 'score.py',
    environment: { kind: 'registered', name: 'env', version: '1' },
    compute: { kind: 'existing', name: 'cpu' },
    makeDefault: false,
  });

  it('reads the spec file, runs the deploy plan and prints each step', async () => {
    const runDeployPlan = jest.fn(async (_spec, progress: DeployProgress, onStep: (e: unknown) => Promise<void>) => {
      const done = structuredClone(progress);
      for (const s of Object.values(done.steps)) if (s) s.status = 'done';
      done.steps.endpoint!.outputs = { scoringUri: SCORING_URI };
      await onStep({ step: 'endpoint', status: 'done', progress: done });
      return done;
    });
    const readSpecFile = jest.fn().mockResolvedValue(specText);
    const { deps, progress } = setup({ runDeployPlan: runDeployPlan as unknown as CliAzureMl['runDeployPlan'] }, { readSpecFile });
    const outcome = await runCommand(command('deploy --spec deploy.json'), deps);
    expect(readSpecFile).toHaveBeenCalledWith('deploy.json');
    expect(runDeployPlan.mock.calls[0]?.[0]).toMatchObject({ endpointName: 'digits', deploymentName: 'digits-v1', miniBatchSize: 5 });
    expect(outcome).toMatchObject({ exitCode: 0, result: { endpointName: 'digits', scoringUri: SCORING_URI, isDefault: false } });
    expect(progress).toEqual(['deploying digits-v1 to digits', 'deploy endpoint: done']);
  });

  it('needs --spec in the CLI', async () => {
    await expect(runCommand(command('deploy'), setup().deps)).rejects.toThrow(/needs a spec file in the CLI: --spec <file\.json>/);
  });
});

describe('look-ups and changes', () => {
  it('refuses lock and unlock with a usage error: locks live with the bot, in Slack', async () => {
    for (const text of ['lock digits release freeze', 'unlock digits']) {
      const { deps, azureml } = setup();
      await expect(runCommand(command(text), deps)).rejects.toThrow(CliUsageError);
      await expect(runCommand(command(text), deps)).rejects.toThrow(/works in Slack only/);
      expect(azureml.endpoints.get).not.toHaveBeenCalled();
    }
  });

  it('lists jobs newest first', async () => {
    const list = jest.fn().mockResolvedValue([armJob('old', 'Completed', {}, '2026-01-01T00:00:00Z'), armJob('new', 'Running', {}, '2026-02-01T00:00:00Z')]);
    const outcome = await runCommand(command('jobs'), setup({ jobs: { list } }).deps);
    expect((outcome.result?.jobs as { name: string }[]).map((j) => j.name)).toEqual(['new', 'old']);
  });

  it('exits 1 for the status of a job that failed, 0 for one still running', async () => {
    const get = jest.fn().mockResolvedValueOnce(armJob('j', 'Failed')).mockResolvedValueOnce(armJob('j', 'Running'));
    const { deps } = setup({ jobs: { get } });
    expect((await runCommand(command('status j'), deps)).exitCode).toBe(1);
    expect((await runCommand(command('status j'), deps)).exitCode).toBe(0);
  });

  it('counts a cancel that leaves the job Canceled as a success', async () => {
    const cancelAndWait = jest.fn().mockResolvedValue(undefined);
    const get = jest.fn().mockResolvedValueOnce(armJob('j', 'Running')).mockResolvedValue(armJob('j', 'Canceled'));
    const outcome = await runCommand(command('cancel j'), setup({ jobs: { cancelAndWait, get } }).deps);
    expect(cancelAndWait).toHaveBeenCalledWith('j');
    expect(outcome).toMatchObject({ exitCode: 0, result: { status: 'Canceled' } });
    expect(outcome.error).toBeUndefined();
  });

  it('does not touch the endpoint when the deployment to make default does not exist', async () => {
    const missing = new AzureMlError({ code: 'NotFound', message: 'no deployment', statusCode: 404, requestId: 'r' });
    const setDefaultDeploymentAndWait = jest.fn();
    const run = runCommand(command('set-default digits nope'), setup({ deployments: { get: jest.fn().mockRejectedValue(missing) }, endpoints: { setDefaultDeploymentAndWait } }).deps);
    // Said in our words, with Azure's code and request id kept.
    await expect(run).rejects.toMatchObject({ code: 'NotFound', requestId: 'r', message: expect.stringMatching(/^Endpoint digits has no deployment nope;/) });
    expect(setDefaultDeploymentAndWait).not.toHaveBeenCalled();
  });

  it("points at the same look-up as Slack's note when what a command names is not there", async () => {
    const notFound = new AzureMlError({ code: 'NotFound', message: 'gone', statusCode: 404 });
    const cases: Array<[string, Partial<{ [K in keyof CliAzureMl]: Partial<CliAzureMl[K]> }>, MissingTarget]> = [
      ['show nosuch', { endpoints: { get: jest.fn().mockRejectedValue(notFound) }, deployments: { list: jest.fn().mockResolvedValue([]) } }, { kind: 'endpoint', endpointName: 'nosuch' }],
      ['set-default digits nope', { deployments: { get: jest.fn().mockRejectedValue(notFound) } }, { kind: 'deployment', endpointName: 'digits', deploymentName: 'nope' }],
      ['status 12345', { jobs: { get: jest.fn().mockRejectedValue(notFound) } }, { kind: 'job', jobName: '12345' }],
    ];
    for (const [text, fakes, missing] of cases) {
      const instead = lookupInstead(missing);
      await expect(runCommand(command(text), setup(fakes).deps)).rejects.toMatchObject({ message: expect.stringContaining(`\`batch-score ${instead.command}\` ${instead.lists}.`) });
      const slack = buildMissingTargetMessage(missingTargetView(missing, { code: 'NotFound' }));
      expect(JSON.stringify(slack.blocks)).toContain(`${code(instead.command)} ${escapeMrkdwn(instead.lists)}.`);
    }
  });

  it('registers data with the next version when none is given', async () => {
    const createDataVersion = jest.fn().mockResolvedValue({ id: `${WS}/data/mnist/versions/1700000000000` });
    const outcome = await runCommand(command('data register mnist https://example.com/mnist/'), setup({ assets: { createDataVersion } }).deps);
    expect(createDataVersion).toHaveBeenCalledWith({ name: 'mnist', version: '1700000000000' }, 'uri_folder', 'https://example.com/mnist/');
    expect(outcome).toMatchObject({ exitCode: 0, result: { name: 'mnist', version: '1700000000000', dataType: 'uri_folder' } });
    // The use case's own sentence, the one the Slack reply says too.
    expect(outcome.text).toBe(`Data asset mnist:1700000000000 registered (uri_folder) as ${WS}/data/mnist/versions/1700000000000.`);
  });

  it('deletes an endpoint and says so', async () => {
    const deleteEndpoint = jest.fn().mockResolvedValue(undefined);
    const outcome = await runCommand(command('delete digits'), setup({ deleteEndpoint }).deps);
    expect(deleteEndpoint).toHaveBeenCalledWith('digits');
    expect(outcome.text).toBe('Endpoint digits and all its deployments are deleted.');
  });
});
