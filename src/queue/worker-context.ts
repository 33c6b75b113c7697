// Everything the work queues' processors need, injected once by the worker entry point (or a test).
import type { Logger } from 'pino';
import type { AzureMlClient } from '../azureml';
import type { AzureCloudDescription } from '../azureml/clouds';
import type { WorkspaceCoordinates } from '../azureml/workspace';
import type { ApprovalStore } from './approval-store';
import type { AuditTrail } from './audit-trail';
import type { NotifyOutbox } from './notify-outbox';
import type { Producers } from './producers';
import type { RequestStore } from './request-store';
import type { EndpointDirectory } from './endpoint-directory';
import type { RequestIntake } from './request-preflight';
import type { LockStore } from './lock-store';
import type { LeftoverStore } from './leftover-store';
import type { Requester } from './payloads';
import { workspaceLinksOf, type WorkspaceLinks } from '../usecases/studio-links';

export interface WatchPacing {
  /** First re-check after invoking, and the floor of every interval. */
  minIntervalMs: number;
  /** The interval grows towards this while a job runs long. */
  maxIntervalMs: number;
  /** The workspace's chat.update budget a minute, shared by every status line (default: Slack's Tier 3, 50). */
  statusEditsPerMinute?: number;
}

/** Who may cancel whose job (BATCH_SCORE_CANCELERS), asked again right before a cancel is applied. */
export interface CancelCheck {
  /** Undefined when allowed, else the refusal (plain sentence); throws when it cannot be decided now. */
  refusal(input: { jobName: string; who: Requester }): Promise<string | undefined>;
}

export interface WorkerContext {
  /** The workspace profile this context serves (config BATCH_SCORE_WORKSPACES); `default` with one workspace. */
  profile?: string;
  /**
   * When the bot serves several workspaces: the label every message names its workspace with, by profile
   * (absent: the first). Only work that is no request's own (the approval expiry sweep) asks; a request's
   * context already labels what it sends.
   */
  workspaceLabelOf?: (profile: string | undefined) => string | undefined;
  azureml: AzureMlClient;
  cloud: AzureCloudDescription;
  workspace: WorkspaceCoordinates;
  outbox: NotifyOutbox;
  audit: AuditTrail;
  requests: RequestStore;
  approvals: ApprovalStore;
  producers: Producers;
  endpoints: EndpointDirectory;
  /** Read right before a deploy, set-default or delete is applied. */
  locks: LockStore;
  /** What failed deploys created and left behind (for "Remove what this created"); unset: not offered. */
  leftovers?: LeftoverStore;
  /** The cancel permission, checked in the worker too: an ops payload may be replayed or enqueued by another path. */
  cancels: CancelCheck;
  watch: WatchPacing;
  logger: Logger;
  now: () => number;
  /** Takes a request once its pre-flight check passed (asks for approval or queues the work). */
  intake?: RequestIntake;
}

/** What studio links need (src/usecases/studio-links.ts). */
export function workspaceLinks(ctx: Pick<WorkerContext, 'cloud' | 'workspace'>): WorkspaceLinks {
  return workspaceLinksOf(ctx.cloud, ctx.workspace);
}
