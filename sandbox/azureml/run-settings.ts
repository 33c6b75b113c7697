// Per-job settings in the invoke body: the data-plane BatchJob's compute.instanceCount, miniBatchSize,
// errorThreshold, outputFileName and retrySettings {maxRetries, timeout}, beside InputData/OutputData.
// azure-ai-ml's invoke sends exactly these (BatchJobSchema → BatchJob model), and the service echoes them
// in the job it answers (recording test_batch_invoke: compute.instanceCount, retrySettings, and
// "azureml.parameters" with mini_batch_size, error_threshold, append_row_file_name). A given field
// replaces the deployment's value for this job only. Property names are case-insensitive, like the rest
// of the data plane's body.
import { z } from 'zod';
import { parseBody } from './request-schemas';
import type { BatchJobSettings } from './batch-job';

const integer = (min: number) =>
  z.preprocess((v) => (typeof v === 'string' && v.trim() !== '' && !Number.isNaN(Number(v)) ? Number(v) : v), z.number().int().min(min));

const overridesSchema = z.object({
  compute: z.object({ instanceCount: integer(1).nullish() }).nullish(),
  miniBatchSize: integer(1).nullish(),
  errorThreshold: integer(-1).nullish(),
  outputFileName: z.string().min(1).regex(/^[^\\/]+$/, 'must be a file name, not a path').nullish(),
  retrySettings: z.object({ maxRetries: integer(0).nullish(), timeout: z.string().nullish() }).nullish(),
});
export type RunSettingsOverrides = z.infer<typeof overridesSchema>;

const CANONICAL: Readonly<Record<string, string>> = {
  compute: 'compute',
  instancecount: 'instanceCount',
  minibatchsize: 'miniBatchSize',
  errorthreshold: 'errorThreshold',
  outputfilename: 'outputFileName',
  retrysettings: 'retrySettings',
  maxretries: 'maxRetries',
  timeout: 'timeout',
};

function canonicalKeys(value: unknown, depth: number): unknown {
  if (depth > 1 || value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    const name = CANONICAL[k.toLowerCase()];
    if (name) out[name] = canonicalKeys(v, depth + 1);
  }
  return out;
}

/** The overrides in an invoke body (a 400 naming the field when one is malformed). */
export function readRunSettings(body: unknown): RunSettingsOverrides {
  const properties = Object.entries((body ?? {}) as Record<string, unknown>).find(([k]) => k.toLowerCase() === 'properties')?.[1];
  return parseBody(overridesSchema, canonicalKeys(properties ?? {}, 0));
}

/** The job's settings: the deployment's, with the request's overrides. */
export function applyRunSettings(
  base: BatchJobSettings,
  overrides: RunSettingsOverrides,
  deployment: { instanceCount: number; maxConcurrencyPerInstance: number },
): BatchJobSettings {
  const instanceCount = overrides.compute?.instanceCount ?? deployment.instanceCount;
  return {
    ...base,
    parallelism: instanceCount * deployment.maxConcurrencyPerInstance,
    miniBatchSize: overrides.miniBatchSize ?? base.miniBatchSize,
    errorThreshold: overrides.errorThreshold ?? base.errorThreshold,
    maxRetries: overrides.retrySettings?.maxRetries ?? base.maxRetries,
    outputFileName: overrides.outputFileName ?? base.outputFileName,
  };
}
