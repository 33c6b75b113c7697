// What a user asks for when they run a batch scoring job: the shared shape behind `/batch run`, the run
// modal, the CLI and the run queue's payload. It maps onto the scoring request of the REST recipe:
// InputData {JobInputType: UriFolder|UriFile, Uri} and OutputData {JobOutputType: UriFile, Uri}, where
// "UriFile is the only supported JobOutputType" and the output Uri uses the datastore path syntax.
import { z } from 'zod';
import { DataReferenceError, formatDataReference, parseDataReference, pointsAtFile, type DataReference } from './data-reference';
import { deploymentNameSchema, endpointNameSchema } from './naming-rules';
import { runSettingsSchema } from './run-settings';

function referenceOrIssue(text: string, ctx: z.RefinementCtx): DataReference | undefined {
  try {
    return parseDataReference(text);
  } catch (error) {
    if (!(error instanceof DataReferenceError)) throw error;
    // params carry the short reason for places (modal field errors) that show the accepted forms elsewhere.
    ctx.addIssue({ code: 'custom', message: error.message, params: { dataReferenceCode: error.code, reason: error.reason } });
    return undefined;
  }
}

/**
 * Any accepted data reference, normalized to its canonical text. Normalizing is idempotent, so a payload
 * parsed by the producer parses to the same value again in the worker.
 */
export const dataReferenceUriSchema = z.string().transform((text, ctx) => {
  const ref = referenceOrIssue(text, ctx);
  return ref ? formatDataReference(ref) : z.NEVER;
});

/** An output file: the recipe only accepts a datastore path (short or long form) to a file here. */
export const outputFileUriSchema = z.string().transform((text, ctx) => {
  const ref = referenceOrIssue(text, ctx);
  if (!ref) return z.NEVER;
  if (ref.kind !== 'datastore') {
    ctx.addIssue({
      code: 'custom',
      message:
        'The output must be a file on a datastore, such as azureml://datastores/workspaceblobstore/paths/results/predictions.csv; https URLs and data assets cannot be written to.',
    });
    return z.NEVER;
  }
  if (!pointsAtFile(ref)) {
    ctx.addIssue({
      code: 'custom',
      message: 'The output must name a file (Azure ML writes one UriFile), not a folder ending in "/"; add a file name such as predictions.csv.',
    });
    return z.NEVER;
  }
  return formatDataReference(ref);
});

export const jobInputKindSchema = z.enum(['UriFolder', 'UriFile']);

export const runSpecSchema = z
  .object({
    endpointName: endpointNameSchema,
    /** Omitted: the endpoint's default deployment scores the job (no azureml-model-deployment header). */
    deploymentName: deploymentNameSchema.optional(),
    input: z.object({ kind: jobInputKindSchema, uri: dataReferenceUriSchema }),
    output: z.object({ uri: outputFileUriSchema }).optional(),
    /** Per-job overrides of the deployment's batch settings (src/domain/run-settings.ts). */
    settings: runSettingsSchema.optional(),
  })
  .superRefine((spec, ctx) => {
    // An output file URI already names the file; a second name for it is a contradiction, not a choice.
    if (spec.output && spec.settings?.outputFileName !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['settings', 'outputFileName'],
        message: 'the output file already names the file; give an output file name only when no output file is given',
      });
    }
    // A folder path with a trailing slash given as UriFile fails in the service only after provisioning.
    if (spec.input.kind !== 'UriFile') return;
    let ref: DataReference;
    try {
      ref = parseDataReference(spec.input.uri);
    } catch {
      return; // already reported by the uri field's own schema
    }
    if (ref.kind !== 'data-asset' && !pointsAtFile(ref)) {
      ctx.addIssue({
        code: 'custom',
        path: ['input', 'uri'],
        message: 'A UriFile input must name a file, not a folder ending in "/"; drop the trailing "/" or choose UriFolder.',
      });
    }
  });

export type RunSpec = z.output<typeof runSpecSchema>;
