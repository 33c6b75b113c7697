// The watch queue's processor, in BullMQ's "step job" pattern: each run looks at the scoring job once,
// reports a status change in the thread, and either posts the final reply or moves itself back to the
// delayed set (job.moveToDelayed + DelayedError). No worker is held while a job runs, so one process can
// watch thousands of jobs.
//
// Where a step looks: with a JobStatusSnapshot (the worker's default), at the workspace's shared snapshot
// in Redis, refreshed every few seconds for all watched jobs together by reading the head of Jobs_List,
// never more pages than the watched jobs need (job-status-snapshot.ts); a step asks the
// job itself (`GET {scoringUri}/{job}`) only when the snapshot does not show the job, or has shown
// nothing for a whole maxInterval (listing failing), paced by the per-job backoff and the server's
// Retry-After. Without a snapshot, every step asks the job itself. Either way the final reply is keyed
// `reply:final` in the request's outbox, so a step that runs twice cannot reply twice.
//
// What the final reply says comes from what Azure really offers: the output location is the one the
// request asked for or the service confirmed at invoke (carried in the payload; the ARM job's outputs are
// null, so a listing cannot tell it), and a failed job's detail is whatever error a document carries (the
// recorded ones carry none) plus the job's studio page, where Azure shows the reason and the logs.
import { DelayedError, UnrecoverableError, type Job, type Worker } from 'bullmq';
import { z } from 'zod';
import { isAzureMlError } from '../azureml/errors';
import { isTerminalJobStatus } from '../azureml/jobs';
import { jobFailure, jobOutputUri, jobStatusOf, jobStudioUrl, type ScoringJob } from '../azureml/scoring';
import { liveProgressIntervalMs, nextWatchIntervalMs, SNAPSHOT_MIN_GAP_MS, SNAPSHOT_READS_PER_SECOND, snapshotMaxAgeMs } from '../domain/watch-pacing';
import { DEFAULT_EDITS_PER_MINUTE as DEFAULT_STATUS_EDITS_PER_MINUTE } from './notify-pacer';
import { threadMessages } from '../slack/thread-messages';
import { studioJobLink } from '../usecases/studio-links';
import { readJobOutcome } from '../usecases/job-outcome';
import { withJobOutcome, withProgress } from '../slack/blocks/job-outcome-sections';
import { cancelJobButtons, rerunButtons, withButtons } from '../slack/blocks/job-buttons';
import type { SlackMessage } from '../slack/blocks/block-kit';
import { jobItemCounts, type JobItemCounts } from '../azureml/job-item-counts';
import { describeFailure } from '../usecases/failure-report';
import { createJobProgressReader, type JobProgressReader } from './job-progress';
import type { JobProgress } from '../domain/failure-triage';
import { createJobStatusSnapshot, type JobSnapshotEntry, type JobStatusSnapshot } from './job-status-snapshot';
import { createSnapshotTicker, type SnapshotTicker } from './snapshot-ticker';
import { isLastAttempt, parsePayload } from './job-payload';
import { watchJobSchema, type WatchJob } from './payloads';
import { QUEUE_NAMES } from './queue-names';
import { createRequestLifecycle } from './request-lifecycle';
import { workspaceLinks, type WorkerContext } from './worker-context';
import { createRequestQueueWorker, isContexts, type RequestQueueWorkerOptions, type WorkspaceContexts } from './workspace-contexts';

/**
 * The step's own bookkeeping, kept in the job's data beside the WatchJob payload (which the payload
 * schema does not list, so it is read here on its own; an older job without it starts afresh).
 */
const watchStepStateSchema = z.object({
  /** When the job joined the snapshot's watched set. */
  watchedAt: z.number().optional(),
  /** When the job's status was last learned, from the snapshot or the job itself. */
  lastSeenAt: z.number().optional(),
  /** Not before this may a step ask the job itself again. */
  directDueAt: z.number().optional(),
  /** How often the job, ended, came back because this process was reading as many outcomes as it may. */
  outcomeWaits: z.number().optional(),
});
type WatchStepState = z.infer<typeof watchStepStateSchema>;

/** What a step learned about the scoring job, wherever it came from. */
interface JobObservation {
  status: string;
  outputUri?: string;
  studioUrl?: string;
  failure: { code?: string; message?: string };
  /** Items scored and failed, when the document read carries them. */
  items: JobItemCounts;
}

function observationOfJob(job: ScoringJob): JobObservation {
  const outputUri = jobOutputUri(job);
  const studioUrl = jobStudioUrl(job);
  return {
    status: jobStatusOf(job),
    ...(outputUri ? { outputUri } : {}),
    ...(studioUrl ? { studioUrl } : {}),
    failure: jobFailure(job),
    items: jobItemCounts(job),
  };
}

function observationOfEntry(entry: JobSnapshotEntry): JobObservation {
  return {
    // Kept as the service wrote it: a status newer than our api-version is still a status (not 'Unknown').
    status: entry.status,
    ...(entry.studioUrl ? { studioUrl: entry.studioUrl } : {}),
    ...(entry.outputUri ? { outputUri: entry.outputUri } : {}),
    failure: { ...(entry.errorCode ? { code: entry.errorCode } : {}), ...(entry.errorMessage ? { message: entry.errorMessage } : {}) },
    items: {
      ...(entry.itemsSucceeded !== undefined ? { succeeded: entry.itemsSucceeded } : {}),
      ...(entry.itemsFailed !== undefined ? { failed: entry.itemsFailed } : {}),
    },
  };
}

/**
 * Item counts of a completed job: those the document the step read carries (the listed job is the same
 * document as Jobs_Get's), else one ARM GET; unknown on error.
 */
async function completedItemCounts(ctx: WorkerContext, jobName: string, known: JobItemCounts): Promise<JobItemCounts> {
  if (known.succeeded !== undefined || known.failed !== undefined) return known;
  try {
    return jobItemCounts(await ctx.azureml.jobs.get(jobName));
  } catch (err) {
    ctx.logger.warn({ jobName, err: describeFailure(err, 'watch') }, 'could not read the item counts of a completed job');
    return {};
  }
}

interface WatchDeps {
  /**
   * The workspace's shared status snapshot. Its refreshes must wake the step of a job whose status they
   * find changed (onStatusChanged → producers.wakeWatch): a running job's step then looks only when its
   * live progress is due, or at a ceiling, not every few seconds in case something changed.
   */
  snapshot?: JobStatusSnapshot;
  progress?: JobProgressReader;
  /**
   * Ended jobs whose outcome (logs, predictions) the processor reads at once (default 8). Reading an ended
   * job's outcome takes storage and run-history calls; everything else a step does is a few Redis commands.
   * A step that finds the bound reached comes back shortly instead of waiting in its slot: when hundreds of
   * jobs end together (or storage is slow), the other jobs' steps keep their slots.
   */
  outcomeReadsAtOnce?: number;
}

/** Each step is a few Redis reads or one short HTTP call, so many can run at once. */
const DEFAULT_WATCH_CONCURRENCY = 20;
/**
 * An ended job over the outcome-read bound waits its turn (first come, first served): woken when a read
 * ends, and meanwhile coming back after 0.5, 1, 2, … up to 16 s in case that wake is lost. (Up to 2 s
 * before the line: at 5,000 jobs, thousands of ended jobs coming back every 2 s took the slots and Redis
 * time the reads needed.)
 */
const OUTCOME_BUSY_RETRY_MS = 500;
const OUTCOME_BUSY_MAX_DOUBLINGS = 5;
/** How long a read kept for a woken job waits for it to come (another process may have taken it). */
const OUTCOME_RESERVATION_MS = 3_000;
/**
 * A job whose step is woken on a status change still looks this often (or at the watch's ceiling, if
 * sooner): what bounds a wake that was missed (its worker died between writing a line and waking the step).
 */
const WOKEN_STEP_CEILING_MS = 30_000;

/** The watched request's lifecycle and the job's status line in its thread. */
function watchedRequest(ctx: WorkerContext, data: WatchJob) {
  const { requestId, requester, jobName } = data;
  // A job the bot did not start has no run request to show on a parent.
  const lifecycle = createRequestLifecycle(ctx, { requestId, requester, action: 'run', ...(data.spec ? { subject: { kind: 'run', spec: data.spec } } : {}) });
  const statusLine = (status: string, live?: JobProgress): SlackMessage => {
    const line = threadMessages.jobStatus({
      jobName,
      endpointName: data.endpointName,
      status,
      elapsedMs: ctx.now() - data.startedAt,
      studioUrl: data.studioUrl ?? studioJobLink(workspaceLinks(ctx), jobName),
    });
    const shown = status === 'Running' ? withProgress(line, live) : line;
    // Cancel while the job the bot started may run; redrawn without it once the job has ended.
    return data.spec && !isTerminalJobStatus(status) ? withButtons(shown, cancelJobButtons(requestId)) : shown;
  };
  return { lifecycle, statusLine, parentDetail: `job ${jobName}` };
}

/**
 * The watch gives up: nothing may go on saying the job runs. How it stands is no longer known (it may
 * still run, so Cancel stays on its status line), and the request ends failed like any other.
 */
async function giveUp(ctx: WorkerContext, deps: WatchDeps, data: WatchJob, err: unknown): Promise<never> {
  const { requestId, requester, jobName } = data;
  const { lifecycle, statusLine, parentDetail } = watchedRequest(ctx, data);
  const failure = describeFailure(err, 'watch');
  deps.progress?.forget(jobName);
  if (data.lastStatus !== undefined) await lifecycle.progress('status', statusLine('Unknown'));
  await lifecycle.failed(threadMessages.failure({ requester, requestId, what: `Scoring job ${jobName}`, failure, durationMs: ctx.now() - data.startedAt }), {
    parentDetail,
    audit: { ...failure, jobName },
  });
  await deps.snapshot?.unwatch(jobName);
  throw new UnrecoverableError(failure.message);
}

/**
 * The job ended: its final reply (results or triage from its outcome, best-effort), the request's end, and
 * the job out of the snapshot's watched set.
 */
async function reportEnd(ctx: WorkerContext, deps: WatchDeps, data: WatchJob, observed: JobObservation): Promise<{ status: string }> {
  const { requestId, requester, jobName } = data;
  const { status } = observed;
  const { lifecycle, parentDetail } = watchedRequest(ctx, data);
  const { snapshot, progress } = deps;
  progress?.forget(jobName);
  const durationMs = ctx.now() - data.startedAt;
  // A job the bot started can be run again from its last word (same endpoint, deployment and input).
  const final = (reply: SlackMessage): SlackMessage => (data.spec ? withButtons(reply, rerunButtons(requestId)) : reply);
  // The request's own (or the service's confirmed) output first: the ARM job cannot say where it wrote.
  const outputUri = data.outputUri ?? observed.outputUri;
  const studioUrl = data.studioUrl ?? observed.studioUrl ?? studioJobLink(workspaceLinks(ctx), jobName);
  // Triage or results, from the job's logs and outputs (best-effort: the reply goes out regardless).
  const findings = await readJobOutcome({ azureml: ctx.azureml, links: workspaceLinks(ctx), logger: ctx.logger }, {
    jobName,
    endpointName: data.endpointName,
    status,
    scoringUri: data.scoringUri,
    ...(outputUri ? { outputUri } : {}),
    ...(observed.failure.message ? { serviceMessage: observed.failure.message } : {}),
  });
  if (status === 'Completed') {
    const items = await completedItemCounts(ctx, jobName, observed.items);
    const message =
      items.failed !== undefined && items.failed > 0
        ? threadMessages.jobCompletedWithFailures({
            requester,
            jobName,
            endpointName: data.endpointName,
            ...(outputUri ? { outputUri } : {}),
            durationMs,
            itemsFailed: items.failed,
            ...(items.succeeded !== undefined ? { itemsSucceeded: items.succeeded } : {}),
          })
        : threadMessages.jobSucceeded({
            requester,
            jobName,
            endpointName: data.endpointName,
            ...(outputUri ? { outputUri } : {}),
            ...(studioUrl ? { studioUrl } : {}),
            durationMs,
            links: workspaceLinks(ctx),
          });
    // The results sections follow; the item counts are said once (by the completed-with-failures headline
    // when it has them), and failed items get the link to the logs as a failed job does.
    const completedWithFailures = items.failed !== undefined && items.failed > 0;
    await lifecycle.succeeded(final(withJobOutcome(message, findings, { completedWithFailures })), {
      parentDetail,
      audit: { jobName, ...(items.failed !== undefined ? { itemsFailed: items.failed } : {}) },
    });
  } else if (status === 'Canceled') {
    // A cancel is what someone asked for: reported as canceled in the job's own thread, not as a failure.
    await lifecycle.canceled(final(threadMessages.jobCanceled({ requester, jobName, endpointName: data.endpointName, durationMs })), { parentDetail, audit: { jobName } });
  } else {
    const service = observed.failure;
    const failure = {
      step: 'scoring job',
      code: service.code ?? 'JobFailed',
      message: `${service.message ?? `the job ended ${status}`}. Azure ML shows the reason and the logs on the job's page: ${studioUrl}`,
    };
    await lifecycle.failed(final(withJobOutcome(threadMessages.failure({ requester, requestId, what: `Scoring job ${jobName}`, failure, durationMs }), findings)), {
      parentDetail,
      audit: { jobName, ...failure },
    });
  }
  await snapshot?.unwatch(jobName);
  return { status };
}

export function createWatchProcessor(ctx: WorkerContext, deps: WatchDeps = {}) {
  const step = createWatchStep(ctx, deps);
  return async function processWatch(job: Job, token?: string): Promise<{ status: string }> {
    try {
      return await step(job, token);
    } catch (err) {
      // DelayedError is the step pattern's "look again later"; an UnrecoverableError was reported (or the
      // payload is unreadable); before the last attempt BullMQ tries again.
      if (err instanceof DelayedError || err instanceof UnrecoverableError || !isLastAttempt(job)) throw err;
      // Out of attempts (Redis kept failing under the step): end the request rather than leave it running.
      return giveUp(ctx, deps, parsePayload(watchJobSchema, job), err);
    }
  };
}

/**
 * Who reads an ended job's outcome next, in this process: at most `atOnce` reads, and the jobs that found
 * them all taken are served in the order they came. When a read ends, the next waiting job is woken and
 * the read is kept for it a while (a newcomer does not take it); a job that does not come in time (taken
 * by another process, its wake lost) loses its turn. Without the order, hundreds of jobs told ended by one
 * refresh raced for each free read, and some lost for half a minute.
 */
function createOutcomeTurns(atOnce: number, now: () => number, wake: (jobName: string) => Promise<boolean>) {
  let reading = 0;
  const waiting: string[] = [];
  const inLine = new Set<string>();
  const kept = new Map<string, number>();
  const expire = (): void => {
    for (const [name, until] of kept) if (until <= now()) kept.delete(name);
  };
  const fill = (): void => {
    expire();
    while (reading + kept.size < atOnce && waiting.length > 0) {
      const next = waiting.shift()!;
      inLine.delete(next);
      kept.set(next, now() + OUTCOME_RESERVATION_MS);
      void wake(next).then(
        (woken) => {
          if (!woken && kept.delete(next)) fill();
        },
        () => undefined,
      );
    }
  };
  return {
    /** True when this job may read its outcome now (then `done` must follow); else it is in the line. */
    take(jobName: string): boolean {
      expire();
      const mine = kept.delete(jobName);
      const free = reading + kept.size < atOnce;
      const first = waiting.length === 0 || waiting[0] === jobName;
      if (mine || (free && first)) {
        // Admitted from the head of the line (a kept read's job has left it already).
        if (inLine.delete(jobName)) waiting.shift();
        reading += 1;
        return true;
      }
      if (!inLine.has(jobName)) {
        inLine.add(jobName);
        waiting.push(jobName);
      }
      // Room, but others were first: wake them (a job whose fallback brought it back first keeps its place).
      if (free) fill();
      return false;
    },
    done(): void {
      reading -= 1;
      fill();
    },
  };
}

function createWatchStep(ctx: WorkerContext, deps: WatchDeps) {
  const { snapshot, progress } = deps;
  const outcomeReadsAtOnce = deps.outcomeReadsAtOnce ?? 8;
  const turns = createOutcomeTurns(outcomeReadsAtOnce, ctx.now, (jobName) => ctx.producers.wakeWatch(jobName));
  return async function watchStep(job: Job, token?: string): Promise<{ status: string }> {
    const data: WatchJob = parsePayload(watchJobSchema, job);
    const state: WatchStepState = watchStepStateSchema.catch({}).parse(job.data);
    const { requestId, jobName } = data;
    const { lifecycle, statusLine } = watchedRequest(ctx, data);
    const reschedule = async (next: Partial<WatchJob>, nextState: WatchStepState, delayMs: number, afterMove?: () => Promise<void>): Promise<never> => {
      const changed =
        Object.entries(next).some(([k, v]) => data[k as keyof WatchJob] !== v) ||
        Object.entries(nextState).some(([k, v]) => state[k as keyof WatchStepState] !== v);
      // Unchanged data is not written again: at thousands of jobs, every Redis write per step counts.
      if (changed) await job.updateData({ ...data, ...state, ...next, ...nextState });
      await job.moveToDelayed(ctx.now() + delayMs, token);
      await afterMove?.();
      throw new DelayedError();
    };

    let observed: JobObservation | undefined;
    /** How many jobs the workspace's watches follow (from the snapshot): what live progress is paced by. */
    let watchedJobs = 1;
    let polls = data.polls;
    let fromSnapshot = false;
    const nextState: WatchStepState = { ...state };
    if (snapshot) {
      if (nextState.watchedAt === undefined) {
        // The job was created after its request started: the snapshot need not read the list further back.
        await snapshot.watch(jobName, data.startedAt);
        nextState.watchedAt = ctx.now();
      }
      const found = await snapshot.lookup(jobName, nextState.watchedAt);
      // A line from a listing older than a whole max interval means listing is failing (throttled,
      // tokens revoked): trust it no longer, and ask the job itself, paced like a missing line. Unless a
      // refresh is under way: a long list read page by page can outlast the interval, and thousands of
      // watches asking their jobs meanwhile would only slow it further.
      const fresh = found.kind === 'found' && (ctx.now() - found.listedAt < ctx.watch.maxIntervalMs || found.refreshing);
      if (found.kind === 'found' && fresh) {
        observed = observationOfEntry(found.entry);
        fromSnapshot = true;
        watchedJobs = found.watched;
      } else {
        const directDue =
          found.kind === 'pending'
            ? !found.refreshing && ctx.now() - (state.lastSeenAt ?? data.startedAt) >= ctx.watch.maxIntervalMs
            : (state.directDueAt ?? 0) <= ctx.now();
        if (!directDue) return reschedule({}, nextState, snapshot.maxAgeMs);
      }
    }

    if (!observed) {
      let scoringJob: ScoringJob;
      try {
        scoringJob = await ctx.azureml.scoring.getJob(data.scoringUri, jobName);
      } catch (err) {
        if (isAzureMlError(err) && err.retriable) {
          // Throttled or unavailable even after the client's retries (which waited out Retry-After): look
          // again later, don't fail.
          ctx.logger.warn({ requestId, jobName, code: err.code }, 'job status unavailable; will look again');
          const delayMs = nextWatchIntervalMs(polls + 1, ctx.watch, err.retryAfterMs);
          return reschedule({ polls: polls + 1 }, { ...nextState, directDueAt: ctx.now() + delayMs }, delayMs);
        }
        return giveUp(ctx, deps, data, err);
      }
      observed = observationOfJob(scoringJob);
      nextState.directDueAt = ctx.now() + nextWatchIntervalMs(polls, ctx.watch);
      polls += 1;
    }
    // Written coarsely (it only decides when a silent snapshot is given up on), to spare a write per step.
    if (state.lastSeenAt === undefined || ctx.now() - state.lastSeenAt >= ctx.watch.minIntervalMs) nextState.lastSeenAt = ctx.now();

    const { status } = observed;
    const ended = isTerminalJobStatus(status);
    if (ended && !turns.take(jobName)) {
      // Woken in turn when a read ends; meanwhile back off (0.5 s doubling to 16 s), so a long line of
      // ended jobs costs Redis little while it waits.
      const waits = Math.min((state.outcomeWaits ?? 0) + 1, OUTCOME_BUSY_MAX_DOUBLINGS + 1);
      return reschedule({}, { ...nextState, outcomeWaits: waits }, OUTCOME_BUSY_RETRY_MS * 2 ** (waits - 1));
    }
    try {
      // While it runs, the status line also shows how far the job is (job-progress.ts paces the looks).
      const progressEveryMs = liveProgressIntervalMs(watchedJobs, ctx.watch, ctx.watch.statusEditsPerMinute ?? DEFAULT_STATUS_EDITS_PER_MINUTE);
      const live = status === 'Running' ? await progress?.changed(jobName, data.endpointName, progressEveryMs) : undefined;
      if (status !== data.lastStatus || live) await lifecycle.progress('status', statusLine(status, live ?? progress?.last(jobName)));
      if (!ended) {
        if (snapshot && fromSnapshot) {
          // A change is told by waking this step, so it looks only when its live progress is due (paced
          // by the workspace's edit budget), or at the ceiling. A wake that came while this step ran found
          // it running and was lost: the line is read again once the step waits, and the step woken then.
          const ceilingMs = Math.min(WOKEN_STEP_CEILING_MS, ctx.watch.maxIntervalMs);
          const delayMs = Math.min(ceilingMs, Math.max(snapshot.maxAgeMs, status === 'Running' ? progressEveryMs : ceilingMs));
          return reschedule({ lastStatus: status, polls }, nextState, delayMs, async () => {
            if ((await snapshot.statusOf(jobName)) !== status) await ctx.producers.wakeWatch(jobName);
          });
        }
        // Asked directly (no snapshot, or its line missing or stale): the per-job pace, or the snapshot's
        // age, by when it may hold the job again.
        const delayMs = snapshot ? snapshot.maxAgeMs : nextWatchIntervalMs(data.polls, ctx.watch);
        return reschedule({ lastStatus: status, polls }, nextState, delayMs);
      }

      return await reportEnd(ctx, deps, data, observed);
    } finally {
      if (ended) turns.done();
    }
  };
}

export interface WatchWorkerDeps extends RequestQueueWorkerOptions {
  /**
   * Read statuses from the workspace's shared snapshot (one Jobs_List every few seconds) instead of one
   * GET per job per check; default true. false: every step asks its job (the behaviour before issue 7).
   */
  sharedSnapshot?: boolean;
}

/** One workspace's watch processor, with that workspace's shared status snapshot (kept fresh by `ticker`). */
function watchProcessorOf(ctx: WorkerContext, deps: WatchWorkerDeps, ticker: SnapshotTicker) {
  const snapshot =
    deps.sharedSnapshot === false
      ? undefined
      : createJobStatusSnapshot({
          connection: deps.connection,
          prefix: deps.prefix,
          ...(ctx.profile !== undefined ? { profile: ctx.profile } : {}),
          listJobPages: (maxPages) => ctx.azureml.jobs.batchJobPages(maxPages),
          maxAgeMs: snapshotMaxAgeMs(ctx.watch),
          // Never above maxAgeMs (the snapshot keeps to that): tests' 200-ms floor keeps theirs.
          minGapMs: SNAPSHOT_MIN_GAP_MS,
          readsPerSecond: SNAPSHOT_READS_PER_SECOND,
          // After a failed list, no sooner than a job's own first re-check, and never slower than its ceiling.
          minBackoffMs: ctx.watch.minIntervalMs,
          maxBackoffMs: ctx.watch.maxIntervalMs,
          now: ctx.now,
          onStatusChanged: async (jobNames) => {
            await Promise.all(jobNames.map((name) => ctx.producers.wakeWatch(name)));
          },
          onRefreshError: (err, failures, retryInMs) =>
            ctx.logger.warn({ err: describeFailure(err, 'watch'), failures, retryInMs }, 'could not list the workspace jobs; watches use the last snapshot'),
        });
  if (snapshot) ticker.add(snapshot);
  // Half the slots may read outcomes; the other half keep serving the steps of jobs that still run.
  return createWatchProcessor(ctx, { snapshot, progress: createJobProgressReader(ctx), outcomeReadsAtOnce: Math.max(1, Math.floor((deps.concurrency ?? DEFAULT_WATCH_CONCURRENCY) / 2)) });
}

export function createWatchWorker(ctx: WorkerContext | WorkspaceContexts, deps: WatchWorkerDeps): Worker {
  const logger = isContexts(ctx) ? ctx.shared.logger : ctx.logger;
  const ticker = createSnapshotTicker({ onError: (err) => logger.warn({ err: describeFailure(err, 'watch') }, 'could not refresh the job status snapshot; the next tick tries again') });
  const worker = createRequestQueueWorker(QUEUE_NAMES.watch, ctx, (c) => watchProcessorOf(c, deps, ticker), { ...deps, defaultConcurrency: DEFAULT_WATCH_CONCURRENCY });
  worker.on('closing', () => ticker.stop());
  return worker;
}
