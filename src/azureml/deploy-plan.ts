// Running the deploy plan (the plan itself, pure, is src/domain/deploy-plan.ts): the steps run concurrently
// where independent and resume from a checkpoint. As the recipe does, the deployment is created as soon as the
// service has accepted the cluster and the endpoint (their PUTs answered), without waiting for them to be
// provisioned; on an endpoint with no default yet (nothing to break), the default is set as soon as the
// deployment is accepted. The plan is complete only once every operation has succeeded. The caller persists
// the progress after every change (a BullMQ job's updateData); given saved progress, finished steps are skipped
// and a step whose long-running operation was in flight resumes polling its saved state instead of PUTting again.
import {
  deployProgressSchema,
  plannedDeploySteps,
  isDeployComplete,
  runnableDeploySteps,
  type DeployProgress,
  type DeployStepName,
  type DeployStepStatus,
} from '../domain/deploy-plan';
import type { DeploySpec } from '../domain/deploy-spec';
import { AzureMlError } from './errors';
import { setMaxListeners } from 'node:events';

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
