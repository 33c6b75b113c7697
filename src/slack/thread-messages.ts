// The messages the workers post about a request, composed from the Block Kit builders in ./blocks from
// the use cases' view models (src/usecases: job, endpoint and deploy summaries, typed failures) and the
// request's own state. Pure: view models in, message out.
import type { DeploySpec } from '../domain/deploy-spec';
import type { DeployChecklistStep, DeployResult } from '../usecases/deploy-summary';
import type { DeploymentSummary, EndpointSummary } from '../usecases/endpoint-summary';
import type { FailureReport } from '../usecases/failure-report';
import type { JobSummary } from '../usecases/job-summary';
import { studioEndpointLink, studioJobLink, type WorkspaceLinks } from '../usecases/studio-links';
import { buildApprovalDecidedMessage } from './blocks/approval-request-message';
import { context, message, section, type SlackMessage } from './blocks/block-kit';
import { buildDeployChecklistMessage } from './blocks/deploy-checklist-message';
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

function toDate(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}

export const threadMessages = {
  parent,

  deployChecklist(view: { spec: Pick<DeploySpec, 'endpointName' | 'deploymentName'>; steps: DeployChecklistStep[] }): SlackMessage {
    return buildDeployChecklistMessage({ endpointName: view.spec.endpointName, deploymentName: view.spec.deploymentName, steps: view.steps });
  },

  deploySucceeded(view: { requester: Requester; result: DeployResult; durationMs: number; links: WorkspaceLinks }): SlackMessage {
    const r = view.result;
    return buildDeploySucceededMessage({
      requesterId: view.requester.userId,
      endpointName: r.endpointName,
      deploymentName: r.deploymentName,
      isDefault: r.isDefault,
      ...(r.scoringUri ? { scoringUri: r.scoringUri } : {}),
      studioUrl: r.studioUrl ?? studioEndpointLink(view.links, r.endpointName),
      durationMs: view.durationMs,
    });
  },

  jobStarted(view: { jobName: string; endpointName: string; deploymentName?: string; links: WorkspaceLinks }): SlackMessage {
    const target = view.deploymentName ? `${code(view.endpointName)} (deployment ${code(view.deploymentName)})` : code(view.endpointName);
    const text = `:rocket: Scoring job ${code(view.jobName)} started on ${target}`;
    return message(text, [section(text), context([link(studioJobLink(view.links, view.jobName), 'Open in Azure ML studio'), `\`status ${escapeMrkdwn(view.jobName)}\` · \`cancel ${escapeMrkdwn(view.jobName)}\``])]);
  },

  jobStatus(view: { jobName: string; endpointName: string; status: string; elapsedMs: number; studioUrl?: string }): SlackMessage {
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

  failure(view: { requester: Requester; requestId: string; what: string; failure: FailureReport; durationMs?: number; hint?: string }): SlackMessage {
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

  jobDetails(view: { job: JobSummary }): SlackMessage {
    const j = view.job;
    const createdAt = toDate(j.createdAt);
    return buildJobStatusMessage({
      jobName: j.name,
      status: j.status,
      ...(j.endpointName ? { endpointName: j.endpointName } : {}),
      ...(j.deploymentName ? { deploymentName: j.deploymentName } : {}),
      ...(createdAt !== undefined ? { createdAt } : {}),
      ...(j.input ? { inputUri: j.input } : {}),
      ...(j.output ? { outputUri: j.output } : {}),
      ...(j.studioUrl ? { studioUrl: j.studioUrl } : {}),
    });
  },

  /** Jobs in the order given (the look-up gives them newest first). */
  jobsList(view: { jobs: JobSummary[]; endpointName?: string }): SlackMessage {
    const jobs = view.jobs.map((j) => {
      const createdAt = toDate(j.createdAt);
      return { name: j.name, status: j.status, ...(j.endpointName ? { endpointName: j.endpointName } : {}), ...(createdAt !== undefined ? { createdAt } : {}) };
    });
    return buildJobsListMessage({ jobs, ...(view.endpointName ? { endpointName: view.endpointName } : {}) });
  },

  endpointsList(view: { endpoints: EndpointSummary[] }): SlackMessage {
    return buildEndpointsListMessage(view);
  },

  endpointDetails(view: { endpoint: EndpointSummary; deployments: DeploymentSummary[] }): SlackMessage {
    return buildEndpointDetailsMessage(view);
  },
};
