// The deploy plan (pure): the recipe's steps as a small dependency graph and how far a deploy got.
// compute, datastore, environment and endpoint need nothing; code and model uploads need the datastore;
// the deployment needs all of them; `default` (the endpoint PUT with defaults.deploymentName) needs the
// deployment. Progress is plain serializable data (a BullMQ job's checkpoint). Running the plan against
// Azure is src/azureml/deploy-plan.ts; Slack's checklist and the CLI's lines read the same steps from here.
import { z } from 'zod';
import type { DeploySpec } from './deploy-spec';

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

export const deployProgressSchema = z.object({
  version: z.literal(1),
  steps: z.partialRecord(deployStepNameSchema, deployStepStateSchema),
});
export type DeployProgress = z.infer<typeof deployProgressSchema>;


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
