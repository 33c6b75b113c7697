// The messages the workers post about a request, composed from the Block Kit builders in ./blocks from
// the workers' own state (deploy progress, Azure resources, typed failures). Pure: state in, message out.
import { plannedDeploySteps, type DeployProgress, type DeployStepName } from '../domain/deploy-plan';
import type { DeploySpec } from '../domain/deploy-spec';
import { buildApprovalDecidedMessage } from './blocks/approval-request-message';
import { context, message, section, type SlackMessage } from './blocks/block-kit';
import { buildDeployChecklistMessage, type ChecklistStep } from './blocks/deploy-checklist-message';
import { buildEndpointDetailsMessage, buildEndpointsListMessage } from './blocks/endpoint-messages';
import { buildDeploySucceededMessage, buildJobSucceededMessage, buildRequestFailedMessage } from './blocks/final-reply-messages';
import { buildJobStatusLineMessage, buildJobStatusMessage } from './blocks/job-status-message';
import { buildJobCanceledMessage, buildJobCompletedWithFailuresMessage } from './blocks/job-outcome-messages';
import { buildJobsListMessage } from './blocks/jobs-list-message';
import { buildRequestParentMessage, type RequestStatus } from './blocks/request-parent-message';
import type { RequestSubject } from '../domain/request-subject';
import { slackDate } from './blocks/time-text';
import { code, escapeMrkdwn, link, mention } from './mrkdwn';

export interface Requester {
  userId: string;
}

// What these messages read of Azure ML's resources, written as structural types: src/slack renders and does
// not depend on src/azureml (whose resource schemas, resources.ts, satisfy them).
interface JobResource {
  name: string;
  properties: Record<string, unknown>;
  systemData?: { createdAt?: string };
}

interface EndpointResource {
  name: string;
  properties: { defaults?: { deploymentName?: string | null } | null; provisioningState?: string; scoringUri?: string | null; description?: string | null };
}

interface DeploymentResource {
  name: string;
  properties: { provisioningState?: string; resources?: { instanceCount?: number } | null; compute?: string | null; model?: { assetId?: string } | null };
}

export interface ApprovalInfo {
  id: string;
  requester: Requester;
  action: string;
  command: unknown;
  createdAt: number;
  expiresAt: number;
  status: 'pending' | 'approved' | 'rejected' | 'expired' | 'withdrawn';
  decidedBy?: string;
  decidedAt?: number;
}

export interface FailureView {
  step?: string;
  code: string;
  message: string;
  requestId?: string;
}

export interface WorkspaceLinks {
  studioUrl: string;
  workspace: { subscriptionId: string; resourceGroup: string; workspace: string };
}

function wsid(ws: WorkspaceLinks['workspace']): string {
  return `/subscriptions/${encodeURIComponent(ws.subscriptionId)}/resourcegroups/${encodeURIComponent(ws.resourceGroup)}/workspaces/${encodeURIComponent(ws.workspace)}`;
}

export function studioJobLink(links: WorkspaceLinks, jobName: string): string {
  return `${links.studioUrl}/runs/${encodeURIComponent(jobName)}?wsid=${wsid(links.workspace)}`;
}

export function studioEndpointLink(links: WorkspaceLinks, endpointName: string): string {
  return `${links.studioUrl}/endpoints/batch/${encodeURIComponent(endpointName)}?wsid=${wsid(links.workspace)}`;
}

/** The request's parent message: the subject and its status, plus who decided when it needed approval. */
function parent(view: {
  requestId: string;
  requester: Requester;
  subject: RequestSubject;
  status: RequestStatus;
  approval?: ApprovalInfo;
  detail?: string;
  now?: number;
}): SlackMessage {
  const base = buildRequestParentMessage({
    requestId: view.requestId,
    requesterId: view.requester.userId,
    subject: view.subject,
    status: view.status,
    ...(view.detail ? { detail: view.detail } : {}),
    ...(view.now !== undefined ? { updatedAt: view.now } : {}),
  });
  const a = view.approval;
  if (!a || a.status === 'pending' || !a.decidedAt) return base;
  const who = a.decidedBy ? mention(a.decidedBy) : 'an approver';
  return message(base.text, [...base.blocks, context([`:ballot_box_with_check: ${escapeMrkdwn(a.status)} by ${who} ${slackDate(a.decidedAt)}`])]);
}

function checklistSteps(spec: DeploySpec, progress: DeployProgress): ChecklistStep[] {
  return plannedDeploySteps(spec).map((name: DeployStepName) => {
    const state = progress.steps[name];
    const outputs = state?.outputs ?? {};
    const detail =
      state?.status === 'failed'
        ? state.error?.code
        : (outputs.version && `version ${outputs.version}`) ||
          (outputs.uploaded !== undefined ? `${outputs.uploaded} uploaded, ${outputs.skipped ?? 0} unchanged` : undefined) ||
          outputs.name;
    return { name, status: state?.status ?? 'pending', ...(detail ? { detail } : {}) };
  });
}

function toDate(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}

export const threadMessages = {
  parent,

  deployChecklist(view: { spec: DeploySpec; progress: DeployProgress }): SlackMessage {
    return buildDeployChecklistMessage({
      endpointName: view.spec.endpointName,
      deploymentName: view.spec.deploymentName,
      steps: checklistSteps(view.spec, view.progress),
    });
  },

  deploySucceeded(view: { requester: Requester; spec: DeploySpec; scoringUri?: string; durationMs: number; links: WorkspaceLinks }): SlackMessage {
    return buildDeploySucceededMessage({
      requesterId: view.requester.userId,
      endpointName: view.spec.endpointName,
      deploymentName: view.spec.deploymentName,
      isDefault: view.spec.makeDefault,
      ...(view.scoringUri ? { scoringUri: view.scoringUri } : {}),
      studioUrl: studioEndpointLink(view.links, view.spec.endpointName),
      durationMs: view.durationMs,
    });
  },

  jobStarted(view: { jobName: string; endpointName: string; deploymentName?: string; links: WorkspaceLinks }): SlackMessage {
    const target = view.deploymentName ? `${code(view.endpointName)} (deployment ${code(view.deploymentName)})` : code(view.endpointName);
    const text = `:rocket: Scoring job ${code(view.jobName)} started on ${target}`;
    return message(text, [section(text), context([link(studioJobLink(view.links, view.jobName), 'Open in Azure ML studio'), `\`status ${escapeMrkdwn(view.jobName)}\` · \`cancel ${escapeMrkdwn(view.jobName)}\``])]);
  },

  jobStatus(view: { jobName: string; endpointName: string; status: string; elapsedMs: number }): SlackMessage {
    return buildJobStatusLineMessage(view);
  },

  jobSucceeded(view: { requester: Requester; jobName: string; endpointName: string; outputUri?: string; studioUrl?: string; durationMs: number; links: WorkspaceLinks }): SlackMessage {
    return buildJobSucceededMessage({
      requesterId: view.requester.userId,
      jobName: view.jobName,
      endpointName: view.endpointName,
      ...(view.outputUri ? { outputLocation: view.outputUri } : {}),
      studioUrl: view.studioUrl ?? studioJobLink(view.links, view.jobName),
      durationMs: view.durationMs,
    });
  },

  jobCanceled(view: { requester: Requester; jobName: string; endpointName: string; durationMs: number }): SlackMessage {
    return buildJobCanceledMessage({ requesterId: view.requester.userId, jobName: view.jobName, endpointName: view.endpointName, durationMs: view.durationMs });
  },

  jobCompletedWithFailures(view: { requester: Requester; jobName: string; endpointName: string; outputUri?: string; durationMs: number; itemsFailed: number; itemsSucceeded?: number }): SlackMessage {
    return buildJobCompletedWithFailuresMessage({
      requesterId: view.requester.userId,
      jobName: view.jobName,
      endpointName: view.endpointName,
      itemsFailed: view.itemsFailed,
      ...(view.itemsSucceeded !== undefined ? { itemsSucceeded: view.itemsSucceeded } : {}),
      outputLocation: view.outputUri ?? 'the job folder on the workspace default datastore',
      durationMs: view.durationMs,
    });
  },

  failure(view: { requester: Requester; requestId: string; what: string; failure: FailureView; durationMs?: number; hint?: string }): SlackMessage {
    return buildRequestFailedMessage({
      requesterId: view.requester.userId,
      what: view.what,
      ...(view.failure.step ? { failedStep: view.failure.step } : {}),
      errorCode: view.failure.code,
      errorMessage: view.failure.message,
      requestId: view.requestId,
      ...(view.failure.requestId ? { serviceRequestId: view.failure.requestId } : {}),
      ...(view.durationMs !== undefined ? { durationMs: view.durationMs } : {}),
      ...(view.hint ? { hint: view.hint } : {}),
    });
  },

  changeSucceeded(view: { requester: Requester; summary: string }): SlackMessage {
    const text = `:white_check_mark: ${mention(view.requester.userId)} ${escapeMrkdwn(view.summary)}`;
    return message(text, [section(text)]);
  },

  /** A cancel's confirmation inside the job's own thread, where the run's final reply says how it ended. */
  cancelRequested(view: { requester: Requester; summary: string }): SlackMessage {
    const text = `:octagonal_sign: ${mention(view.requester.userId)} ${escapeMrkdwn(view.summary)}`;
    return message(text, [section(text)]);
  },

  approvalDecided(view: { approval: ApprovalInfo; subject: RequestSubject; now: number }): SlackMessage {
    const a = view.approval;
    const decision = a.status === 'pending' ? 'expired' : a.status;
    return buildApprovalDecidedMessage({
      approvalId: a.id,
      requesterId: a.requester.userId,
      subject: view.subject,
      createdAt: a.createdAt,
      expiresAt: a.expiresAt,
      decision,
      ...(a.decidedBy ? { deciderId: a.decidedBy } : {}),
      decidedAt: a.decidedAt ?? view.now,
    });
  },

  jobDetails(view: { job: JobResource; links: WorkspaceLinks; now: number }): SlackMessage {
    const p = view.job.properties as Record<string, unknown> & { properties?: Record<string, string | null> | null };
    const bag = p.properties ?? {};
    const tags = (p.tags ?? {}) as Record<string, string | null>;
    const outputs = (p.outputs ?? {}) as Record<string, { uri?: string } | null>;
    const inputs = (p.inputs ?? {}) as Record<string, { uri?: string } | null>;
    const createdAt = toDate((view.job as { systemData?: { createdAt?: unknown } }).systemData?.createdAt);
    const outputUri = Object.values(outputs).find((o) => o?.uri)?.uri;
    const inputUri = Object.values(inputs).find((o) => o?.uri)?.uri;
    return buildJobStatusMessage({
      jobName: view.job.name ?? '',
      status: String(p.status ?? 'Unknown'),
      ...(typeof p.experimentName === 'string' ? { endpointName: p.experimentName } : bag['azureml.endpointName'] ? { endpointName: bag['azureml.endpointName'] } : {}),
      // A batch job's deployment is in its tags (recorded: test_batch_job_download.json #29).
      ...(tags['azureml.deploymentname'] ? { deploymentName: tags['azureml.deploymentname'] } : {}),
      ...(createdAt !== undefined ? { createdAt } : {}),
      ...(inputUri ? { inputUri } : {}),
      ...(outputUri ? { outputUri } : {}),
      studioUrl: studioJobLink(view.links, view.job.name ?? ''),
    });
  },

  jobsList(view: { jobs: JobResource[]; endpointName?: string }): SlackMessage {
    const jobs = view.jobs
      .map((j) => {
        const p = j.properties as Record<string, unknown>;
        const createdAt = toDate((j as { systemData?: { createdAt?: unknown } }).systemData?.createdAt);
        return {
          name: j.name ?? '',
          status: String(p.status ?? 'Unknown'),
          ...(typeof p.experimentName === 'string' ? { endpointName: p.experimentName } : {}),
          ...(createdAt !== undefined ? { createdAt } : {}),
        };
      })
      .sort((a, b) => (b.createdAt ?? 0) - (a.createdAt ?? 0));
    return buildJobsListMessage({ jobs, ...(view.endpointName ? { endpointName: view.endpointName } : {}) });
  },

  endpointsList(view: { endpoints: EndpointResource[] }): SlackMessage {
    return buildEndpointsListMessage({
      endpoints: view.endpoints.map((e) => ({
        name: e.name,
        ...(e.properties.defaults?.deploymentName ? { defaultDeployment: e.properties.defaults.deploymentName } : {}),
        ...(e.properties.provisioningState ? { provisioningState: e.properties.provisioningState } : {}),
        ...(e.properties.scoringUri ? { scoringUri: e.properties.scoringUri } : {}),
      })),
    });
  },

  endpointDetails(view: { endpoint: EndpointResource; deployments: DeploymentResource[]; links: WorkspaceLinks }): SlackMessage {
    const e = view.endpoint;
    return buildEndpointDetailsMessage({
      endpoint: {
        name: e.name,
        ...(e.properties.defaults?.deploymentName ? { defaultDeployment: e.properties.defaults.deploymentName } : {}),
        ...(e.properties.provisioningState ? { provisioningState: e.properties.provisioningState } : {}),
        ...(e.properties.scoringUri ? { scoringUri: e.properties.scoringUri } : {}),
        ...(e.properties.description ? { description: e.properties.description } : {}),
        studioUrl: studioEndpointLink(view.links, e.name),
      },
      deployments: view.deployments.map((d) => ({
        name: d.name,
        ...(d.properties.provisioningState ? { provisioningState: d.properties.provisioningState } : {}),
        ...(d.properties.resources?.instanceCount !== undefined ? { instanceCount: d.properties.resources.instanceCount } : {}),
        ...(d.properties.compute ? { compute: d.properties.compute.split('/').pop() ?? d.properties.compute } : {}),
        ...(d.properties.model?.assetId ? { model: d.properties.model.assetId.split('/models/').pop() ?? '' } : {}),
      })),
    });
  },
};
