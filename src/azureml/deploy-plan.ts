// The deploy plan: the recipe's steps as a small dependency graph, run concurrently where independent and
// resumable from a checkpoint. compute, datastore, environment and endpoint need nothing; code and model
// uploads need the datastore; the deployment needs all of them; `default` (the endpoint PUT with
// defaults.deploymentName) needs the deployment. As the recipe does, the deployment is created as soon as the
// service has accepted the cluster and the endpoint (their PUTs answered), without waiting for them to be
// provisioned; on an endpoint with no default yet (nothing to break), the default is set as soon as the
// deployment is accepted. The plan is complete only once every operation has succeeded. Progress is plain
// serializable data the caller persists
// after every change (a BullMQ job's updateData); given saved progress, finished steps are skipped and a
// step whose long-running operation was in flight resumes polling its saved state instead of PUTting again.
import { z } from 'zod';
import type { DeploySpec } from '../domain/deploy-spec';
import { AzureMlError } from './errors';
import { setMaxListeners } from 'node:events';

export const deployStepNameSchema = z.enum(['compute', 'datastore', 'code', 'model', 'environment', 'endpoint', 'deployment', 'default']);
export type DeployStepName = z.infer<typeof deployStepNameSchema>;

export const deployStepStatusSchema = z.enum(['pending', 'running', 'done', 'failed']);
export type DeployStepStatus = z.infer<typeof deployStepStatusSchema>;

export const deployStepStateSchema = z.object({
  status: deployStepStatusSchema,
  /** What the step produced: asset ids, versions, scoringUri, upload counts (strings, for Slack). */
  outputs: z.record(z.string(), z.string()).default({}),
  /** Serialized PollerState of an in-flight long-running operation (long-running-operation.ts). */
  poller: z.string().optional(),
  error: z.object({ code: z.string(), message: z.string() }).optional(),
  /** How many times the step was started, across resumes. */
  attempts: z.number().int().min(0).default(0),
  /** What the step could tell once the service accepted its resource, before the operation finished. */
  accepted: z.record(z.string(), z.string()).optional(),
});
export type DeployStepState = z.infer<typeof deployStepStateSchema>;

export const deployProgressSchema = z.object({
  version: z.literal(1),
  steps: z.partialRecord(deployStepNameSchema, deployStepStateSchema),
});
export type DeployProgress = z.infer<typeof deployProgressSchema>;

/** Outputs of the steps finished so far, by step. */
export type DeployOutputs = Partial<Record<DeployStepName, Record<string, string>>>;

export interface DeployStepContext {
  spec: DeploySpec;
  outputs: DeployOutputs;
  /** The saved in-flight operation to resume, if the step was interrupted while waiting on one. */
  poller?: string;
  /** Records (or clears) the in-flight operation; resolves once the caller has persisted it. */
  checkpoint(poller: string | undefined): Promise<void>;
  /** The service accepted the resource (ids known): steps that need only that may start; persisted first. */
  accept(outputs: Record<string, string>): Promise<void>;
  /** What this step recorded in an earlier attempt (kept across failures and resumes). */
  previous: Record<string, string>;
  /**
   * Records outputs before the step finishes, persisted at once: a step says `created: 'true'` before
   * the PUT that creates its resource, so a failure after it still knows what this request created.
   */
  remember(outputs: Record<string, string>): Promise<void>;
  /** Aborted when the run is stopping (another step failed to persist, or the caller gave up). */
  signal: AbortSignal;
}

export type DeployStepFunction = (ctx: DeployStepContext) => Promise<Record<string, string>>;
export type DeployStepFunctions = Record<DeployStepName, DeployStepFunction>;

export interface DeployPlanDeps {
  steps: DeployStepFunctions;
  signal?: AbortSignal;
}

export interface DeployStepEvent {
  step: DeployStepName;
  status: DeployStepStatus;
  /** A snapshot of the whole progress after this change: persist it as is. */
  progress: DeployProgress;
}

/**
 * The error itself when it is one (Node's own errors included: from another realm, such as a test
 * sandbox, they fail `instanceof Error` yet carry code, syscall and message), else a wrapper.
 */
export function asError(err: unknown): Error {
  return err !== null && typeof err === 'object' && typeof (err as { message?: unknown }).message === 'string' ? (err as Error) : new Error(String(err));
}

export class DeployStepError extends Error {
  override readonly name = 'DeployStepError';
  readonly code: string;
  constructor(
    readonly step: DeployStepName,
    override readonly cause: Error,
  ) {
    super(`deploy step '${step}' failed: ${cause.message}`);
    const code: unknown = (cause as Error & { code?: unknown }).code;
    this.code = typeof code === 'string' ? code : 'StepFailed';
  }
}

// ---- The plan (pure) -----------------------------------------------------------------------------

/** Each planned step with the steps it waits for. `default` is planned only when spec.makeDefault. */
export function deployStepDependencies(spec: PlanShape): Partial<Record<DeployStepName, DeployStepName[]>> {
  const plan: Partial<Record<DeployStepName, DeployStepName[]>> = {
    compute: [],
    datastore: [],
    endpoint: [],
  };
  // A registered or registry asset needs no upload, so it need not wait for the datastore lookup.
  plan.model = spec.model.kind === 'upload' ? ['datastore'] : [];
  // An MLflow model deploys without scoring code or environment: those steps are not planned at all.
  if (spec.code !== undefined) plan.code = spec.code.kind === 'upload' ? ['datastore'] : [];
  if (spec.environment !== undefined) plan.environment = [];
  plan.deployment = (['compute', 'code', 'model', 'environment', 'endpoint'] as const).filter((s) => plan[s] !== undefined);
  if (spec.makeDefault) plan.default = ['deployment'];
  return plan;
}

/** What of a spec decides which steps are planned. */
export type PlanShape = Pick<DeploySpec, 'makeDefault' | 'code' | 'model' | 'environment'>;

/** The planned steps in an order that respects dependencies (the order steps appear in Slack). */
export function plannedDeploySteps(spec: PlanShape): DeployStepName[] {
  const deps = deployStepDependencies(spec);
  const order: DeployStepName[] = [];
  const placed = new Set<DeployStepName>();
  const names = deployStepNameSchema.options.filter((n) => deps[n] !== undefined);
  while (order.length < names.length) {
    const next = names.find((n) => !placed.has(n) && (deps[n] ?? []).every((d) => placed.has(d)));
    if (!next) throw new Error('deploy plan has a dependency cycle'); // unreachable for the fixed plan
    order.push(next);
    placed.add(next);
  }
  return order;
}

/** Fresh progress: every planned step pending. */
export function createDeployProgress(spec: PlanShape): DeployProgress {
  const steps: DeployProgress['steps'] = {};
  for (const step of plannedDeploySteps(spec)) steps[step] = { status: 'pending', outputs: {}, attempts: 0 };
  return { version: 1, steps };
}

/**
 * Whether `step` may start on `dependency` once the service accepted it rather than once it is done. The
 * recipe creates the cluster, the endpoint and the deployment one after the other without waiting; the
 * default may move to a deployment still provisioning only where no default carries traffic yet.
 */
export function acceptedIsEnough(step: DeployStepName, dependency: DeployStepName, progress: DeployProgress): boolean {
  if (step === 'deployment') return dependency === 'compute' || dependency === 'endpoint';
  if (step === 'default' && dependency === 'deployment') {
    const endpoint = progress.steps.endpoint;
    return (endpoint?.status === 'done' ? endpoint.outputs : endpoint?.accepted)?.previousDefault === '';
  }
  return false;
}

function dependencyMet(step: DeployStepName, dependency: DeployStepName, progress: DeployProgress): boolean {
  const d = progress.steps[dependency];
  if (d?.status === 'done') return true;
  return d?.status === 'running' && d.accepted !== undefined && acceptedIsEnough(step, dependency, progress);
}

/**
 * Steps that can start now: not done, not already started in this run, and with every dependency done
 * (or accepted, where that is enough). A step saved as `running` or `failed` by an earlier run is
 * startable again (resume or retry).
 */
export function runnableDeploySteps(
  spec: PlanShape,
  progress: DeployProgress,
  startedInThisRun: ReadonlySet<DeployStepName> = new Set(),
): DeployStepName[] {
  const deps = deployStepDependencies(spec);
  return plannedDeploySteps(spec).filter(
    (step) =>
      progress.steps[step]?.status !== 'done' &&
      !startedInThisRun.has(step) &&
      (deps[step] ?? []).every((d) => dependencyMet(step, d, progress)),
  );
}

/** Whether every planned step is done. */
export function isDeployComplete(spec: PlanShape, progress: DeployProgress): boolean {
  return plannedDeploySteps(spec).every((s) => progress.steps[s]?.status === 'done');
}

// ---- Running it ------------------------------------------------------------------------------------

function errorSummary(err: Error): { code: string; message: string } {
  const code = (err as { code?: unknown }).code;
  return { code: typeof code === 'string' ? code : err.name, message: err.message };
}

/**
 * Runs the planned steps from `progress` (fresh or saved) and resolves with the final progress. Every change
 * is reported through `onStep` with a snapshot to persist; calls are serialized, in order. A failing step
 * throws DeployStepError naming it, after the steps still in flight have settled and been recorded. If
 * `onStep` itself fails (the checkpoint could not be saved), the run stops and that error is thrown.
 */
export async function runDeployPlan(
  spec: DeploySpec,
  deps: DeployPlanDeps,
  progress: DeployProgress,
  onStep: (event: DeployStepEvent) => Promise<void>,
): Promise<DeployProgress> {
  const state: DeployProgress = structuredClone(deployProgressSchema.parse(progress));
  for (const step of plannedDeploySteps(spec)) {
    state.steps[step] ??= { status: 'pending', outputs: {}, attempts: 0 };
  }
  const stop = new AbortController();
  // Every concurrent step, and each file upload within one, listens on this signal: more than Node's
  // default warning threshold of 10 is expected, not a leak.
  setMaxListeners(0, stop.signal);
  const onOuterAbort = (): void => stop.abort(deps.signal?.reason);
  deps.signal?.addEventListener('abort', onOuterAbort, { once: true });

  let persistChain: Promise<void> = Promise.resolve();
  let persistFailure: unknown;
  const persist = (step: DeployStepName): Promise<void> => {
    const event: DeployStepEvent = { step, status: state.steps[step]!.status, progress: structuredClone(state) };
    persistChain = persistChain.then(() => (persistFailure === undefined ? onStep(event) : undefined));
    return persistChain.catch((err: unknown) => {
      if (persistFailure === undefined) persistFailure = err;
      stop.abort(err);
      throw err;
    });
  };

  const outputsSoFar = (): DeployOutputs => {
    const out: DeployOutputs = {};
    for (const [name, s] of Object.entries(state.steps)) {
      if (s?.status === 'done') out[name as DeployStepName] = { ...s.outputs };
      else if (s?.status === 'running' && s.accepted) out[name as DeployStepName] = { ...s.accepted };
    }
    return out;
  };

  const started = new Set<DeployStepName>();
  const inFlight = new Map<DeployStepName, Promise<void>>();
  // A step accepted by the service may let others start before it settles: the loop below wakes on it.
  let wakeUp: () => void = () => undefined;
  const wake = (): void => wakeUp();
  let failure: DeployStepError | undefined;

  const runStep = async (step: DeployStepName): Promise<void> => {
    const s = state.steps[step]!;
    // A step saved as running with an operation in flight resumes it; anything else starts afresh.
    const resumePoller = s.status === 'running' ? s.poller : undefined;
    s.status = 'running';
    s.poller = resumePoller;
    if (!resumePoller) s.accepted = undefined;
    s.error = undefined;
    s.attempts += 1;
    try {
      await persist(step);
      const outputs = await deps.steps[step]({
        spec,
        outputs: outputsSoFar(),
        poller: resumePoller,
        signal: stop.signal,
        previous: { ...s.outputs },
        remember: async (outputs) => {
          s.outputs = { ...s.outputs, ...outputs };
          await persist(step);
        },
        checkpoint: async (poller) => {
          s.poller = poller;
          await persist(step);
        },
        accept: async (accepted) => {
          s.accepted = accepted;
          await persist(step);
          wake();
        },
      });
      s.status = 'done';
      // Merged into what the step remembered on the way (e.g. `created`), its own outputs winning.
      s.outputs = { ...s.outputs, ...outputs };
      s.poller = undefined;
      s.accepted = undefined;
      await persist(step);
    } catch (err) {
      if (persistFailure !== undefined) return; // the run is stopping; the persist error is what we report
      const error = asError(err);
      s.status = 'failed';
      // A failed operation is finished: a retry must issue its request again, not poll the dead one.
      s.poller = undefined;
      s.accepted = undefined;
      s.error = errorSummary(error);
      failure ??= new DeployStepError(step, error);
      await persist(step).catch(() => undefined);
    }
  };

  try {
    for (;;) {
      if (failure === undefined && persistFailure === undefined && !stop.signal.aborted) {
        for (const step of runnableDeploySteps(spec, state, started)) {
          started.add(step);
          const p = runStep(step).finally(() => inFlight.delete(step));
          inFlight.set(step, p);
        }
      }
      if (inFlight.size === 0) break;
      const woken = new Promise<void>((resolve) => (wakeUp = resolve));
      await Promise.race([...inFlight.values(), woken]);
    }
    await persistChain.catch(() => undefined);
  } finally {
    deps.signal?.removeEventListener('abort', onOuterAbort);
  }
  if (persistFailure !== undefined) throw persistFailure;
  if (failure) throw failure;
  if (!isDeployComplete(spec, state)) {
    // Only reachable when the caller aborted before every step could start.
    throw new AzureMlError({ code: 'OperationCanceled', message: 'the deployment was stopped before it finished', retriable: true });
  }
  return state;
}
