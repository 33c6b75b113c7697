// The data every queue carries. A job's payload is parsed with these schemas when it is produced and
// again when a worker picks it up, because a job can outlive a deploy of the bot: an old payload that
// no longer fits must fail loudly (UnrecoverableError), not half-run.
import { z } from 'zod';
import { deploySpecSchema } from '../domain/deploy-spec';
import { createdResourceSchema } from '../domain/deploy-leftovers';
import { endpointNameSchema } from '../domain/naming-rules';
import { runSpecSchema } from '../domain/run-spec';

/**
 * The bot's own id for one user request; it ties together jobs, Slack thread, approval and audit.
 * No ':' and no spaces: it becomes part of BullMQ job ids (`deploy-<requestId>`), and BullMQ refuses
 * custom ids containing ':'.
 */
export const requestIdSchema = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[^\s:]+$/, 'a request id must not contain spaces or ":"');

/** The Slack identity a request came from (slash command or interaction payload's user/team/channel). */
export const requesterSchema = z.object({
  userId: z.string().min(1),
  teamId: z.string().min(1),
  channelId: z.string().min(1),
  userName: z.string().optional(),
  /**
   * The workspace profile the request is for (config BATCH_SCORE_WORKSPACES), chosen at intake from the
   * channel or `--workspace`. Absent on requests queued before profiles existed: the first profile.
   */
  profile: z.string().regex(/^[a-z][a-z0-9-]{0,23}$/).optional(),
});
export type Requester = z.infer<typeof requesterSchema>;

const planFingerprintSchema = z.string().min(1).max(64);

export const deployJobSchema = z.object({
  requestId: requestIdSchema,
  requester: requesterSchema,
  spec: deploySpecSchema,
  /** The deploy plan's saved progress, checkpointed with job.updateData so a replacement worker resumes. */
  progress: z.unknown().optional(),
  /** The fingerprint of the plan the approver was shown; the worker computes it again before changing anything. */
  planFingerprint: planFingerprintSchema.optional(),
});
export type DeployJob = z.infer<typeof deployJobSchema>;
export type DeployJobInput = z.input<typeof deployJobSchema>;

export const runJobSchema = z.object({
  requestId: requestIdSchema,
  requester: requesterSchema,
  spec: runSpecSchema,
  /** Set once the scoring job is invoked, so a retried job never invokes twice. */
  jobName: z.string().optional(),
  /** When the first invoke was attempted: a later attempt first looks for a job that one created. */
  invokeStartedAt: z.number().optional(),
  /** The repeatability id every invoke attempt of this request carries. */
  repeatabilityId: z.string().min(1).max(100).optional(),
  /** Where the results go, as asked or as the service confirmed at invoke (never guessed). */
  outputUri: z.string().optional(),
  /** The job's studio page, as the service gave it. */
  studioUrl: z.string().url().optional(),
});
export type RunJob = z.infer<typeof runJobSchema>;
export type RunJobInput = z.input<typeof runJobSchema>;

export const watchJobSchema = z.object({
  requestId: requestIdSchema,
  requester: requesterSchema,
  endpointName: endpointNameSchema,
  /** The batch scoring job's ARM name (an ARM job under the workspace). */
  jobName: z.string().min(1),
  scoringUri: z.string().url(),
  /** The run request, for the thread's parent message (absent for jobs started outside the bot). */
  spec: runSpecSchema.optional(),
  startedAt: z.number(),
  lastStatus: z.string().optional(),
  polls: z.number().int().min(0).default(0),
  intervalMs: z.number().int().positive().optional(),
  /** Where the results go, as the request asked or the service confirmed at invoke; absent: not known. */
  outputUri: z.string().optional(),
  /** The job's studio page (interactionEndpoints.Studio), the detail a failed job's reply points at. */
  studioUrl: z.string().url().optional(),
});
export type WatchJob = z.infer<typeof watchJobSchema>;
export type WatchJobInput = z.input<typeof watchJobSchema>;

export const opsJobSchema = z.object({
  requestId: requestIdSchema,
  requester: requesterSchema,
  /** A parsed Command from src/domain/command-grammar.ts; the ops worker parses it with that schema. */
  command: z.unknown(),
  responseUrl: z.string().url().optional(),
  /** As on a deploy: the approved plan's fingerprint, checked again before the change. */
  planFingerprint: planFingerprintSchema.optional(),
});
export type OpsJob = z.infer<typeof opsJobSchema>;
export type OpsJobInput = z.input<typeof opsJobSchema>;

/** Removing what a failed deploy created (leftover-store.ts); on the ops queue as a `cleanup` job. */
export const cleanupJobSchema = z.object({
  requestId: requestIdSchema,
  requester: requesterSchema,
  /** The failed deploy whose leftovers these are; the worker checks each resource against its record. */
  sourceRequestId: requestIdSchema,
  resources: z.array(createdResourceSchema).min(1).max(20),
});
export type CleanupJobInput = z.input<typeof cleanupJobSchema>;

export const notifyOpSchema = z.enum(['upsert-parent', 'upsert-in-thread', 'reply', 'ephemeral', 'response-url']);
export type NotifyOp = z.infer<typeof notifyOpSchema>;

/** The thread ops are delivered in order, after the parent; the others go out on their own. */
export const THREAD_OPS: readonly NotifyOp[] = ['upsert-parent', 'upsert-in-thread', 'reply'];

export const notifyEntrySchema = z
  .object({
    requestId: requestIdSchema,
    channel: z.string().min(1),
    /** Idempotency key within the request: the same key is delivered once, however often it is enqueued. */
    key: z.string().min(1).max(200),
    op: notifyOpSchema,
    /** For upsert-in-thread: which in-place message (e.g. 'checklist'); posted the first time, chat.update after. */
    slot: z.string().min(1).max(100).optional(),
    /** Also the notification fallback for blocks; Slack truncates past 40,000 characters. */
    text: z.string().max(40_000),
    blocks: z.array(z.unknown()).max(50).optional(),
    /** For ephemeral: the only user who sees it. */
    user: z.string().optional(),
    /**
     * The Slack user who asked. When the thread's channel stops taking the bot's posts (archived, the bot
     * removed), the thread continues in the bot's DM with them instead of being lost.
     */
    requester: z.string().min(1).max(50).optional(),
    /** For response-url: the slash command's or interaction's response_url. */
    responseUrl: z.string().url().optional(),
    replyBroadcast: z.boolean().optional(),
    /** For response-url: defaults to ephemeral, as Slack does. */
    responseType: z.enum(['ephemeral', 'in_channel']).optional(),
    /** For response-url from an interaction: replace the message the button was on. */
    replaceOriginal: z.boolean().optional(),
  })
  .superRefine((entry, ctx) => {
    if (entry.op === 'upsert-in-thread' && !entry.slot) {
      ctx.addIssue({ code: 'custom', path: ['slot'], message: 'upsert-in-thread needs a slot naming the message to update' });
    }
    if (entry.op === 'ephemeral' && !entry.user) {
      ctx.addIssue({ code: 'custom', path: ['user'], message: 'an ephemeral message needs the user who sees it' });
    }
    if (entry.op === 'response-url' && !entry.responseUrl) {
      ctx.addIssue({ code: 'custom', path: ['responseUrl'], message: 'a response-url entry needs the responseUrl' });
    }
  });
export type NotifyEntry = z.infer<typeof notifyEntrySchema>;
export type NotifyEntryInput = z.input<typeof notifyEntrySchema>;

/** The notify queue's `flush` job: drain one request's outbox list, for one epoch (notify-outbox-store.ts). */
export const flushJobSchema = z.object({
  requestId: requestIdSchema,
  epoch: z.number().int().min(0),
});
export type FlushJob = z.infer<typeof flushJobSchema>;

export function isThreadOp(op: NotifyOp): boolean {
  return THREAD_OPS.includes(op);
}
