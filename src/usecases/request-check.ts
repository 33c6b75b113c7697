// The check a request gets before an approver is asked or anything is queued (the pre-flight): does what it
// names exist (the endpoint and deployment of a run or set-default, the endpoint of a delete, the job of a
// cancel and whether it is still running, the cluster, registered assets, folders and scoring script of a
// deploy)? A missing resource is ARM's 404, never a match on message text. A deploy's `latest` labels are
// pinned here to the versions that exist now, so the approver sees (and the deploy uses) one version.
import type { AzureMlClient } from '../azureml';
import { isTerminalJobStatus } from '../azureml/jobs';
import type { RequestSubject } from '../domain/request-subject';
import { foundOr, isTargetNotFound, type MissingTarget } from './target-not-found';

export interface RequestCheckDeps {
  azureml: {
    endpoints: Pick<AzureMlClient['endpoints'], 'get'>;
    deployments: Pick<AzureMlClient['deployments'], 'get'>;
    jobs: Pick<AzureMlClient['jobs'], 'get'>;
    resolveDeploySources: AzureMlClient['resolveDeploySources'];
  };
}

/** What stops a request, for the front end to say in its words. */
export type RequestProblem =
  /** What it names is not there; `verb` is the command's, when it was one. */
  | { kind: 'target-missing'; missing: MissingTarget; azure: { code: string; requestId?: string }; verb?: string }
  /** A cancel of a job that has ended. */
  | { kind: 'job-already-finished'; jobName: string; status: string }
  /** What a deploy names is missing or unusable, one line per step. */
  | { kind: 'deploy-sources'; problems: { step: string; message: string }[] };

/** The request as it will be taken (a deploy with its labels pinned), or what is wrong with it. */
export async function checkRequest<W extends RequestSubject>(deps: RequestCheckDeps, work: W): Promise<{ work: W; problem?: RequestProblem }> {
  if (work.kind === 'deploy') {
    const { spec, problems } = await deps.azureml.resolveDeploySources(work.spec);
    if (problems.length > 0) return { work, problem: { kind: 'deploy-sources', problems: problems.map((p) => ({ step: p.step, message: p.message })) } };
    return { work: { ...work, spec } };
  }
  try {
    const problem = await findProblem(deps, work);
    return problem ? { work, problem } : { work };
  } catch (err) {
    if (!isTargetNotFound(err)) throw err;
    const verb = work.kind === 'command' ? work.command.verb : undefined;
    return { work, problem: { kind: 'target-missing', missing: err.missing, azure: { code: err.code, ...(err.requestId ? { requestId: err.requestId } : {}) }, ...(verb ? { verb } : {}) } };
  }
}

async function existing(deps: RequestCheckDeps, endpointName: string, deploymentName?: string): Promise<void> {
  await foundOr(deps.azureml.endpoints.get(endpointName), { kind: 'endpoint', endpointName });
  if (deploymentName !== undefined) await foundOr(deps.azureml.deployments.get(endpointName, deploymentName), { kind: 'deployment', endpointName, deploymentName });
}

async function findProblem(deps: RequestCheckDeps, work: RequestSubject): Promise<RequestProblem | undefined> {
  if (work.kind === 'run') return void (await existing(deps, work.spec.endpointName, work.spec.deploymentName));
  if (work.kind !== 'command') return undefined;
  const command = work.command;
  switch (command.verb) {
    case 'set-default':
      return void (await existing(deps, command.endpointName, command.deploymentName));
    case 'delete':
      return void (await existing(deps, command.endpointName));
    case 'cancel': {
      const job = await foundOr(deps.azureml.jobs.get(command.jobName), { kind: 'job', jobName: command.jobName });
      const status = job.properties.status;
      return status !== undefined && isTerminalJobStatus(status) ? { kind: 'job-already-finished', jobName: command.jobName, status } : undefined;
    }
    default:
      return undefined;
  }
}
