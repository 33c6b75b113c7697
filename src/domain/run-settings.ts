// Settings one batch scoring job may override at invoke time, without touching the deployment. The set is
// what the data-plane invoke accepts: azure-ai-ml's invoke builds its body from BatchJobSchema (compute,
// error_threshold, mini_batch_size, output_file_name, retry_settings), serialised by the data-plane
// BatchJob model as compute.instanceCount, errorThreshold, miniBatchSize, outputFileName and
// retrySettings {maxRetries, timeout}. The real job echoes them (recordings: test_batch_invoke's answer
// carries compute.instanceCount, retrySettings and "azureml.parameters" with mini_batch_size,
// error_threshold and append_row_file_name). Absent fields keep the deployment's values.
import { z } from 'zod';
import {
  errorThresholdSchema,
  instanceCountSchema,
  isoDurationSchema,
  maxRetriesSchema,
  miniBatchSizeSchema,
  outputFileNameSchema,
} from './batch-settings';

export const runSettingsSchema = z.object({
  instanceCount: instanceCountSchema.optional(),
  miniBatchSize: miniBatchSizeSchema.optional(),
  errorThreshold: errorThresholdSchema.optional(),
  outputFileName: outputFileNameSchema.optional(),
  retrySettings: z.object({ maxRetries: maxRetriesSchema.optional(), timeout: isoDurationSchema.optional() }).optional(),
});
export type RunSettings = z.output<typeof runSettingsSchema>;

/** The overrides as "label value" pairs, in a fixed order, for messages and the CLI. */
export function describeRunSettings(settings: RunSettings | undefined): { label: string; value: string }[] {
  if (!settings) return [];
  const out: { label: string; value: string }[] = [];
  if (settings.instanceCount !== undefined) out.push({ label: 'instance count', value: String(settings.instanceCount) });
  if (settings.miniBatchSize !== undefined) out.push({ label: 'mini-batch size', value: String(settings.miniBatchSize) });
  if (settings.errorThreshold !== undefined) out.push({ label: 'error threshold', value: String(settings.errorThreshold) });
  if (settings.retrySettings?.maxRetries !== undefined) out.push({ label: 'max retries', value: String(settings.retrySettings.maxRetries) });
  if (settings.retrySettings?.timeout !== undefined) out.push({ label: 'retry timeout', value: settings.retrySettings.timeout });
  if (settings.outputFileName !== undefined) out.push({ label: 'output file name', value: settings.outputFileName });
  return out;
}
