// The drain protocol: how the notify worker delivers a request's outbox (notify-outbox-store.ts) to
// Slack (slack-delivery.ts) at Slack's pace (notify-pacer.ts). Its promises:
// - In order within a thread: one flush job per request drains its list head-first, and the parent
//   (upsert-parent) goes before any reply, which needs the parent's ts as thread_ts.
// - None twice: an entry is removed from the list and its key recorded as delivered, with the ts
//   Slack returned, in one MULTI right after Slack answers. A worker dying between Slack's answer and
//   that MULTI is the only window for a duplicate.
// - Waiting never holds a worker: the job is re-scheduled with job.moveToDelayed + DelayedError (BullMQ's
//   "step job" pattern), so other channels keep flowing while one waits. Upserts are newest-wins, so an
//   edit that waits for the workspace's edit budget costs nothing: it goes out with the newest content.
// Retries of Slack failures are counted per entry (a flush job may deliver hundreds of entries), with
// exponential backoff and jitter; an entry that cannot be delivered is dead-lettered, never dropped.
// Two failures are not the entry's fault and are not retried per entry:
// - Slack refuses the bot token (token_revoked, account_inactive…): every call would fail the same way.
//   One line is logged, a shared flag is set, and thread and ephemeral messages are held, not retried and
//   not dead-lettered; the worker's sweep asks auth.test once a minute and delivers them when the token
//   works again. The bot's /readyz reports the flag.
// - The thread's channel stops taking posts (archived, the bot removed): the thread moves to the bot's
//   DM with the requester, with a note saying why, so the request's outcome still reaches them.
import { setTimeout as sleep } from 'node:timers/promises';
import { DelayedError, type Job } from 'bullmq';
import type { Logger } from 'pino';
import { backoffDelayMs, type BackoffPolicy } from '../domain/backoff';
import { SlackDeliveryError, type SlackDelivery, type SlackFailure } from '../slack/slack-delivery';
import { parsePayload } from './job-payload';
import type { NotifyOutboxStore, RequestOutbox, ThreadState, Delivered, ListedEntry } from './notify-outbox-store';
import { shownField } from './notify-outbox-store';
import type { NotifyPacer } from './notify-pacer';
import { flushJobSchema, notifyEntrySchema, type NotifyEntry } from './payloads';

/** Backoff between one entry's attempts (equal jitter: half fixed, half random, so many entries' retries spread out). */
export interface NotifyRetryPolicy extends BackoffPolicy {
  /** Failures of one entry before it is dead-lettered. */
  maxAttempts: number;
}

export const DEFAULT_RETRY_POLICY: NotifyRetryPolicy = { baseMs: 1_000, maxMs: 5 * 60_000, maxAttempts: 12 };
/** How long a held message waits before looking at the token flag again (no Slack call while held). */
const DEFAULT_TOKEN_HOLD_MS = 30_000;
const DEFAULT_PARENT_WAIT_MAX_MS = 10 * 60_000;
const PARENT_POLL_MS = 2_000;
/**
 * A post whose place comes, or whose channel opens, within 100 ms (a quarter of the post interval when that
 * is shorter) is waited for in the job, not by delaying it: a delayed job's round trip would cost more than
 * the wait, and a longer sleep would hold the worker's slot from other channels.
 */
const SHORT_POST_WAIT_MS = 100;

export interface NotifyDrainDeps {
  store: NotifyOutboxStore;
  pacer: NotifyPacer;
  slack: SlackDelivery;
  logger: Logger;
  /** True once the worker is closing: a flush hands over instead of holding it for the rest of the thread. */
  isClosing: () => boolean;
  retry?: Partial<NotifyRetryPolicy>;
  /** How long a reply waits for its thread's parent to be enqueued before it is dead-lettered. */
  parentWaitMaxMs?: number;
  /** While Slack refuses the token, how long a held job sleeps before looking at the flag again (default 30 s). */
  tokenHoldMs?: number;
}

export interface NotifyDrain {
  /** The `flush` job: delivers one request's thread entries until its list is empty. */
  flush(job: Job, token: string | undefined): Promise<string>;
  /** The `direct` job: one ephemeral or response_url message. */
  direct(job: Job, token: string | undefined): Promise<string>;
}

/** Thrown out of a step to re-schedule the job (already moved to delayed). */
async function delayJob(job: Job, token: string | undefined, ms: number): Promise<never> {
  await job.moveToDelayed(Date.now() + Math.max(1, Math.ceil(ms)), token);
  throw new DelayedError();
}

export function createNotifyDrain(deps: NotifyDrainDeps): NotifyDrain {
  const { store, pacer, slack, logger } = deps;
  const retry: NotifyRetryPolicy = { ...DEFAULT_RETRY_POLICY, ...deps.retry };
  const parentWaitMaxMs = deps.parentWaitMaxMs ?? DEFAULT_PARENT_WAIT_MAX_MS;
  const tokenHoldMs = deps.tokenHoldMs ?? DEFAULT_TOKEN_HOLD_MS;

  /**
   * Sends a post that took its channel (`channel`; undefined for a call that took none): answered or not,
   * the post is no longer on its way once the call returns (a 429 then holds the channel longer).
   */
  async function sendTaking<T>(channel: string | undefined, send: () => Promise<T>): Promise<T> {
    try {
      return await send();
    } finally {
      if (channel !== undefined) await pacer.postAnswered(channel);
    }
  }

  /** For a post outside any thread's line (an ephemeral message): goes when nobody is in the channel's line. */
  async function waitForChannel(job: Job, token: string | undefined, channel: string): Promise<void> {
    const waitMs = await pacer.claimPost(channel, { outOfLine: true });
    if (waitMs > 0) await delayJob(job, token, waitMs);
  }

  /** While Slack refuses the bot token, nothing is sent with it: the job looks again later. */
  async function holdWhileTokenRefused(job: Job, token: string | undefined): Promise<void> {
    if (await store.tokenRefused()) await delayJob(job, token, tokenHoldMs);
  }

  /** The first worker to see the refusal sets the shared flag and says so, once. */
  async function noteTokenRefused(reason: string): Promise<void> {
    if (await store.noteTokenRefused(reason)) {
      const waiting = await store.pendingCount();
      logger.error(
        { slackError: reason, requestsWaiting: waiting },
        `Slack refused the bot token (${reason}): thread and ephemeral messages are held, not retried and not dropped, until Slack accepts the token again (checked with auth.test about once a minute). Reinstall the app or set SLACK_BOT_TOKEN to its current Bot User OAuth Token.`,
      );
    }
  }

  async function deadLetter(
    requestId: string | undefined,
    letter: { entry?: NotifyEntry; listRaw?: string; reason: string; unreadable?: string },
  ): Promise<void> {
    await store.deadLetter(requestId, letter);
    const { entry, reason } = letter;
    logger.error({ requestId: entry?.requestId, key: entry?.key, op: entry?.op, reason }, 'notification dead-lettered');
  }

  /**
   * The thread's channel stopped taking posts: the rest of the thread goes to the bot's DM with the
   * requester (chat.postMessage to a user id posts there), after a new parent and a note saying why.
   * Returns false when that is not possible (no requester known, or the thread already moved once).
   */
  async function moveThreadToRequester(outbox: RequestOutbox, entry: NotifyEntry, thread: ThreadState, reason: string): Promise<boolean> {
    const requester = thread.requester ?? entry.requester;
    if (!requester || thread.movedFrom !== undefined) return false;
    const from = thread.channel ?? entry.channel;
    const why = reason === 'is_archived' ? 'the channel was archived' : 'I was removed from the channel';
    const text = `:warning: I can no longer post in <#${from}> (${why}), so I will report request \`${entry.requestId}\` here instead.`;
    const base = { requestId: entry.requestId, channel: entry.channel, requester };
    await outbox.moveThread({
      channel: requester,
      from,
      reason,
      parent: { ...base, op: 'upsert-parent', key: 'moved:parent', text },
      note: { ...base, op: 'reply', key: 'moved:note', text },
    });
    logger.warn(
      { requestId: entry.requestId, channel: from, slackError: reason, requester },
      'the request\'s channel no longer takes the bot\'s posts; its thread continues in a DM with the requester',
    );
    return true;
  }

  /** Turns a failed delivery into a wait (never returns) or, when retrying is pointless, a dead letter. */
  async function handleFailure(
    job: Job,
    token: string | undefined,
    outbox: RequestOutbox,
    entry: NotifyEntry,
    raw: string | undefined,
    failure: SlackFailure,
    opts: { edit?: boolean; thread?: ThreadState } = {},
  ): Promise<void> {
    const log = logger.child({ requestId: entry.requestId, key: entry.key, op: entry.op });
    const giveUp = (reason: string) => deadLetter(entry.requestId, { entry, ...(raw !== undefined ? { listRaw: raw } : {}), reason });
    switch (failure.kind) {
      case 'rate-limited':
        log.warn({ retryAfterMs: failure.retryAfterMs, channel: entry.channel, edit: opts.edit === true }, 'Slack rate-limited the call');
        if (opts.edit) await pacer.holdEdits(failure.retryAfterMs);
        else if (entry.op !== 'response-url') await pacer.holdPosts(entry.channel, failure.retryAfterMs);
        return delayJob(job, token, failure.retryAfterMs);
      case 'token-refused':
        await noteTokenRefused(failure.reason);
        return delayJob(job, token, tokenHoldMs);
      case 'conversation-gone':
        if (opts.thread && (await moveThreadToRequester(outbox, entry, opts.thread, failure.reason))) return;
        return giveUp(failure.reason);
      case 'transient': {
        const failures = await outbox.countFailure(entry.key);
        if (failures >= retry.maxAttempts) return giveUp(`gave up after ${failures} attempts: ${failure.reason}`);
        const waitMs = backoffDelayMs(failures, retry);
        log.warn({ failures, waitMs, reason: failure.reason }, 'notification failed; retrying');
        return delayJob(job, token, waitMs);
      }
      case 'target-gone':
        if (entry.op === 'upsert-in-thread' && entry.slot) {
          // The in-place message was deleted: forget it, so the next try posts a fresh one.
          await outbox.forgetSlot(entry.slot);
          log.warn({ slot: entry.slot, reason: failure.reason }, 'in-place message is gone; posting it again');
          return;
        }
        return giveUp(failure.reason);
      case 'permanent':
        return giveUp(failure.reason);
    }
  }

  async function sendThreadEntry(entry: NotifyEntry, thread: ThreadState, slotTs: string | null): Promise<Delivered> {
    const channel = thread.channel ?? entry.channel;
    const content = { text: entry.text, ...(entry.blocks ? { blocks: entry.blocks } : {}) };
    if (entry.op === 'upsert-parent') {
      if (thread.parentTs) {
        await slack.update({ channel, ts: thread.parentTs, ...content });
        return { ts: thread.parentTs };
      }
      return slack.post({ channel, ...content });
    }
    if (entry.op === 'upsert-in-thread' && slotTs) {
      await slack.update({ channel, ts: slotTs, ...content });
      return { ts: slotTs };
    }
    const { ts } = await slack.post({ channel, threadTs: thread.parentTs as string, ...content, replyBroadcast: entry.op === 'reply' && entry.replyBroadcast === true });
    return { ts };
  }

  /**
   * What to send for `entry`, or undefined when it is already delivered: a reply as it is; for an
   * upsert, the newest entry queued for the same message, unless that is what the message shows.
   */
  async function contentToDeliver(outbox: RequestOutbox, entry: NotifyEntry): Promise<NotifyEntry | undefined> {
    const field = shownField(entry);
    if (field === undefined) return (await outbox.hasDelivered(entry.key)) ? undefined : entry;
    let newest = entry;
    for (const { entry: queued } of await outbox.entries()) {
      if (queued && shownField(queued) === field) newest = queued;
    }
    return (await outbox.shownKey(field)) === newest.key ? undefined : newest;
  }

  /**
   * The first entry that posts a new message rather than editing one (a reply, or an in-place message's
   * first post), when the edit budget is spent: posts go ahead of waiting edits, in their own order, so a
   * busy workspace's status edits never hold back a thread's replies (an edit is newest-wins, so going
   * later costs nothing). Undefined when only edits are waiting.
   */
  async function firstPostBehindEdits(outbox: RequestOutbox, thread: ThreadState): Promise<ListedEntry | undefined> {
    if (!thread.parentTs) return undefined;
    const slots = await outbox.slots();
    for (const listed of await outbox.entries()) {
      const e = listed.entry;
      if (!e) return listed;
      const isEdit = e.op === 'upsert-parent' || (e.op === 'upsert-in-thread' && e.slot !== undefined && slots[e.slot] !== undefined);
      if (!isEdit) return listed;
    }
    return undefined;
  }

  /**
   * 0 when this thread's edit may go now, else how long until its turn. A thread takes one place in the
   * workspace's edit line and keeps it (in its thread state) until it is due, whichever job or worker
   * then sends; the edit sent then is the newest content queued, so waiting loses nothing.
   */
  async function editTurn(outbox: RequestOutbox, thread: ThreadState): Promise<number> {
    if (thread.editDueAt !== undefined) {
      const waitMs = thread.editDueAt - Date.now();
      if (waitMs > 0) return waitMs;
      await outbox.spendEditToken();
      return 0;
    }
    const { waitMs, reserved } = await pacer.reserveEdit();
    if (waitMs > 0 && reserved) await outbox.holdEditToken(Date.now() + waitMs);
    return waitMs;
  }

  /**
   * 0 when this thread's post may go to the channel now, else how long until its turn. A thread takes one
   * place in the channel's line of posts and keeps it (in its thread state) until it comes, whichever job
   * or worker then sends; then it goes once the channel is open.
   */
  async function postTurn(outbox: RequestOutbox, thread: ThreadState, channel: string): Promise<number> {
    let dueAt = thread.postDueAt;
    if (dueAt === undefined) {
      const waitMs = await pacer.reservePost(channel);
      if (waitMs === 0) return 0;
      dueAt = Date.now() + waitMs;
      await outbox.holdPostTurn(dueAt);
    }
    // A short wait (a place that comes in a moment, or the post before answered a moment after its own
    // place) is waited here, where a delayed job's round trip would cost more than the wait.
    const shortWaitMs = Math.min(SHORT_POST_WAIT_MS, pacer.postIntervalMs / 4);
    const untilPlaceMs = dueAt - Date.now();
    if (untilPlaceMs > shortWaitMs) return untilPlaceMs;
    if (untilPlaceMs > 0) await sleep(untilPlaceMs);
    for (let waited = 0; ; ) {
      const openInMs = await pacer.claimPost(channel);
      if (openInMs === 0) break;
      if (waited + openInMs > shortWaitMs) return openInMs;
      await sleep(openInMs);
      waited += openInMs;
    }
    await outbox.spendPostTurn();
    return 0;
  }

  /**
   * Sleeps until the thread's edit turn; a reply enqueued meanwhile wakes the job, since it goes ahead of
   * edits. The enqueue wakes only a job that is marked and already delayed, so the job marks itself first
   * and looks once more after moving to the delayed set: a reply that came in between, while the job was
   * still active and so could not be woken, is found then and the job wakes itself.
   */
  async function sleepUntilEditTurn(job: Job, token: string | undefined, outbox: RequestOutbox, thread: ThreadState, ms: number): Promise<never> {
    await outbox.markWaitingForEdit();
    await job.moveToDelayed(Date.now() + Math.max(1, Math.ceil(ms)), token);
    if ((await firstPostBehindEdits(outbox, thread)) !== undefined) await job.promote().catch(() => undefined);
    throw new DelayedError();
  }

  /** Picks what to deliver next: the head, unless the thread has no parent yet and one is queued behind. */
  async function pickNext(outbox: RequestOutbox, thread: ThreadState): Promise<ListedEntry | { waitForParent: true } | undefined> {
    const head = await outbox.head();
    if (head === undefined) return undefined;
    if (thread.parentTs) return head;
    const parent = (await outbox.entries()).find((listed) => listed.entry?.op === 'upsert-parent');
    if (parent !== undefined) return parent;
    return { waitForParent: true };
  }

  async function waitForParent(job: Job, token: string | undefined, requestId: string, outbox: RequestOutbox, thread: ThreadState): Promise<void> {
    const head = await outbox.head();
    const since = thread.waitingSince ?? Date.now();
    if (thread.parentFailed || Date.now() - since > parentWaitMaxMs) {
      const reason = thread.parentFailed ? 'the thread parent could not be posted' : 'no thread parent was enqueued in time';
      await deadLetter(requestId, {
        ...(head?.entry ? { entry: head.entry } : {}),
        ...(head ? { listRaw: head.raw, unreadable: head.raw } : {}),
        reason,
      });
      return;
    }
    // Marked so that enqueuing the parent promotes this job instead of letting it sleep.
    await outbox.markWaitingForParent(since);
    await delayJob(job, token, PARENT_POLL_MS);
  }

  async function flush(job: Job, token: string | undefined): Promise<string> {
    // A payload that does not fit fails at once (UnrecoverableError); the request's entries stay in its
    // outbox and the worker's sweep adds a proper flush job for them.
    const { requestId, epoch } = parsePayload(flushJobSchema, job);
    const outbox = store.request(requestId);
    // Set when the head is an edit and the workspace's edit budget is spent: how long until the next edit.
    let editWaitMs = 0;
    for (;;) {
      const thread = await outbox.thread();
      // A job from an epoch that already ended (its worker died after the end) has nothing to do.
      if (thread.epoch !== epoch) return 'stale';
      // Hand over instead of holding a closing worker for the rest of the thread.
      if (deps.isClosing()) await delayJob(job, token, 0);

      let next: Awaited<ReturnType<typeof pickNext>>;
      if (editWaitMs > 0) {
        const post = await firstPostBehindEdits(outbox, thread);
        if (post === undefined) await sleepUntilEditTurn(job, token, outbox, thread, editWaitMs);
        next = post;
        editWaitMs = 0;
      } else {
        next = await pickNext(outbox, thread);
      }
      if (next === undefined) {
        if ((await outbox.closeEpoch(epoch)) !== 0) return 'drained';
        continue;
      }
      if ('waitForParent' in next) {
        await waitForParent(job, token, requestId, outbox, thread);
        continue;
      }
      const { raw, entry } = next;
      if (entry === undefined) {
        await deadLetter(requestId, { listRaw: raw, reason: `unreadable entry: ${next.unreadable}`, unreadable: raw });
        continue;
      }
      // For an upsert, what goes out is the newest content queued for the same message.
      const content = await contentToDeliver(outbox, entry);
      if (content === undefined) {
        await outbox.dropDelivered(entry, raw);
        continue;
      }
      const slotTs = entry.op === 'upsert-in-thread' && entry.slot ? await outbox.slotTs(entry.slot) : null;
      // Slack's ~1 message/s per channel limits posting (chat.postMessage); edits in place (chat.update,
      // a per-workspace tier) do not take a channel slot, so a status line's updates don't slow replies.
      const edits = (entry.op === 'upsert-parent' && thread.parentTs !== undefined) || (entry.op === 'upsert-in-thread' && slotTs !== null);
      await holdWhileTokenRefused(job, token);
      if (edits) {
        editWaitMs = await editTurn(outbox, thread);
        if (editWaitMs > 0) continue;
      } else {
        const postWaitMs = await postTurn(outbox, thread, entry.channel);
        if (postWaitMs > 0) await delayJob(job, token, postWaitMs);
      }
      let delivered: Delivered;
      try {
        delivered = await sendTaking(edits ? undefined : entry.channel, () => sendThreadEntry(content, thread, slotTs));
      } catch (err) {
        if (!(err instanceof SlackDeliveryError)) throw err;
        await handleFailure(job, token, outbox, entry, raw, err.failure, { edit: edits, thread });
        continue;
      }
      await outbox.commitThreadEntry(entry, raw, content, delivered);
    }
  }

  async function direct(job: Job, token: string | undefined): Promise<string> {
    const parsed = notifyEntrySchema.safeParse(job.data);
    if (!parsed.success) {
      await deadLetter(undefined, { reason: `unreadable entry: ${parsed.error.message}`, unreadable: JSON.stringify(job.data) });
      return 'dead';
    }
    const entry = parsed.data;
    const outbox = store.request(entry.requestId);
    if (await outbox.hasDelivered(entry.key)) return 'already delivered';
    if (entry.op === 'ephemeral') {
      await holdWhileTokenRefused(job, token);
      await waitForChannel(job, token, entry.channel);
    }
    const content = { text: entry.text, ...(entry.blocks ? { blocks: entry.blocks } : {}) };
    let ts: string | undefined;
    try {
      if (entry.op === 'ephemeral') {
        ({ ts } = await sendTaking(entry.channel, () => slack.postEphemeral({ channel: entry.channel, user: entry.user as string, ...content })));
      } else {
        await slack.postToResponseUrl(entry.responseUrl as string, {
          ...content,
          ...(entry.responseType ? { responseType: entry.responseType } : {}),
          ...(entry.replaceOriginal !== undefined ? { replaceOriginal: entry.replaceOriginal } : {}),
        });
      }
    } catch (err) {
      if (!(err instanceof SlackDeliveryError)) throw err;
      await handleFailure(job, token, outbox, entry, undefined, err.failure);
      return 'dead';
    }
    await outbox.commitDirectEntry(entry.key, ts);
    return 'delivered';
  }

  return { flush, direct };
}
