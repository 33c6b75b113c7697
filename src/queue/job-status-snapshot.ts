// One workspace-level picture of the scoring jobs being watched, shared through Redis by every watch step
// in every worker process. Instead of one `GET {scoringUri}/{job}` per job per check, the workspace's jobs
// are listed with ONE paged ARM call (mfe.json Jobs_List, `GET …/workspaces/{ws}/jobs`) at most once per
// `maxAgeMs`, and each step reads its job's line from the cached hash. With 1,000 jobs running, a check
// costs Redis reads, and Azure sees a list call every few seconds instead of hundreds of GETs: ARM's
// read budget is per subscription (12,000 reads per hour), shared with everything else the team runs.
//
// Coordination (keys under `${prefix}:watch-snapshot:`):
//   entries    hash job name (lower case) → JSON JobSnapshotEntry, replaced atomically (RENAME) per refresh
//   listed-at  when the list that produced `entries` was started (ms): a job invoked before that is in it
//              unless the listing does not show it
//   lock       SET NX PX: the one step refreshing now; everyone else reads the previous snapshot
//   not-before after a failed list: nobody lists again before this (backoff, growing with `failures`)
//   failures   consecutive failed lists
//   watched    set of job names being watched: a refresh keeps only those, so the hash stays as small as
//              the work in flight however long the workspace's job history is
import { randomUUID } from 'node:crypto';
import type { RedisConnection } from './connection';
import { z } from 'zod';
import type { Job as ArmJob } from '../azureml/resources';
import { DEFAULT_RETRY_OPTIONS } from '../azureml/retry-policy';
import { isAzureMlError } from '../azureml/errors';
import { redisKey } from './redis-keys';

export const jobSnapshotEntrySchema = z.object({
  status: z.string(),
  /** The named output's URI, as the job resource reports it. */
  outputUri: z.string().optional(),
  /** The service's error, for a failed job (properties.properties["azureml.error.code"|"…message"]). */
  errorCode: z.string().optional(),
  errorMessage: z.string().optional(),
});
export type JobSnapshotEntry = z.infer<typeof jobSnapshotEntrySchema>;

/**
 * found: the job's line from a snapshot; absent: the snapshot was listed after the job existed and does
 * not show it (ask the job itself); pending: no snapshot yet covers the job (wait for the next one).
 */
export type SnapshotLookup =
  | { kind: 'found'; entry: JobSnapshotEntry; listedAt: number }
  | { kind: 'absent'; listedAt: number }
  | { kind: 'pending' };

export interface JobStatusSnapshot {
  /** How old a snapshot may get before a reader refreshes it. */
  readonly maxAgeMs: number;
  /** Adds a job to the watched set, so refreshes keep its line. */
  watch(jobName: string): Promise<void>;
  /** Removes a job once its final status is reported. */
  unwatch(jobName: string): Promise<void>;
  /**
   * The job's line from a snapshot no older than maxAgeMs, refreshing it first when stale and nobody else
   * is (or the previous one while another step refreshes or while a failed list backs off).
   * `watchedAt`: when watch(jobName) had returned, to tell 'absent' from 'pending'.
   */
  lookup(jobName: string, watchedAt: number): Promise<SnapshotLookup>;
}

export interface JobStatusSnapshotDeps {
  connection: RedisConnection;
  prefix: string;
  /** Lists the workspace's jobs (all pages): azureml.jobs.list. */
  listJobs: () => Promise<ArmJob[]>;
  maxAgeMs: number;
  /** Floor of the backoff after a failed list (default maxAgeMs × 2). */
  minBackoffMs?: number;
  /** Ceiling of the backoff after failed lists (default 2 minutes). */
  maxBackoffMs?: number;
  now?: () => number;
  /** Told about failed lists (the caller logs them; the error is not rethrown, readers keep the old snapshot). */
  onRefreshError?: (err: unknown, failures: number, retryInMs: number) => void;
}

export function snapshotKeys(prefix: string) {
  const base = redisKey(prefix, 'watch-snapshot');
  return {
    entries: `${base}:entries`,
    listedAt: `${base}:listed-at`,
    lock: `${base}:lock`,
    notBefore: `${base}:not-before`,
    failures: `${base}:failures`,
    watched: `${base}:watched`,
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
  return {
    status: props.status ?? 'Unknown',
    ...(outputUri ? { outputUri } : {}),
    ...(bag['azureml.error.code'] ? { errorCode: bag['azureml.error.code'] } : {}),
    ...(bag['azureml.error.message'] ? { errorMessage: bag['azureml.error.message'] } : {}),
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

export function createJobStatusSnapshot(deps: JobStatusSnapshotDeps): JobStatusSnapshot {
  const { connection, maxAgeMs } = deps;
  const keys = snapshotKeys(deps.prefix);
  const now = deps.now ?? Date.now;
  const maxBackoffMs = deps.maxBackoffMs ?? 120_000;
  const minBackoffMs = deps.minBackoffMs ?? maxAgeMs * 2;
  // The list call retries by itself, waiting out Retry-After, for up to the client's maxTotalMs: the lock
  // outlives that, so a throttled workspace is never listed by two steps at once. A worker that dies
  // mid-refresh delays the next snapshot by this much at worst (watches then ask their jobs directly).
  const lockTtlMs = DEFAULT_RETRY_OPTIONS.maxTotalMs + 30_000;

  async function refresh(token: string): Promise<void> {
    const listedAt = now();
    try {
      const [jobs, watched] = await Promise.all([deps.listJobs(), connection.smembers(keys.watched)]);
      const wanted = new Set(watched.map(nameKey));
      const fields: string[] = [];
      for (const job of jobs) {
        const name = nameKey(job.name ?? job.id.slice(job.id.lastIndexOf('/') + 1));
        if (wanted.has(name)) fields.push(name, JSON.stringify(snapshotEntryOf(job)));
      }
      const staging = `${keys.entries}:${token}`;
      const tx = connection.multi();
      if (fields.length > 0) tx.hset(staging, ...fields).rename(staging, keys.entries);
      else tx.del(keys.entries);
      await tx.set(keys.listedAt, String(listedAt)).del(keys.failures, keys.notBefore).exec();
    } catch (err) {
      const failures = await connection.incr(keys.failures);
      // The client already waited out the Retry-After hints of its own attempts; from here the snapshot
      // backs off exponentially, so a throttled or failing ARM gets fewer calls, not more, and never sooner
      // than the last answer's own Retry-After.
      const backoffMs = Math.min(maxBackoffMs, minBackoffMs * 2 ** Math.min(failures - 1, 10));
      const retryInMs = Math.max(backoffMs, isAzureMlError(err) ? (err.retryAfterMs ?? 0) : 0);
      await connection.set(keys.notBefore, String(now() + retryInMs));
      deps.onRefreshError?.(err, failures, retryInMs);
    } finally {
      await connection.eval(RELEASE_LOCK, 1, keys.lock, token);
    }
  }

  async function read(jobName: string): Promise<{ listedAt?: number; notBefore?: number; raw: string | null }> {
    const results = await connection.multi().get(keys.listedAt).get(keys.notBefore).hget(keys.entries, nameKey(jobName)).exec();
    const value = (i: number): string | null => (results?.[i]?.[1] as string | null | undefined) ?? null;
    const listedAt = value(0);
    const notBefore = value(1);
    return {
      ...(listedAt ? { listedAt: Number(listedAt) } : {}),
      ...(notBefore ? { notBefore: Number(notBefore) } : {}),
      raw: value(2),
    };
  }

  return {
    maxAgeMs,
    async watch(jobName) {
      await connection.sadd(keys.watched, nameKey(jobName));
    },
    async unwatch(jobName) {
      await connection.multi().srem(keys.watched, nameKey(jobName)).hdel(keys.entries, nameKey(jobName)).exec();
    },
    async lookup(jobName, watchedAt) {
      let seen = await read(jobName);
      const t = now();
      const stale = seen.listedAt === undefined || t - seen.listedAt >= maxAgeMs;
      const backingOff = seen.notBefore !== undefined && t < seen.notBefore;
      if (stale && !backingOff) {
        const token = randomUUID();
        const acquired = await connection.set(keys.lock, token, 'PX', lockTtlMs, 'NX');
        if (acquired === 'OK') {
          await refresh(token);
          seen = await read(jobName);
        }
      }
      if (seen.raw !== null) {
        const parsed = jobSnapshotEntrySchema.safeParse(JSON.parse(seen.raw));
        if (parsed.success) return { kind: 'found', entry: parsed.data, listedAt: seen.listedAt ?? 0 };
      }
      // A list started after the job was watched (and so after it was invoked) shows it: not being there
      // is an answer. The margin covers clocks of worker processes on different hosts.
      if (seen.listedAt !== undefined && seen.listedAt > watchedAt + CLOCK_SKEW_MARGIN_MS) return { kind: 'absent', listedAt: seen.listedAt };
      return { kind: 'pending' };
    },
  };
}
