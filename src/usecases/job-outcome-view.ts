// What is said about an ended job beyond its status, everywhere: for a failure, the first meaningful log
// lines and the fix; for a completion, the counts, the first rows of the predictions and where to get
// them; the studio page of the scoring step for the logs. Slack's final reply and `status` answer show it
// as sections (src/slack/blocks/job-outcome-sections.ts), the CLI as text (src/cli/job-outcome-text.ts).
// Pure: built from what src/azureml/job-outcome.ts read.
import type { JobOutcomeDetails } from '../azureml/job-outcome';
import { studioJobLink, type WorkspaceLinks } from './studio-links';

export interface JobOutcomeView {
  /** Completed (results) or not (triage). */
  status: string;
  progress?: { miniBatchesDone: number; miniBatchesTotal: number; itemsSucceeded?: number; itemsFailed?: number; itemsTotal?: number };
  triage?: { fix?: string; errorLines: string[] };
  preview?: { rows: string[][]; more: boolean };
  /** Where the predictions are (datastore URI or blob name), shown as code. */
  outputFile?: string;
  link?: { url: string; expiresOn: number };
  /** Studio page of the scoring step (its Outputs + logs tab). */
  logsUrl?: string;
}

/** An ended job whose logs and outputs were not (or could not be) read: its status and studio page. */
export function bareJobOutcomeView(status: string, jobName: string, links: WorkspaceLinks): JobOutcomeView {
  return { status, logsUrl: studioJobLink(links, jobName) };
}

export function jobOutcomeView(status: string, jobName: string, details: JobOutcomeDetails, links: WorkspaceLinks): JobOutcomeView {
  return {
    status,
    ...(details.progress ? { progress: details.progress } : {}),
    ...(details.triage ? { triage: { errorLines: details.triage.errorLines, ...(details.triage.recognised ? { fix: details.triage.recognised.fix } : {}) } } : {}),
    ...(details.preview ? { preview: details.preview } : {}),
    ...(details.output ? { outputFile: details.output.blobName } : {}),
    ...(details.link ? { link: { url: details.link.url, expiresOn: details.link.expiresOn.getTime() } } : {}),
    logsUrl: studioJobLink(links, details.scoringRunId ?? jobName),
  };
}
