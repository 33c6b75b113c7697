// The batch settings a deployment fixes and a single job may override, validated once for every surface:
// the deploy form and spec (src/domain/deploy-spec.ts) and the run settings (src/domain/run-settings.ts)
// take their fields from here, so "instance count 0" is refused with the same words everywhere.
// Ranges follow mfe.json's BatchDeployment (errorThreshold -1 = ignore all failures) and the recipe's
// defaults; the upper bounds are ours, to catch typos before Azure does.
import { z } from 'zod';

/** ISO 8601 duration as BatchRetrySettings.timeout expects it (PT30S, PT1M30S, P1DT2H). */
export const isoDurationSchema = z
  .string()
  .regex(/^P(?!$)(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?$/, 'must be an ISO 8601 duration such as PT30S or PT2M');

/** Whole numbers, also when they arrive as text (a form field, a command-line flag). */
function wholeNumber(label: string, min: number, max?: number) {
  const base = z.coerce
    .number({ error: `${label} must be a whole number` })
    .int(`${label} must be a whole number`)
    .min(min, `${label} must be at least ${min}`);
  return max === undefined ? base : base.max(max, `${label} must be at most ${max}`);
}

export const instanceCountSchema = wholeNumber('instance count', 1, 1000);
export const maxConcurrencyPerInstanceSchema = wholeNumber('max concurrency per instance', 1, 1000);
export const miniBatchSizeSchema = wholeNumber('mini-batch size', 1, 1_000_000);
export const maxRetriesSchema = wholeNumber('max retries', 0, 100);
/** -1 ignores every item failure (mfe.json BatchDeployment.errorThreshold). */
export const errorThresholdSchema = wholeNumber('error threshold', -1);

/** A file name, not a path: the service writes it in the job's output folder (BatchJob.outputFileName). */
export const outputFileNameSchema = z
  .string()
  .trim()
  .min(1, 'give a file name such as predictions.csv')
  .max(255, 'the output file name is longer than 255 characters')
  .regex(/^[^\\/\u0000-\u001f\u007f]+$/, 'the output file name must be a name such as predictions.csv, without "/" or "\\"')
  .refine((name) => name !== '.' && name !== '..', 'the output file name must be a name such as predictions.csv');
