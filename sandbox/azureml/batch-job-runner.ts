// Runs a batch scoring job through the JobStatus values a real one goes through
// (NotStarted → Queued → Preparing → Running → Finalizing → Completed | Failed | Canceled), doing the
// real work on Azurite: resolve the input, list its files, score them in mini-batches, write the
// predictions. Every wait is a timer on the sandbox's time scale, so thousands of jobs are cheap.
import path from 'node:path';
import { BlobAlreadyExistsError, type BlobStore } from './blob-store';
import { TERMINAL_JOB_STATUSES, type BatchJobRecord, type JobStatus } from './batch-job';
import { folderPrefix } from './data-uri';
import { predictionsCsv, scoreFile, type ItemResult } from './digit-model';
import type { SandboxClock } from './durations';
import { JobInputError, resolveDataLocation, type BlobLocation, type ResolverContext } from './input-resolver';
import { runMiniBatches } from './mini-batch-runner';

export interface SandboxLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface JobRunnerDeps {
  blobs: BlobStore;
  clock: SandboxClock;
  resolver: ResolverContext;
  /** Where the job's output file goes (container + blob), decided at invocation. */
  outputLocation(job: BatchJobRecord): BlobLocation;
  logger?: SandboxLogger;
}

class JobStopped extends Error {}

export class BatchJobRunner {
  private stopped = false;
  private readonly running = new Set<Promise<void>>();

  constructor(private readonly deps: JobRunnerDeps) {}

  start(job: BatchJobRecord): void {
    const run = this.run(job).catch((err: unknown) => {
      if (err instanceof JobStopped) return;
      this.finish(job, 'Failed', { code: 'SystemError', message: err instanceof Error ? err.message : String(err) });
    });
    this.running.add(run);
    void run.finally(() => this.running.delete(run));
  }

  /** Requests cancellation; the job moves to CancelRequested, then Canceled. */
  cancel(job: BatchJobRecord): void {
    if (TERMINAL_JOB_STATUSES.has(job.status) || job.cancelRequested) return;
    job.cancelRequested = true;
    job.status = 'CancelRequested';
    job.wake?.();
  }

  /** Fault injection: fail a job now (at its next step). */
  fail(job: BatchJobRecord, message: string): void {
    if (TERMINAL_JOB_STATUSES.has(job.status)) return;
    job.injectedFailure = message;
    job.wake?.();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.allSettled([...this.running]);
  }

  private sleep(job: BatchJobRecord, ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        job.wake = undefined;
        resolve();
      }
      job.wake = done;
    });
  }

  /** After every wait: stop if the sandbox stops, honour cancel and injected failures. */
  private async checkpoint(job: BatchJobRecord): Promise<void> {
    if (this.stopped) throw new JobStopped();
    if (job.injectedFailure !== undefined) {
      throw new JobInputError('InjectedFailure', job.injectedFailure);
    }
    if (job.cancelRequested) {
      job.status = 'CancelRequested';
      await this.sleep(job, this.deps.clock.ms('jobCancelMs'));
      if (this.stopped) throw new JobStopped();
      this.finish(job, 'Canceled');
      throw new JobStopped();
    }
  }

  private async phase(job: BatchJobRecord, status: JobStatus, waitMs: number): Promise<void> {
    await this.checkpoint(job);
    job.status = status;
    await this.sleep(job, waitMs);
    await this.checkpoint(job);
  }

  private finish(job: BatchJobRecord, status: 'Completed' | 'Failed' | 'Canceled', error?: { code: string; message: string }): void {
    if (TERMINAL_JOB_STATUSES.has(job.status)) return;
    job.status = status;
    job.endTime = new Date().toISOString();
    if (error) job.error = error;
    this.deps.logger?.info({ job: job.name, status, error: error?.message }, 'batch job finished');
  }

  private async run(job: BatchJobRecord): Promise<void> {
    const { clock, blobs } = this.deps;
    try {
      await this.phase(job, 'NotStarted', clock.ms('jobQueueMs'));
      await this.phase(job, 'Queued', clock.ms('jobPrepareMs'));
      job.status = 'Preparing';
      job.startTime = new Date().toISOString();
      const input = resolveDataLocation(this.deps.resolver, job.input.uri);
      const output = this.deps.outputLocation(job);
      if (await blobs.exists(output.container, output.path)) {
        throw new JobInputError(
          'UserError',
          `The output file ${job.output.uri} already exists. Batch scoring needs a unique output location: choose another file name.`,
        );
      }
      await this.sleep(job, clock.ms('jobStartMs'));
      await this.checkpoint(job);

      job.status = 'Running';
      const files = await this.listInput(job, input);
      const prefix = input.path === '' ? '' : folderPrefix(input.path);
      const fileMs = clock.ms('perFileMs');
      const outcome = await runMiniBatches(
        files,
        job.settings,
        async (batch) => {
          const results: ItemResult[] = [];
          for (const blob of batch) {
            const name = files.length === 1 && blob === input.path ? path.posix.basename(blob) : blob.slice(prefix.length);
            results.push(scoreFile(name, await blobs.read(input.container, blob)));
          }
          if (fileMs > 0) await this.sleep(job, fileMs * batch.length);
          return results;
        },
        () => job.cancelRequested || job.injectedFailure !== undefined || this.stopped,
        (progress) => {
          job.progress = progress;
        },
      );
      job.progress = {
        miniBatchesTotal: outcome.miniBatchesTotal,
        miniBatchesDone: outcome.miniBatchesDone,
        retries: outcome.retries,
        itemsSucceeded: outcome.itemsSucceeded,
        itemsFailed: outcome.itemsFailed,
      };
      await this.checkpoint(job);
      if (outcome.thresholdExceeded) throw new JobInputError('UserError', outcome.thresholdExceeded);

      job.status = 'Finalizing';
      await this.sleep(job, clock.ms('jobFinalizeMs'));
      await this.checkpoint(job);
      const csv = job.settings.outputAction === 'AppendRow' ? predictionsCsv(outcome.results) : '';
      try {
        await blobs.create(output.container, output.path, csv, 'text/csv');
      } catch (err) {
        if (err instanceof BlobAlreadyExistsError) {
          throw new JobInputError('UserError', `The output file ${job.output.uri} already exists. Batch scoring needs a unique output location.`);
        }
        throw err;
      }
      this.finish(job, 'Completed');
    } catch (err) {
      if (err instanceof JobStopped) return;
      if (err instanceof JobInputError) {
        this.finish(job, 'Failed', { code: err.code, message: err.message });
        return;
      }
      throw err;
    }
  }

  private async listInput(job: BatchJobRecord, input: BlobLocation): Promise<string[]> {
    const { blobs } = this.deps;
    if (!(await blobs.containerExists(input.container))) {
      throw new JobInputError('UserError', `Input not reachable: ${job.input.uri} (container '${input.container}' does not exist)`);
    }
    const asFile = input.assetType ? input.assetType === 'uri_file' : job.input.jobInputType === 'uri_file';
    if (asFile) {
      if (!(await blobs.exists(input.container, input.path))) {
        throw new JobInputError('UserError', `Input file not found: ${job.input.uri}`);
      }
      return [input.path];
    }
    const files = (await blobs.list(input.container, folderPrefix(input.path))).filter((n) => !n.endsWith('/'));
    if (files.length === 0) {
      throw new JobInputError('UserError', `No input files found in ${job.input.uri}: the folder is empty or does not exist`);
    }
    return files;
  }
}
