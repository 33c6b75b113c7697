// Run history's answers about a batch job's runs, read tolerantly. No recording shows run history (the
// recorders never called it), so everything past `runId` is our reading of Azure's SDKs, not Azure's word
// (docs/sandbox-fidelity.md, "run history's child runs and a run's error"):
//   - the children route answers a page `{value: [run…], continuationToken, nextLink}` (azure-ai-ml
//     `get_run_children`, run history's `runs_get_child`);
//   - a run may carry `error`, an ErrorResponse `{error: {code, message, details, innerError…}}`: azure-ai-ml
//     `_job_ops_helper.stream_logs_until_completion` prints `run_details.error.as_dict()` for a failed run,
//     or "Detailed error not set on the Run. Please check the logs for details." when it has none; the
//     azureml R SDK's run widget shows `details$error$error$message`.
// So one odd child (no runId, a status or error of another shape) is skipped, never fatal to the list,
// and every field beyond runId is optional; unknown fields and newer values pass through as they are.
import { z } from 'zod';

/** Keeps a value only when it has the expected shape; anything else reads as absent. */
const optional = <T extends z.ZodType>(schema: T) => schema.nullish().catch(undefined);

/** ErrorResponse → RootError, as far as we read it: a code, a message, and the innermost message when nested. */
const rootErrorSchema = z.looseObject({
  code: optional(z.string()),
  message: optional(z.string()),
});
const errorResponseSchema = z.looseObject({ error: optional(rootErrorSchema) });

export const childRunSchema = z.looseObject({
  runId: z.string().min(1),
  name: optional(z.string()),
  displayName: optional(z.string()),
  /** Run status text; newer services may add values, so any text is kept. */
  status: optional(z.string()),
  properties: optional(z.record(z.string(), z.unknown())),
  error: optional(errorResponseSchema),
});
export type ChildRun = z.infer<typeof childRunSchema>;

const childRunsPageSchema = z.looseObject({ value: optional(z.array(z.unknown())) });

/** The children a page lists: the ones with a run id, in order; anything else in `value` is skipped. */
export function parseChildRuns(body: unknown): ChildRun[] {
  const page = childRunsPageSchema.safeParse(body);
  if (!page.success) return [];
  const runs: ChildRun[] = [];
  for (const item of page.data.value ?? []) {
    const run = childRunSchema.safeParse(item);
    if (run.success) runs.push(run.data);
  }
  return runs;
}

/** The batch job's `batchscoring` step among its children (the only child Azure's batch jobs have). */
export function scoringStepOf(children: readonly ChildRun[]): ChildRun | undefined {
  const isStep = (c: ChildRun): boolean => c.name === 'batchscoring' || c.displayName === 'batchscoring' || c.properties?.['azureml.nodeid'] === 'batchscoring';
  return children.find(isStep) ?? children[0];
}

/** A run's own error, when run history gives one: `code: message`, or the message alone. */
export function runErrorText(run: ChildRun | undefined): { code?: string; message: string } | undefined {
  const root = run?.error?.error;
  if (!root?.message) return undefined;
  return { ...(root.code ? { code: root.code } : {}), message: root.message };
}
