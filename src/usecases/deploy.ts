// `deploy`: runs (or resumes) the deploy plan for a spec, for the deploy worker and the CLI alike, and
// says what now exists. The plan itself (steps, resumable long-running operations) is src/azureml/deploy-plan.ts.
import type { AzureMlClient } from '../azureml';
import type { DeployStepEvent } from '../azureml/deploy-plan';
import { createDeployProgress, type DeployProgress } from '../domain/deploy-plan';
import type { DeploySpec } from '../domain/deploy-spec';
import { deployResult, type DeployResult } from './deploy-summary';
import type { WorkspaceLinks } from './studio-links';

export interface DeployDeps {
  azureml: Pick<AzureMlClient, 'runDeployPlan'>;
  links?: WorkspaceLinks;
}

export interface DeployOptions {
  /** Saved progress to resume from; default a fresh plan. */
  progress?: DeployProgress;
  /** Every checkpoint of the plan (a step's change, each poll of a long-running operation). */
  onStep: (event: DeployStepEvent) => Promise<void>;
  signal?: AbortSignal;
}

export async function deploy(deps: DeployDeps, spec: DeploySpec, opts: DeployOptions): Promise<{ progress: DeployProgress; result: DeployResult }> {
  const progress = await deps.azureml.runDeployPlan(spec, opts.progress ?? createDeployProgress(spec), opts.onStep, opts.signal ? { signal: opts.signal } : {});
  return { progress, result: deployResult(spec, progress, deps.links) };
}
