import { deploySpecSchema, type DeploySpec } from '../../src/domain/deploy-spec';
import { DeployStepError, runDeployPlan, type DeployStepContext, type DeployStepEvent, type DeployStepFunctions } from '../../src/azureml/deploy-plan';
import {
  createDeployProgress,
  deployProgressSchema,
  deployStepNameSchema,
  plannedDeploySteps,
  runnableDeploySteps,
  type DeployProgress,
  type DeployStepName,
} from '../../src/domain/deploy-plan';
import { AzureMlError } from '../../src/azureml/errors';

function spec(overrides: Partial<Parameters<typeof deploySpecSchema.parse>[0]> = {}): DeploySpec {
  return deploySpecSchema.parse({
    endpointName: 'mnist-ep',
    deploymentName: 'mnist-dp',
    model: { kind: 'upload', localPath: 'model', name: 'mnist' },
    code: { kind: 'upload', localPath: 'code', name: 'score-mnist' },
    scoringScript: 'digit_identification.py',
    environment: { kind: 'image', name: 'mnist-env', image: 'mcr.microsoft.com/azureml/openmpi3.1.2-ubuntu18.04:latest' },
    compute: { kind: 'create', name: 'batch-cluster' },
    ...overrides,
  });
}

/** A controllable fake: each step waits for `release(step)` and records when it started. */
function fakeSteps(opts: { fail?: Partial<Record<DeployStepName, Error>>; autoRelease?: boolean } = {}) {
  const started: DeployStepName[] = [];
  const contexts: Partial<Record<DeployStepName, DeployStepContext>> = {};
  const gates = new Map<DeployStepName, () => void>();
  const waiters: Array<() => void> = [];
  const make =
    (step: DeployStepName) =>
    async (ctx: DeployStepContext): Promise<Record<string, string>> => {
      started.push(step);
      contexts[step] = ctx;
      waiters.splice(0).forEach((w) => w());
      if (!opts.autoRelease) await new Promise<void>((resolve) => gates.set(step, resolve));
      const failure = opts.fail?.[step];
      if (failure) throw failure;
      return { id: `id-of-${step}` };
    };
  const steps = Object.fromEntries(deployStepNameSchema.options.map((s) => [s, make(s)])) as DeployStepFunctions;
  const release = (step: DeployStepName): void => {
    const g = gates.get(step);
    if (!g) throw new Error(`step ${step} is not waiting`);
    gates.delete(step);
    g();
  };
  /** Resolves once `cond()` holds, checked after every step start and on each microtask turn; deadline-bound. */
  const until = async (cond: () => boolean, deadlineMs = 2000): Promise<void> => {
    const deadline = Date.now() + deadlineMs;
    while (!cond()) {
      if (Date.now() > deadline) throw new Error(`condition not met; started: ${started.join(',')}`);
      await new Promise<void>((r) => setImmediate(r));
    }
  };
  return { steps, started, contexts, release, until, waiting: () => [...gates.keys()].sort() };
}

function recorder() {
  const events: DeployStepEvent[] = [];
  return { events, onStep: async (e: DeployStepEvent) => void events.push(e), last: (): DeployProgress => events[events.length - 1]!.progress };
}

describe('deploy plan ordering', () => {
  it('runs independent steps first, uploads after the datastore, then the deployment, then the default', () => {
    expect(plannedDeploySteps(spec())).toEqual(['compute', 'datastore', 'code', 'model', 'environment', 'endpoint', 'deployment', 'default']);
    const fresh = createDeployProgress(spec());
    expect(runnableDeploySteps(spec(), fresh).sort()).toEqual(['compute', 'datastore', 'endpoint', 'environment']);
  });

  it('lets registered code and model start without waiting for the datastore', () => {
    const s = spec({ code: { kind: 'registered', name: 'c', version: '1' }, model: { kind: 'registered', name: 'm', version: '2' } });
    expect(runnableDeploySteps(s, createDeployProgress(s)).sort()).toEqual(['code', 'compute', 'datastore', 'endpoint', 'environment', 'model']);
  });

  it('leaves out the default step when the deployment is not to become the default', () => {
    expect(plannedDeploySteps(spec({ makeDefault: false }))).not.toContain('default');
  });

  it('offers the deployment only once every step it needs is done', () => {
    const progress = createDeployProgress(spec());
    for (const s of ['compute', 'datastore', 'code', 'model', 'environment'] as const) progress.steps[s]!.status = 'done';
    expect(runnableDeploySteps(spec(), progress)).toEqual(['endpoint']);
    progress.steps.endpoint!.status = 'done';
    expect(runnableDeploySteps(spec(), progress)).toEqual(['deployment']);
  });

  it('starts the deployment once the cluster and the endpoint are accepted, as the recipe does', () => {
    const progress = createDeployProgress(spec());
    for (const s of ['datastore', 'code', 'model', 'environment'] as const) progress.steps[s]!.status = 'done';
    progress.steps.compute = { status: 'running', outputs: {}, attempts: 1 };
    progress.steps.endpoint = { status: 'running', outputs: {}, attempts: 1, accepted: { id: 'ep', previousDefault: '' } };
    expect(runnableDeploySteps(spec(), progress, new Set(['compute', 'endpoint']))).toEqual([]);
    progress.steps.compute.accepted = { id: 'cluster' };
    expect(runnableDeploySteps(spec(), progress, new Set(['compute', 'endpoint']))).toEqual(['deployment']);
  });

  it('moves the default to a deployment still provisioning only where no default carries traffic', () => {
    const progress = createDeployProgress(spec());
    for (const s of ['compute', 'datastore', 'code', 'model', 'environment'] as const) progress.steps[s]!.status = 'done';
    progress.steps.deployment = { status: 'running', outputs: {}, attempts: 1, accepted: { id: 'dp' } };
    progress.steps.endpoint = { status: 'done', outputs: { id: 'ep', previousDefault: 'blue' }, attempts: 1 };
    expect(runnableDeploySteps(spec(), progress, new Set(['deployment']))).toEqual([]);
    progress.steps.endpoint.outputs.previousDefault = '';
    expect(runnableDeploySteps(spec(), progress, new Set(['deployment']))).toEqual(['default']);
    // A failed deployment lets nothing start, accepted or not.
    progress.steps.deployment.status = 'failed';
    expect(runnableDeploySteps(spec(), progress, new Set(['deployment']))).toEqual([]);
  });
});

describe('running the deploy plan', () => {
  it('runs steps concurrently where independent and reports every change in order', async () => {
    const fake = fakeSteps();
    const rec = recorder();
    const run = runDeployPlan(spec(), { steps: fake.steps }, createDeployProgress(spec()), rec.onStep);

    await fake.until(() => fake.waiting().length === 4);
    expect(fake.waiting()).toEqual(['compute', 'datastore', 'endpoint', 'environment']);
    fake.release('datastore');
    await fake.until(() => fake.waiting().includes('code') && fake.waiting().includes('model'));
    for (const s of ['compute', 'endpoint', 'environment', 'code'] as const) fake.release(s);
    await fake.until(() => fake.waiting().length === 1);
    expect(fake.started).not.toContain('deployment'); // model is still running
    fake.release('model');
    await fake.until(() => fake.waiting().includes('deployment'));
    expect(fake.contexts.deployment!.outputs.model).toEqual({ id: 'id-of-model' });
    fake.release('deployment');
    await fake.until(() => fake.waiting().includes('default'));
    fake.release('default');

    const final = await run;
    expect(Object.values(final.steps).every((s) => s!.status === 'done')).toBe(true);
    expect(deployProgressSchema.parse(rec.last())).toEqual(final);
    // Every snapshot is a consistent, serializable document.
    for (const e of rec.events) expect(() => JSON.parse(JSON.stringify(e.progress))).not.toThrow();
    const deploymentEvents = rec.events.filter((e) => e.step === 'deployment').map((e) => e.status);
    expect(deploymentEvents).toEqual(['running', 'done']);
  });

  it('lets the deployment start while the cluster provisions, and finishes only when every operation has', async () => {
    const fake = fakeSteps();
    const rec = recorder();
    const run = runDeployPlan(spec(), { steps: fake.steps }, createDeployProgress(spec()), rec.onStep);
    await fake.until(() => fake.waiting().length === 4);
    await fake.contexts.compute!.accept({ id: 'cluster-id', name: 'batch-cluster', created: 'true' });
    await fake.contexts.endpoint!.accept({ id: 'ep-id', previousDefault: '' });
    for (const s of ['datastore', 'environment'] as const) fake.release(s);
    await fake.until(() => fake.waiting().includes('code') && fake.waiting().includes('model'));
    fake.release('code');
    fake.release('model');
    await fake.until(() => fake.waiting().includes('deployment'));
    expect(fake.contexts.deployment!.outputs.compute).toEqual({ id: 'cluster-id', name: 'batch-cluster', created: 'true' });
    await fake.contexts.deployment!.accept({ id: 'dp-id' });
    // A new endpoint has no default carrying traffic: the default moves while the deployment provisions.
    await fake.until(() => fake.waiting().includes('default'));
    for (const s of ['default', 'deployment', 'endpoint'] as const) fake.release(s);
    await fake.until(() => rec.last().steps.endpoint?.status === 'done');
    expect(rec.last().steps.compute!.status).toBe('running');
    fake.release('compute');
    const final = await run;
    expect(Object.values(final.steps).every((s) => s!.status === 'done' && s!.accepted === undefined)).toBe(true);
  });

  it('skips finished steps and resumes an in-flight operation from its saved poller', async () => {
    const saved = createDeployProgress(spec());
    for (const s of ['compute', 'datastore', 'code', 'model', 'environment', 'endpoint'] as const) {
      saved.steps[s] = { status: 'done', outputs: { id: `saved-${s}` }, attempts: 1 };
    }
    saved.steps.deployment = { status: 'running', outputs: {}, poller: '{"saved":"poller"}', attempts: 1 };
    const fake = fakeSteps({ autoRelease: true });
    const rec = recorder();

    const final = await runDeployPlan(spec(), { steps: fake.steps }, saved, rec.onStep);

    expect(fake.started).toEqual(['deployment', 'default']);
    expect(fake.contexts.deployment!.poller).toBe('{"saved":"poller"}');
    expect(fake.contexts.deployment!.outputs.compute).toEqual({ id: 'saved-compute' });
    expect(fake.contexts.default!.poller).toBeUndefined();
    expect(final.steps.deployment).toMatchObject({ status: 'done', attempts: 2, poller: undefined });
  });

  it('persists a checkpointed poller before the step goes on', async () => {
    const fake = fakeSteps({ autoRelease: true });
    const rec = recorder();
    fake.steps.endpoint = async (ctx) => {
      await ctx.checkpoint('{"op":"endpoint"}');
      expect(rec.last().steps.endpoint!.poller).toBe('{"op":"endpoint"}');
      return { scoringUri: 'https://example/score' };
    };
    const final = await runDeployPlan(spec(), { steps: fake.steps }, createDeployProgress(spec()), rec.onStep);
    expect(final.steps.endpoint).toMatchObject({ status: 'done', outputs: { scoringUri: 'https://example/score' } });
    expect(final.steps.endpoint!.poller).toBeUndefined();
  });

  it('throws a DeployStepError naming the failed step, after the others in flight have settled', async () => {
    const cause = new AzureMlError({ code: 'QuotaExceeded', message: 'not enough cores', statusCode: 400 });
    const fake = fakeSteps({ fail: { compute: cause } });
    const rec = recorder();
    const run = runDeployPlan(spec(), { steps: fake.steps }, createDeployProgress(spec()), rec.onStep);
    await fake.until(() => fake.waiting().length === 4);
    fake.release('compute');
    fake.release('datastore');
    fake.release('endpoint');
    // environment is still running: the run must wait for it before rejecting.
    await fake.until(() => rec.events.some((e) => e.step === 'compute' && e.status === 'failed'));
    expect(fake.started).not.toContain('code'); // nothing new starts after a failure
    fake.release('environment');

    const err = await run.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeployStepError);
    expect(err).toMatchObject({ step: 'compute', code: 'QuotaExceeded', cause });
    expect((err as Error).message).toContain("deploy step 'compute' failed: not enough cores");
    const last = rec.last();
    expect(last.steps.compute).toMatchObject({ status: 'failed', error: { code: 'QuotaExceeded', message: 'not enough cores' } });
    expect(last.steps.environment!.status).toBe('done');
    expect(last.steps.deployment!.status).toBe('pending');
  });

  it('retries a failed step from scratch on the next run', async () => {
    const saved = createDeployProgress(spec());
    saved.steps.compute = { status: 'failed', outputs: {}, error: { code: 'X', message: 'y' }, attempts: 1 };
    const fake = fakeSteps({ autoRelease: true });
    const final = await runDeployPlan(spec(), { steps: fake.steps }, saved, recorder().onStep);
    expect(fake.contexts.compute!.poller).toBeUndefined();
    expect(final.steps.compute).toMatchObject({ status: 'done', attempts: 2, error: undefined });
  });

  it('stops and reports the checkpoint failure when progress cannot be saved', async () => {
    const fake = fakeSteps({ autoRelease: true });
    let calls = 0;
    const saveFailure = new Error('redis is down');
    const err = await runDeployPlan(spec(), { steps: fake.steps }, createDeployProgress(spec()), async (e) => {
      calls++;
      if (e.step === 'datastore' && e.status === 'done') throw saveFailure;
    }).catch((e: unknown) => e);
    expect(err).toBe(saveFailure);
    expect(fake.started).not.toContain('code');
    expect(calls).toBeGreaterThan(0);
  });
});
