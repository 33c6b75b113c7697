import { predictionsCsv, scoreFile } from '../../sandbox/azureml/digit-model';
import { exceedsErrorThreshold, runMiniBatches, splitIntoMiniBatches } from '../../sandbox/azureml/mini-batch-runner';

const settings = { miniBatchSize: 2, parallelism: 3, maxRetries: 2, errorThreshold: -1 };

describe('sandbox digit model', () => {
  it('predicts the byte sum mod 10 and fails CORRUPT files', () => {
    expect(scoreFile('a.png', Buffer.from([9, 8]))).toEqual({ file: 'a.png', ok: true, digit: 7 });
    expect(scoreFile('b.png', Buffer.from('CORRUPT...'))).toMatchObject({ file: 'b.png', ok: false });
  });

  it('writes one sorted file,digit row per scored file, quoting odd names', () => {
    expect(
      predictionsCsv([
        { file: 'b.png', ok: true, digit: 2 },
        { file: 'x', ok: false, error: 'bad' },
        { file: 'a,1.png', ok: true, digit: 1 },
      ]),
    ).toBe('"a,1.png",1\nb.png,2\n');
  });
});

describe('sandbox mini-batch scheduling', () => {
  it('splits inputs into mini-batches of miniBatchSize', () => {
    expect(splitIntoMiniBatches([1, 2, 3, 4, 5], 2)).toEqual([[1, 2], [3, 4], [5]]);
    expect(splitIntoMiniBatches([], 5)).toEqual([]);
  });

  it('treats errorThreshold -1 as ignore-all', () => {
    expect(exceedsErrorThreshold(1000, -1)).toBe(false);
    expect(exceedsErrorThreshold(1, 0)).toBe(true);
    expect(exceedsErrorThreshold(1, 1)).toBe(false);
  });

  it('runs at most `parallelism` mini-batches at once', async () => {
    let running = 0;
    let peak = 0;
    const files = Array.from({ length: 20 }, (_, i) => `f${i}`);
    const outcome = await runMiniBatches(files, settings, async (batch) => {
      running += 1;
      peak = Math.max(peak, running);
      await Promise.resolve();
      running -= 1;
      return batch.map((file) => ({ file, ok: true as const, digit: 0 }));
    });
    expect(peak).toBe(3);
    expect(outcome).toMatchObject({ miniBatchesTotal: 10, miniBatchesDone: 10, itemsSucceeded: 20, itemsFailed: 0, retries: 0 });
  });

  it('retries a failing mini-batch up to maxRetries, then counts its failed items', async () => {
    const attempts: number[] = [];
    const outcome = await runMiniBatches(['a', 'b'], { ...settings, miniBatchSize: 2 }, async (batch, attempt) => {
      attempts.push(attempt);
      return batch.map((file) => (file === 'b' ? { file, ok: false as const, error: 'corrupt' } : { file, ok: true as const, digit: 1 }));
    });
    expect(attempts).toEqual([0, 1, 2]);
    expect(outcome).toMatchObject({ retries: 2, itemsSucceeded: 1, itemsFailed: 1 });
    expect(outcome.thresholdExceeded).toBeUndefined();
  });

  it('stops and explains when failed items exceed errorThreshold', async () => {
    const outcome = await runMiniBatches(['a', 'b', 'c', 'd'], { ...settings, maxRetries: 0, errorThreshold: 0, parallelism: 1 }, async () => {
      throw new Error('disk on fire');
    });
    expect(outcome.thresholdExceeded).toContain('errorThreshold (0)');
    expect(outcome.thresholdExceeded).toContain('disk on fire');
    expect(outcome.miniBatchesDone).toBe(1);
  });
});
