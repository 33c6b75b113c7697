// One workspace-level picture of the scoring jobs being watched, shared through Redis by every watch step
// in every worker process. Instead of one `GET …/jobs/{job}` per job per check, the workspace's batch jobs
// are read with Jobs_List (mfe.json, `GET …/workspaces/{ws}/jobs?jobType=Pipeline&tag=azureml.batchrun`)
// at most once per refresh interval, and each step reads its job's line from the cached hash.
//
// What a refresh costs is bounded by the jobs being watched, not by the workspace's history (a real
// workspace keeps every job it ever ran: docs/architecture.md, "Watching costs what is in flight"):
//   - the list is read newest first, page by page, and stops as soon as every watched job has been seen, or
//     a page reaches jobs created before the oldest watched request started (minus a clock margin); jobs
//     watched without a start are looked for up to 2 + ceil(watched / page size) pages (or that horizon if
//     later); so pages ≤ watched + 2 whatever the history;
//   - a watched job the pages did not reach is 'absent': its watch step asks the job itself, paced per job
//     (watch-worker.ts), which again costs per watched job;
//   - refreshes are spaced so the snapshot spends at most `readsPerSecond` ARM reads per second on average
//     (never sooner than minGapMs, never later than maxGapMs), however many pages a refresh took: a small
//     watch is listed every minGapMs, a large one as often as its pages allow;
//   - a page's lines are written as soon as it is read, and the jobs whose status it shows changed are told
//     (onStatusChanged) at once: their watch steps need not look every few seconds in case something
//     changed, and a refresh of hundreds of pages no longer holds every end it has seen until its last page.
//
// Coordination (keys under `${prefix}:watch-snapshot:`):
//   entries    hash job name (lower case) → JSON JobSnapshotEntry, written page by page; a refresh that
//              read to its end removes the lines of watched jobs it did not find
//   listed-at  when the list that produced `entries` was started (ms): a job watched before that is in it
//              unless the listing does not show it
//   due-at     when the next refresh may start (ms), from the last refresh's cost and the read budget
//   lock       SET NX PX: the one step refreshing now; everyone else reads the previous snapshot
//   not-before after a failed list: nobody lists again before this (backoff, growing with `failures`)
//   failures   consecutive failed lists
//   watching   hash job name → when its request started (ms): the jobs to look for, and how far back
//   last-cost  pages the last refresh read (for benchmarks and logs)
//   page-at    when the refresh under way last read a page: one silent for maxBackoffMs is not trusted to
//              be under way (its worker may have died, or Redis restarted, with the lock still set)
import { randomUUID } from 'node:crypto';
import type { RedisConnection } from './connection';
import { z } from 'zod';
import type { Job as ArmJob } from '../azureml/resources';
import { DEFAULT_RETRY_OPTIONS } from '../azureml/retry-policy';
import { isAzureMlError } from '../azureml/errors';
import { workspaceKey } from './redis-keys';
import { jobItemCounts } from '../azureml/job-item-counts';
import { backoffDelayMs } from '../domain/backoff';
import { isTerminalJobStatus } from '../azureml/jobs';

export const jobSnapshotEntrySchema = z.object({
  /** Kept as text: newer api-versions add status values (extensible enum), shown as they come. */
  status: z.string(),
  /**
   * The named output's URI, when the job resource reports one. Optional: Azure's ARM view of a batch job has
   * `outputs: null` (test_batch_job_download.json), so the watch must not count on it.
   */
  outputUri: z.string().optional(),
  /** The service's error, for a failed job, when a document carries one (Azure's recorded ones do not). */
  errorCode: z.string().optional(),
  errorMessage: z.string().optional(),
  /** The job's studio page (services.Studio.endpoint), where Azure shows a failure's reason. */
  studioUrl: z.string().optional(),
  /**
   * Items scored and failed, when the listed job carries them (job-item-counts.ts): a list item is the same
   * JobBase document as Jobs_Get's, so a completed job's counts need no read of their own.
   */
  itemsSucceeded: z.number().int().nonnegative().optional(),
  itemsFailed: z.number().int().nonnegative().optional(),
});
export type JobSnapshotEntry = z.infer<typeof jobSnapshotEntrySchema>;

/**
 * found: the job's line from a snapshot; absent: the snapshot was listed after the job existed and does
 * not show it (ask the job itself); pending: no snapshot yet covers the job (wait for the next one).
 */
export type SnapshotLookup =
  | {
      kind: 'found';
      entry: JobSnapshotEntry;
      listedAt: number;
      /** How many jobs the workspace's watches follow now (what paces per-job extras such as live progress). */
      watched: number;
      /** A refresh is under way: listing works, however old this line (a long history takes many pages). */
      refreshing: boolean;
    }
  | { kind: 'absent'; listedAt: number }
  | { kind: 'pending'; refreshing: boolean };

export interface JobStatusSnapshot {
  /**
   * How old a snapshot may get before a reader refreshes it, and how long a step waiting on it sleeps; a
   * cheap one is refreshed sooner (minGapMs).
   */
  readonly maxAgeMs: number;
  /**
   * Adds a job to the watched set, so refreshes look for it. `createdAfter`: a time the job was certainly
   * created after (its request's start, ms); refreshes read the list back to there and no further.
   */
  watch(jobName: string, createdAfter?: number): Promise<void>;
  /** Removes a job once its final status is reported. */
  unwatch(jobName: string): Promise<void>;
  /**
   * The job's line from a snapshot no older than maxAgeMs, refreshing it first when stale and nobody else
   * is (or the previous one while another step refreshes or while a failed list backs off).
   * `watchedAt`: when watch(jobName) had returned, to tell 'absent' from 'pending'.
   */
  lookup(jobName: string, watchedAt: number): Promise<SnapshotLookup>;
  /** The status on the job's line now, without refreshing (undefined: no line). */
  statusOf(jobName: string): Promise<string | undefined>;
  /**
   * Refreshes when jobs are watched, the snapshot is due and nobody else is refreshing: what keeps it
   * fresh while every watch step waits for a wake (the watch worker calls it on a timer).
   */
  refreshIfDue(): Promise<void>;
}

export interface JobStatusSnapshotDeps {
  connection: RedisConnection;
  prefix: string;
  /** The workspace profile whose jobs these are (absent: the only one). */
  profile?: string;
  /** The workspace's batch jobs, newest first, one page per item, at most maxPages: azureml.jobs.batchJobPages. */
  listJobPages: (maxPages: number) => AsyncIterable<ArmJob[]>;
  maxAgeMs: number;
  /** Average ARM reads per second the refreshes may spend (default 2; ARM refills ~25/s per principal). */
  readsPerSecond?: number;
  /**
   * The shortest gap between two refreshes' starts, when they are cheap (default maxAgeMs): a refresh of
   * a page or two is listed this often, a longer one as its pages and readsPerSecond allow.
   */
  minGapMs?: number;
  /** The longest gap between refreshes however costly they are (default maxBackoffMs / 2). */
  maxGapMs?: number;
  /** How far before a watched request's start its job may have been created by the service's clock (default 10 min). */
  createdAtMarginMs?: number;
  /** How long the refresh lock lasts without a page read (default: the client's longest retry + 30 s). */
  lockTtlMs?: number;
  /**
   * Told, page by page, the watched jobs whose status a refresh found changed from their line's (or, with no
   * line yet, found ended), names as listed: their watch steps can look now. Errors are the caller's.
   */
  onStatusChanged?: (jobNames: string[]) => Promise<void>;
  /** Told after each refresh how many pages it read (benchmarks, logs). */
  onRefresh?: (stats: { pages: number; watched: number; found: number }) => void;
  /** Floor of the backoff after a failed list (default maxAgeMs × 2). */
  minBackoffMs?: number;
  /** Ceiling of the backoff after failed lists (default 2 minutes). */
  maxBackoffMs?: number;
  now?: () => number;
  /** Told about failed lists (the caller logs them; the error is not rethrown, readers keep the old snapshot). */
  onRefreshError?: (err: unknown, failures: number, retryInMs: number) => void;
}

/** `profile`: each workspace has its own snapshot (its own jobs, its own ARM budget). */
export function snapshotKeys(prefix: string, profile?: string) {
  const base = workspaceKey(prefix, 'watch-snapshot', profile);
  return {
    entries: `${base}:entries`,
    listedAt: `${base}:listed-at`,
    lock: `${base}:lock`,
    notBefore: `${base}:not-before`,
    failures: `${base}:failures`,
    watching: `${base}:watching`,
    dueAt: `${base}:due-at`,
    lastCost: `${base}:last-cost`,
    pageAt: `${base}:page-at`,
  };
}

/** The line a snapshot keeps for one job: what the watch needs to report its status and final reply. */
export function snapshotEntryOf(job: ArmJob): JobSnapshotEntry {
  const props = job.properties;
  const bag = props.properties ?? {};
  let outputUri: string | undefined;
  for (const output of Object.values(props.outputs ?? {})) {
    if (output && typeof output.uri === 'string') {
      outputUri = output.uri;
      break;
    }
  }
  const studio = (props as { services?: Record<string, { endpoint?: unknown } | null> | null }).services?.Studio?.endpoint;
  const items = jobItemCounts(job);
  return {
    status: props.status ?? 'Unknown',
    ...(outputUri ? { outputUri } : {}),
    ...(bag['azureml.error.code'] ? { errorCode: bag['azureml.error.code'] } : {}),
    ...(bag['azureml.error.message'] ? { errorMessage: bag['azureml.error.message'] } : {}),
    ...(typeof studio === 'string' && /^https:\/\//i.test(studio) ? { studioUrl: studio } : {}),
    ...(items.succeeded !== undefined ? { itemsSucceeded: items.succeeded } : {}),
    ...(items.failed !== undefined ? { itemsFailed: items.failed } : {}),
  };
}

/** Worker processes on different hosts compare their clocks through listed-at. */
const CLOCK_SKEW_MARGIN_MS = 2_000;

const nameKey = (jobName: string): string => jobName.toLowerCase();

/** Releases the lock only if we still hold it (it may have expired and been taken by another step). */
const RELEASE_LOCK = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;
/**
 * Takes the refresh lock only if jobs are watched, the snapshot is still due and no failed list backs off,
 * in one step: a caller that found it due a moment ago may come after a refresh that has just ended (and
 * released the lock), and must not list again at once. KEYS: lock, listed-at, due-at, not-before,
 * watching; ARGV: token, ttl, now, maxAgeMs. 1 when taken.
 */
const LOCK_IF_DUE = `
if redis.call('HLEN', KEYS[5]) == 0 then return 0 end
local now = tonumber(ARGV[3])
local notBefore = tonumber(redis.call('GET', KEYS[4]) or '')
if notBefore and now < notBefore then return 0 end
local listedAt = tonumber(redis.call('GET', KEYS[2]) or '')
if listedAt then
  local dueAt = tonumber(redis.call('GET', KEYS[3]) or '') or (listedAt + tonumber(ARGV[4]))
  if now < dueAt then return 0 end
end
if redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2], 'NX') then return 1 end
return 0
`;

/**
 * One page of a refresh, for the lock's holder only (nil when the lock was lost: expired, taken by another):
 * renews the lock, notes when the page came, writes the page's lines, and answers the names of the jobs whose
 * status changed from their line's, or that have no line yet and ended. ARGV: token, ttl, now, then name,
 * line, listed name, status, ended ('1' when isTerminalJobStatus) per job. A job unwatched meanwhile (its end
 * reported) gets no line again.
 */
const WRITE_PAGE = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return nil end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
redis.call('SET', KEYS[2], ARGV[3])
local changed = {}
for i = 4, #ARGV, 5 do
  if redis.call('HEXISTS', KEYS[4], ARGV[i]) == 1 then
    local before = redis.call('HGET', KEYS[3], ARGV[i])
    redis.call('HSET', KEYS[3], ARGV[i], ARGV[i + 1])
    if (before and cjson.decode(before).status ~= ARGV[i + 3]) or (not before and ARGV[i + 4] == '1') then changed[#changed + 1] = ARGV[i + 2] end
  end
end
return changed
`;

export function createJobStatusSnapshot(deps: JobStatusSnapshotDeps): JobStatusSnapshot {
  const { connection, maxAgeMs } = deps;
  const keys = snapshotKeys(deps.prefix, deps.profile);
  const now = deps.now ?? Date.now;
  const maxBackoffMs = deps.maxBackoffMs ?? 120_000;
  const minBackoffMs = deps.minBackoffMs ?? maxAgeMs * 2;
  const readsPerSecond = deps.readsPerSecond ?? 2;
  const minGapMs = Math.min(maxAgeMs, deps.minGapMs ?? maxAgeMs);
  const maxGapMs = Math.max(maxAgeMs, deps.maxGapMs ?? maxBackoffMs / 2);
  const createdAtMarginMs = deps.createdAtMarginMs ?? 10 * 60_000;
  // The list call retries by itself, waiting out Retry-After, for up to the client's maxTotalMs: the lock
  // outlives that, so a throttled workspace is never listed by two steps at once. A worker that dies
  // mid-refresh delays the next snapshot by this much at worst (watches then ask their jobs directly).
  const lockTtlMs = deps.lockTtlMs ?? DEFAULT_RETRY_OPTIONS.maxTotalMs + 30_000;

  async function refresh(token: string): Promise<void> {
    const listedAt = now();
    try {
      await connection.set(keys.pageAt, String(listedAt));
      const watching = await connection.hgetall(keys.watching);
      const wanted = new Set(Object.keys(watching));
      const found = new Set<string>();
      let pages = 0;
      if (wanted.size > 0) {
        // Jobs watched with their request's start: the list is read back to the oldest of those, whatever
        // lies between (jobs that ended, other teams' jobs). Jobs watched without one are looked for on
        // a few pages more only.
        const starts = Object.values(watching).map(Number);
        const known = starts.filter((v) => Number.isFinite(v) && v > 0);
        const horizon = known.length > 0 ? Math.min(...known) - createdAtMarginMs : Number.NEGATIVE_INFINITY;
        const unknownStarts = starts.length - known.length;
        // Each page holds at least one watched job, or the search is over.
        const hardCap = wanted.size + 2;
        let pageCap = hardCap;
        let pastHorizon = known.length === 0;
        for await (const page of deps.listJobPages(hardCap)) {
          pages += 1;
          const narrowCap = 2 + Math.ceil(wanted.size / Math.max(1, page.length));
          if (pastHorizon) pageCap = Math.min(pageCap, narrowCap);
          const lines: string[] = [];
          for (const job of page) {
            const listedName = job.name ?? job.id.slice(job.id.lastIndexOf('/') + 1);
            const name = nameKey(listedName);
            if (wanted.has(name)) {
              const entry = snapshotEntryOf(job);
              found.add(name);
              lines.push(name, JSON.stringify(entry), listedName, entry.status, isTerminalJobStatus(entry.status) ? '1' : '0');
            }
            if (!pastHorizon && Date.parse(job.systemData?.createdAt ?? '') < horizon) {
              pastHorizon = true;
              pageCap = Math.min(hardCap, Math.max(pages, narrowCap));
            }
          }
          // The lock lasts while pages keep coming: a refresh of hundreds of pages can outlast its TTL, and a
          // second refresh beside it would double the reads. Lost anyway (a page hung past the TTL): another
          // refresh has taken over, and this one's older lines are not written over it.
          const changed = (await connection.eval(WRITE_PAGE, 4, keys.lock, keys.pageAt, keys.entries, keys.watching, token, String(lockTtlMs), String(now()), ...lines)) as string[] | null;
          if (changed === null) return;
          if (changed.length > 0) await deps.onStatusChanged?.(changed);
          if (found.size === wanted.size || (pastHorizon && unknownStarts === 0) || pages >= pageCap) break;
        }
      }
      const gapMs = Math.min(maxGapMs, Math.max(minGapMs, Math.ceil((pages * 1000) / readsPerSecond)));
      // A watched job this listing did not show loses its line: its watch then asks the job itself.
      const missing = [...wanted].filter((name) => !found.has(name));
      const tx = connection.multi();
      if (wanted.size === 0) tx.del(keys.entries);
      else if (missing.length > 0) tx.hdel(keys.entries, ...missing);
      await tx
        .set(keys.listedAt, String(listedAt))
        .set(keys.dueAt, String(listedAt + gapMs))
        .set(keys.lastCost, String(pages))
        .del(keys.failures, keys.notBefore)
        .exec();
      deps.onRefresh?.({ pages, watched: wanted.size, found: found.size });
    } catch (err) {
      const failures = await connection.incr(keys.failures);
      // The client already waited out the Retry-After hints of its own attempts; from here the snapshot
      // backs off exponentially, so a throttled or failing ARM gets fewer calls, not more, and never sooner
      // than the last answer's own Retry-After.
      // No jitter: the wait is shared by every worker through Redis, so it is one schedule already.
      const backoffMs = backoffDelayMs(failures, { baseMs: minBackoffMs, maxMs: maxBackoffMs, jitter: 'none' });
      const retryInMs = Math.max(backoffMs, isAzureMlError(err) ? (err.retryAfterMs ?? 0) : 0);
      await connection.set(keys.notBefore, String(now() + retryInMs));
      deps.onRefreshError?.(err, failures, retryInMs);
    } finally {
      await connection.eval(RELEASE_LOCK, 1, keys.lock, token);
    }
  }

  async function read(
    jobName: string,
  ): Promise<{ listedAt?: number; dueAt?: number; notBefore?: number; raw: string | null; watched: number; refreshing: boolean }> {
    const results = await connection
      .multi()
      .get(keys.listedAt)
      .get(keys.notBefore)
      .hget(keys.entries, nameKey(jobName))
      .get(keys.dueAt)
      .hlen(keys.watching)
      .exists(keys.lock)
      .get(keys.pageAt)
      .exec();
    const value = (i: number): string | null => (results?.[i]?.[1] as string | null | undefined) ?? null;
    const listedAt = value(0);
    const notBefore = value(1);
    const dueAt = value(3);
    // Under way: the lock is held and a page came lately (a lock outliving its holder is not a refresh).
    const pageAt = Number(value(6) ?? Number.NaN);
    const refreshing = Number(results?.[5]?.[1] ?? 0) > 0 && now() - pageAt < maxBackoffMs;
    return {
      ...(listedAt ? { listedAt: Number(listedAt) } : {}),
      ...(notBefore ? { notBefore: Number(notBefore) } : {}),
      ...(dueAt ? { dueAt: Number(dueAt) } : {}),
      raw: value(2),
      watched: Number(results?.[4]?.[1] ?? 0),
      refreshing,
    };
  }

  /** Refreshes if the snapshot is due (LOCK_IF_DUE decides); true when this call did. */
  async function refreshIfDue(): Promise<boolean> {
    const token = randomUUID();
    const taken = await connection.eval(LOCK_IF_DUE, 5, keys.lock, keys.listedAt, keys.dueAt, keys.notBefore, keys.watching, token, String(lockTtlMs), String(now()), String(maxAgeMs));
    if (Number(taken) !== 1) return false;
    await refresh(token);
    return true;
  }

  /**
   * The same rule read from what a lookup has already read: most lookups find the snapshot fresh, and skip
   * the script's round trip.
   */
  function looksDue(seen: { listedAt?: number; dueAt?: number; notBefore?: number }): boolean {
    const t = now();
    const stale = seen.listedAt === undefined || t >= (seen.dueAt ?? seen.listedAt + maxAgeMs);
    const backingOff = seen.notBefore !== undefined && t < seen.notBefore;
    return stale && !backingOff;
  }

  /** A line as written by a refresh, or undefined when there is none or it does not parse. */
  function parseLine(raw: string | null): JobSnapshotEntry | undefined {
    if (raw === null) return undefined;
    const parsed = jobSnapshotEntrySchema.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : undefined;
  }

  return {
    maxAgeMs,
    async refreshIfDue() {
      await refreshIfDue();
    },
    async watch(jobName, createdAfter) {
      // Without a start time the job is looked for as far back as the page cap allows.
      await connection.hset(keys.watching, nameKey(jobName), String(createdAfter ?? 0));
    },
    async unwatch(jobName) {
      await connection.multi().hdel(keys.watching, nameKey(jobName)).hdel(keys.entries, nameKey(jobName)).exec();
    },
    async statusOf(jobName) {
      return parseLine(await connection.hget(keys.entries, nameKey(jobName)))?.status;
    },
    async lookup(jobName, watchedAt) {
      let seen = await read(jobName);
      if (looksDue(seen) && (await refreshIfDue())) seen = await read(jobName);
      const entry = parseLine(seen.raw);
      if (entry) {
        return {
          kind: 'found',
          entry,
          listedAt: seen.listedAt ?? 0,
          watched: seen.watched,
          refreshing: seen.refreshing,
        };
      }
      // A list started after the job was watched (and so after it was invoked) shows it: not being there
      // is an answer. The margin covers clocks of worker processes on different hosts.
      if (seen.listedAt !== undefined && seen.listedAt > watchedAt + CLOCK_SKEW_MARGIN_MS) return { kind: 'absent', listedAt: seen.listedAt };
      return { kind: 'pending', refreshing: seen.refreshing };
    },
  };
}
