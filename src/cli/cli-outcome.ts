// The result of one CLI command, and how it is printed: with --json, one JSON document on stdout
// ({ok, command, workspace?, result?, error?}, errors included, so a script always has something to parse); without,
// the human text on stdout and the error on stderr.
import { errorText, type ErrorReport } from './error-report';
import type { ExitCode } from './exit-codes';

export interface CliOutcome {
  /** The verb, as the grammar names it ('data-register'), or 'batch-score' before one is known. */
  command: string;
  exitCode: ExitCode;
  /** The machine-readable result (summaries, not raw ARM resources). */
  result?: Record<string, unknown>;
  error?: ErrorReport;
  /** Human text for stdout. */
  text?: string;
  /** The workspace profile acted on, when several are configured (src/cli/cli-workspace.ts). */
  workspace?: string;
}

export interface RenderedOutcome {
  stdout: string;
  stderr: string;
}

const line = (s: string | undefined): string => (s ? (s.endsWith('\n') ? s : `${s}\n`) : '');

export function renderOutcome(outcome: CliOutcome, json: boolean): RenderedOutcome {
  const stderr = outcome.error ? line(errorText(outcome.error)) : '';
  if (json) {
    const doc = {
      ok: outcome.exitCode === 0,
      command: outcome.command,
      ...(outcome.workspace ? { workspace: outcome.workspace } : {}),
      ...(outcome.result ? { result: outcome.result } : {}),
      ...(outcome.error ? { error: outcome.error } : {}),
    };
    return { stdout: `${JSON.stringify(doc, null, 2)}\n`, stderr };
  }
  return { stdout: line(outcome.text), stderr };
}
