// ParallelRunStep's scheduling, as batch deployments describe it (mfe.json BatchDeployment):
// inputs are cut into mini-batches of `miniBatchSize` files, run with `instanceCount ×
// maxConcurrencyPerInstance` in parallel; a mini-batch with a failed item is retried up to
// `retrySettings.maxRetries` times; the job fails when failed items exceed `errorThreshold`
// (-1 ignores every failure). Pure scheduling: reading and scoring are injected.
import type { ItemResult } from './digit-model';

export interface MiniBatchSettings {
  miniBatchSize: number;
  parallelism: number;
  maxRetries: number;
  errorThreshold: number;
}

export interface MiniBatchProgress {
  miniBatchesTotal: number;
  miniBatchesDone: number;
  retries: number;
  itemsSucceeded: number;
  itemsFailed: number;
}

export interface MiniBatchOutcome extends MiniBatchProgress {
  results: ItemResult[];
  /** Set when failed items exceed the threshold: the job fails with this message. */
  thresholdExceeded?: string;
  canceled: boolean;
}

export function splitIntoMiniBatches<T>(items: readonly T[], size: number): T[][] {
  const step = Math.max(1, Math.floor(size));
  const batches: T[][] = [];
  for (let i = 0; i < items.length; i += step) batches.push(items.slice(i, i + step));
  return batches;
}

export function exceedsErrorThreshold(itemsFailed: number, errorThreshold: number): boolean {
  return errorThreshold >= 0 && itemsFailed > errorThreshold;
}

export async function runMiniBatches(
  files: readonly string[],
  settings: MiniBatchSettings,
  processMiniBatch: (files: string[], attempt: number) => Promise<ItemResult[]>,
  isCanceled: () => boolean = () => false,
  onProgress?: (p: MiniBatchProgress) => void,
): Promise<MiniBatchOutcome> {
  const batches = splitIntoMiniBatches(files, settings.miniBatchSize);
  const progress: MiniBatchProgress = {
    miniBatchesTotal: batches.length,
    miniBatchesDone: 0,
    retries: 0,
    itemsSucceeded: 0,
    itemsFailed: 0,
  };
  const results: ItemResult[] = [];
  let next = 0;
  let stop = false;
  let thresholdExceeded: string | undefined;

  const runOne = async (batch: string[]): Promise<void> => {
    let attempt = 0;
    for (;;) {
      let batchResults: ItemResult[];
      try {
        batchResults = await processMiniBatch(batch, attempt);
      } catch (err) {
        // A mini-batch that throws fails every item in it (the scoring script's run() raised).
        const message = err instanceof Error ? err.message : String(err);
        batchResults = batch.map((file) => ({ file, ok: false as const, error: message }));
      }
      const failed = batchResults.filter((r) => !r.ok).length;
      if (failed === 0 || attempt >= settings.maxRetries || isCanceled() || stop) {
        results.push(...batchResults);
        progress.itemsFailed += failed;
        progress.itemsSucceeded += batchResults.length - failed;
        progress.miniBatchesDone += 1;
        onProgress?.({ ...progress });
        return;
      }
      attempt += 1;
      progress.retries += 1;
    }
  };

  const worker = async (): Promise<void> => {
    while (!stop && !isCanceled()) {
      const index = next++;
      const batch = batches[index];
      if (!batch) return;
      await runOne(batch);
      if (exceedsErrorThreshold(progress.itemsFailed, settings.errorThreshold)) {
        stop = true;
        thresholdExceeded =
          `${progress.itemsFailed} mini-batch item(s) failed, more than the deployment's errorThreshold ` +
          `(${settings.errorThreshold}). First failure: ${results.find((r) => !r.ok && 'error' in r)?.error ?? 'unknown'}`;
      }
    }
  };

  const workers = Array.from({ length: Math.max(1, Math.min(settings.parallelism, batches.length)) }, worker);
  await Promise.all(workers);
  return { ...progress, results, thresholdExceeded, canceled: isCanceled() };
}
