// `run`: invoking a batch endpoint for a run spec, for the run worker and the CLI alike, and finding the
// job an earlier attempt of the same request started (the run worker's exactly-once rule; see
// src/azureml/invoked-job.ts for what Azure exposes to match on).
import type { AzureMlClient } from '../azureml';
import { invokedJobCandidates, isInvokeOf } from '../azureml/invoked-job';
import type { Job } from '../azureml/resources';
import { jobOutputUri, jobStudioUrl, type InvokeRequest, type ScoringJob } from '../azureml/scoring';
import { parseDataReference } from '../domain/data-reference';
import type { RunSpec } from '../domain/run-spec';
import { summarizeJob, type JobSummary } from './job-summary';
import type { WorkspaceLinks } from './studio-links';

export interface InvokeJobDeps {
  azureml: { scoring: Pick<AzureMlClient['scoring'], 'invoke'> };
}

/** One logical invoke across attempts: the repeatability id and when it was first sent. */
export interface InvokeRepeatability {
  repeatabilityId: string;
  firstSentAt: number;
}

export function invokeRequestOf(spec: RunSpec, repeatability?: InvokeRepeatability): InvokeRequest {
  return {
    endpointName: spec.endpointName,
    ...(spec.deploymentName ? { deploymentName: spec.deploymentName } : {}),
    input: { ref: parseDataReference(spec.input.uri), type: spec.input.kind },
    ...(spec.output ? { output: { ref: parseDataReference(spec.output.uri) } } : {}),
    ...(repeatability ?? {}),
    ...(spec.settings ? { settings: spec.settings } : {}),
  };
}

export function invokeJob(deps: InvokeJobDeps, spec: RunSpec, repeatability?: InvokeRepeatability) {
  return deps.azureml.scoring.invoke(invokeRequestOf(spec, repeatability));
}

/** The invoked job's summary; the invoke answer may not name the endpoint or deployment yet, the request did. */
export function summarizeInvokedJob(job: Job | ScoringJob, spec: RunSpec, links?: WorkspaceLinks): JobSummary {
  const summary = summarizeJob(job, links);
  if (!summary.endpointName) summary.endpointName = spec.endpointName;
  if (!summary.deploymentName && spec.deploymentName) summary.deploymentName = spec.deploymentName;
  return summary;
}

export interface EarlierInvokeDeps {
  azureml: {
    jobs: Pick<AzureMlClient['jobs'], 'listForEndpoint'>;
    scoring: Pick<AzureMlClient['scoring'], 'getScoringUri' | 'getJob'>;
  };
}

export interface InvokedJob {
  jobName: string;
  scoringUri: string;
  outputUri?: string;
  studioUrl?: string;
}

/**
 * The job an earlier attempt of this request started, if the service accepted that invoke: a job of the
 * endpoint created since `since` whose data-plane document is this invoke, and that no other request
 * claims (`claimedByOther`).
 */
export async function findEarlierInvoke(
  deps: EarlierInvokeDeps,
  spec: RunSpec,
  since: number,
  claimedByOther: (jobName: string) => Promise<boolean>,
): Promise<InvokedJob | undefined> {
  const az = deps.azureml;
  const query = {
    endpointName: spec.endpointName,
    inputUri: spec.input.uri,
    ...(spec.output ? { outputUri: spec.output.uri } : {}),
    ...(spec.deploymentName ? { deploymentName: spec.deploymentName } : {}),
    since,
  };
  const candidates = invokedJobCandidates(await az.jobs.listForEndpoint(spec.endpointName), query);
  if (candidates.length === 0) return undefined;
  const scoringUri = await az.scoring.getScoringUri(spec.endpointName);
  for (const candidate of candidates) {
    const doc = await az.scoring.getJob(scoringUri, candidate.name);
    if (!isInvokeOf(doc, query)) continue;
    if (await claimedByOther(candidate.name)) continue;
    const outputUri = spec.output?.uri ?? jobOutputUri(doc);
    const studioUrl = jobStudioUrl(doc);
    return { jobName: candidate.name, scoringUri, ...(outputUri ? { outputUri } : {}), ...(studioUrl ? { studioUrl } : {}) };
  }
  return undefined;
}
