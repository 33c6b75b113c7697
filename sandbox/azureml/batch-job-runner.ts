// Runs a batch scoring job through the JobStatus values a real one goes through
// (NotStarted → Queued → Preparing → Running → Finalizing → Completed | Failed | Canceled), doing the
// real work on Azurite: resolve the input, list its files, score them in mini-batches, write the
// predictions. Every wait is a timer on the sandbox's time scale, so thousands of jobs are cheap.
import path from 'node:path';
import { BlobAlreadyExistsError, type BlobStore } from './blob-store';
import { TERMINAL_JOB_STATUSES, type BatchJobRecord, type JobStatus } from './batch-job';
import { folderPrefix } from './data-uri';
import { predictionsCsv, scoreFile, type ItemResult } from './digit-model';
import { scoreMlflowFile } from './mlflow-model';
import type { SandboxClock } from './durations';
import { JobInputError, resolveDataLocation, type BlobLocation, type ResolverContext } from './input-resolver';
import {
  assetFilesMissing,
  initTraceback,
  missingEntryScriptTraceback,
  LOG_FILES,
  NO_NODES,
  NO_SUCCEEDED_MINI_BATCH,
  progressOverviewText,
  README_TEXT,
  runArtifactsPrefix,
  runTraceback,
  SANDBOX_NODE,
  SANDBOX_PROCESS,
  STREAM_ACCESS_AUTHENTICATION,
  USER_PROGRAM_FAILED,
} from './job-logs';
import { runMiniBatches, type MiniBatchProgress } from './mini-batch-runner';

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
  /** The workspace artifact store's container, where runs keep their logs (ExperimentRun/dcid.<run id>/). */
  artifactContainer: string;
  logger?: SandboxLogger;
}

/** Per job: the log writes in flight, chained so the last word (the result) is written last. */
interface JobLogState {
  startedAt: Date;
  chain: Promise<void>;
  /** A progress write is queued behind the one in flight: newest progress wins, the rest are skipped. */
  progressQueued: boolean;
  progress?: MiniBatchProgress;
  itemsTotal?: number;
}

class JobStopped extends Error {}

export class BatchJobRunner {
  private stopped = false;
  private readonly running = new Set<Promise<void>>();
  private readonly logs = new WeakMap<BatchJobRecord, JobLogState>();

  constructor(private readonly deps: JobRunnerDeps) {}

  start(job: BatchJobRecord): void {
    const run = this.run(job).catch(async (err: unknown) => {
      if (err instanceof JobStopped) return;
      await this.finish(job, 'Failed', { code: 'SystemError', message: err instanceof Error ? err.message : String(err) });
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
      await this.finish(job, 'Canceled');
      throw new JobStopped();
    }
  }

  private async phase(job: BatchJobRecord, status: JobStatus, waitMs: number): Promise<void> {
    await this.checkpoint(job);
    job.status = status;
    await this.sleep(job, waitMs);
    await this.checkpoint(job);
  }

  /** Queues a write of some of the job's log files (behind the ones in flight). */
  private writeLogs(job: BatchJobRecord, files: Partial<Record<keyof typeof LOG_FILES, string>>): Promise<void> {
    const state = this.logState(job);
    const prefix = runArtifactsPrefix(job.scoringRunId);
    state.chain = state.chain.then(() =>
      Promise.all(
        Object.entries(files).map(([name, text]) =>
          this.deps.blobs.put(this.deps.artifactContainer, `${prefix}${LOG_FILES[name as keyof typeof LOG_FILES]}`, text, 'text/plain'),
        ),
      ).then(
        () => undefined,
        (err: unknown) => this.deps.logger?.warn({ job: job.name, err: err instanceof Error ? err.message : String(err) }, 'could not write job logs'),
      ),
    );
    return state.chain;
  }

  private logState(job: BatchJobRecord): JobLogState {
    let state = this.logs.get(job);
    if (!state) {
      state = { startedAt: new Date(), chain: Promise.resolve(), progressQueued: false };
      this.logs.set(job, state);
    }
    return state;
  }

  /** job_progress_overview.txt follows the mini-batches; a burst of updates costs at most two writes. */
  private noteProgress(job: BatchJobRecord, progress: MiniBatchProgress): void {
    const state = this.logState(job);
    state.progress = progress;
    if (state.progressQueued) return;
    state.progressQueued = true;
    void this.writeLogsLazily(job, state);
  }

  private writeLogsLazily(job: BatchJobRecord, state: JobLogState): Promise<void> {
    state.chain = state.chain.then(() => {
      state.progressQueued = false;
      const text = progressOverviewText({ startedAt: state.startedAt, now: new Date(), progress: state.progress, itemsTotal: state.itemsTotal });
      return this.deps.blobs
        .put(this.deps.artifactContainer, `${runArtifactsPrefix(job.scoringRunId)}${LOG_FILES.progressOverview}`, text, 'text/plain')
        .catch(() => undefined);
    });
    return state.chain;
  }

  /** The job's result goes into its logs before its status says it ended, so a reader never finds them stale. */
  private async finish(job: BatchJobRecord, status: 'Completed' | 'Failed' | 'Canceled', error?: { code: string; message: string }): Promise<void> {
    if (TERMINAL_JOB_STATUSES.has(job.status)) return;
    const state = this.logState(job);
    await this.writeLogs(job, {
      progressOverview: progressOverviewText({
        startedAt: state.startedAt,
        now: new Date(),
        progress: state.progress ?? job.progress,
        itemsTotal: state.itemsTotal,
        result: { status, ...(error ? { error: error.message } : {}) },
      }),
      ...(error ? { jobError: `${error.message}\n` } : {}),
    });
    if (TERMINAL_JOB_STATUSES.has(job.status)) return;
    job.status = status;
    job.endTime = new Date().toISOString();
    if (error) job.error = error;
    this.deps.logger?.info({ job: job.name, status, error: error?.message }, 'batch job finished');
  }

  private async run(job: BatchJobRecord): Promise<void> {
    const { clock, blobs } = this.deps;
    try {
      this.logState(job);
      await this.phase(job, 'NotStarted', clock.ms('jobQueueMs'));
      await this.phase(job, 'Queued', clock.ms('jobPrepareMs'));
      // A cluster that cannot give a node leaves the job queued, then failed, before anything runs.
      if (job.failureScenario === 'no-nodes') throw new JobInputError('UserError', NO_NODES);
      job.status = 'Preparing';
      job.startTime = new Date().toISOString();
      await this.writeLogs(job, { readme: README_TEXT, masterRole: `${new Date().toISOString()}|INFO|Start scheduling.\n` });
      const input = resolveDataLocation(this.deps.resolver, job.input.uri);
      // The compute mounts the input with its own identity; one without read access fails here.
      if (job.failureScenario === 'input-auth') throw new JobInputError('UserError', STREAM_ACCESS_AUTHENTICATION);
      // It downloads the deployment's code and mounts its model: files gone since the deployment was made fail here.
      const codeFolder = await this.requireAssetFiles(job, 'code');
      await this.requireAssetFiles(job, 'model');
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
      // The step's processes import the entry script by module name: a code folder without it fails at once.
      const code = job.assets?.code;
      if (code && codeFolder && !(await blobs.exists(codeFolder.container, `${folderPrefix(codeFolder.path)}${code.scoringScript.replace(/^\.?\/+/, '')}`))) {
        await this.writeUserErrors(job, missingEntryScriptTraceback(code.scoringScript));
        throw new JobInputError('UserError', USER_PROGRAM_FAILED);
      }
      const files = await this.listInput(job, input);
      this.logState(job).itemsTotal = files.length;
      if (job.failureScenario === 'init-error') {
        await this.writeUserErrors(job, initTraceback());
        throw new JobInputError('UserError', USER_PROGRAM_FAILED);
      }
      const prefix = input.path === '' ? '' : folderPrefix(input.path);
      const fileMs = clock.ms('perFileMs');
      const scenario = job.failureScenario;
      let firstRunError: string | undefined;
      const outcome = await runMiniBatches(
        files,
        job.settings,
        async (batch) => {
          if (scenario === 'run-error') {
            firstRunError ??= runTraceback(batch[0] ?? '');
            throw new Error(firstRunError.split('\n').at(-1));
          }
          if (scenario === 'no-succeeded-mini-batch') {
            // run() returned nothing for these files: every item counts as failed.
            return batch.map((file) => ({ file, ok: false as const, error: 'run() returned no result for this item' }));
          }
          const results: ItemResult[] = [];
          for (const blob of batch) {
            const name = files.length === 1 && blob === input.path ? path.posix.basename(blob) : blob.slice(prefix.length);
            const content = await blobs.read(input.container, blob);
            results.push(job.assets?.mlflowWithoutScript ? scoreMlflowFile(name, content) : scoreFile(name, content));
          }
          if (fileMs > 0) await this.sleep(job, fileMs * batch.length);
          return results;
        },
        () => job.cancelRequested || job.injectedFailure !== undefined || this.stopped,
        (progress) => {
          job.progress = progress;
          this.noteProgress(job, progress);
        },
      );
      job.progress = {
        miniBatchesTotal: outcome.miniBatchesTotal,
        miniBatchesDone: outcome.miniBatchesDone,
        retries: outcome.retries,
        itemsSucceeded: outcome.itemsSucceeded,
        itemsFailed: outcome.itemsFailed,
      };
      this.logState(job).progress = job.progress;
      const failedItems = outcome.results.filter((r): r is Extract<ItemResult, { ok: false }> => !r.ok);
      if (failedItems.length > 0) await this.writeUserErrors(job, firstRunError, failedItems);
      await this.checkpoint(job);
      if (outcome.thresholdExceeded) {
        throw new JobInputError('UserError', scenario === 'run-error' ? USER_PROGRAM_FAILED : outcome.thresholdExceeded);
      }
      if (outcome.itemsSucceeded === 0 && outcome.miniBatchesTotal > 0) throw new JobInputError('UserError', NO_SUCCEEDED_MINI_BATCH);

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
      await this.finish(job, 'Completed');
    } catch (err) {
      if (err instanceof JobStopped) return;
      if (err instanceof JobInputError) {
        await this.finish(job, 'Failed', { code: err.code, message: err.message });
        return;
      }
      throw err;
    }
  }

  /**
   * The location of the deployment's code or model when files are there (a folder with blobs, or the file
   * itself); throws the job's failure when none are (deleted, moved, or never reachable from the compute).
   */
  private async requireAssetFiles(job: BatchJobRecord, kind: 'code' | 'model'): Promise<BlobLocation | undefined> {
    const asset = job.assets?.[kind];
    if (!asset) return undefined;
    const missing = new JobInputError('UserError', assetFilesMissing(kind, asset.asset, asset.uri));
    let location: BlobLocation;
    try {
      location = resolveDataLocation(this.deps.resolver, asset.uri);
    } catch {
      throw missing;
    }
    const { blobs } = this.deps;
    if (!(await blobs.containerExists(location.container))) throw missing;
    // A single file (a one-file model, or code that is just the script): its folder is what the step sees.
    if (location.path !== '' && (await blobs.exists(location.container, location.path))) {
      const parent = path.posix.dirname(location.path);
      return { ...location, path: parent === '.' ? '' : parent };
    }
    const inFolder = await blobs.list(location.container, location.path === '' ? '' : folderPrefix(location.path));
    if (!inFolder.some((n) => !n.endsWith('/'))) throw missing;
    return location;
  }

  /** logs/user/: the summary, the traceback, and the entry script's stdout naming each failed file. */
  private writeUserErrors(job: BatchJobRecord, traceback: string | undefined, failed: ReadonlyArray<{ file: string; error: string }> = []): Promise<void> {
    const at = new Date().toISOString();
    const summary = traceback
      ? `${at} ${SANDBOX_NODE} ${SANDBOX_PROCESS}: ${traceback.split('\n').at(-1)}\n`
      : failed.slice(0, 20).map((f) => `${at} ${SANDBOX_NODE} ${SANDBOX_PROCESS}: Error processing input file ${f.file}: ${f.error}\n`).join('');
    const stdout = failed.map((f) => `${at} ERROR:azureml:Error processing input file: '${f.file}': ${f.error}\n`).join('');
    return this.writeLogs(job, {
      userErrorSummary: summary,
      ...(traceback ? { userErrorDetail: `${traceback}\n` } : {}),
      ...(stdout ? { userStdout: stdout } : {}),
    });
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
