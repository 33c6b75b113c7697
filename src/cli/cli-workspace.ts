// Which of the configured workspaces (BATCH_SCORE_WORKSPACES) a CLI command acts on: the one --workspace
// names, else the first, as a Slack request with no binding to go by would get. The CLI has no channel,
// so the channel binding (src/domain/workspace-binding.ts) does not apply: whoever holds the profile's
// credentials may use it. With several profiles the CLI says which one it acted on, on stderr and in the
// JSON document, so a script's log never leaves a dev/prod mix-up to guesswork.
import type { WorkspaceProfileConfig } from '../config';
import { cloudDisplayName } from '../domain/cloud-names';
import { WORKSPACE_OPTION } from '../domain/command-grammar';
import { workspaceByName } from '../domain/workspace-binding';
import { CLI_NAME, CliUsageError } from './cli-usage';

/** The profile the command acts on; an unknown name is a usage error that lists the configured ones. */
export function chooseCliWorkspace(profiles: readonly WorkspaceProfileConfig[], asked: string | undefined): WorkspaceProfileConfig {
  if (profiles.length === 0) throw new Error('the configuration has no workspace profile');
  const profile = workspaceByName(profiles, asked);
  if (profile) return profile;
  const names = profiles.map((p) => p.name).join(', ');
  throw new CliUsageError(
    `there is no workspace '${asked}'; the configured workspaces are: ${names}.`,
    `${CLI_NAME} ${WORKSPACE_OPTION} <command>`,
    profiles.length === 1 ? 'Set BATCH_SCORE_WORKSPACES (and the WORKSPACE_<NAME>_* variables) to configure several.' : `Use one of: ${names}.`,
  );
}

/**
 * The CLI takes --workspace out before the grammar sees the words; only after `--` (or spelled as Slack's
 * em-dash) does the grammar read it. Once in all, as the grammar itself requires.
 */
export function askedWorkspace(fromFlag: string | undefined, fromGrammar: string | undefined): string | undefined {
  if (fromFlag !== undefined && fromGrammar !== undefined) {
    throw new CliUsageError('--workspace is given more than once.', `${CLI_NAME} ${WORKSPACE_OPTION} <command>`);
  }
  return fromFlag ?? fromGrammar;
}

/** The line on stderr before the command runs: `workspace prod: ml-prod on Azure China`. */
export function workspaceNotice(profile: Pick<WorkspaceProfileConfig, 'name' | 'azure'>): string {
  return `workspace ${profile.name}: ${profile.azure.workspace} on ${cloudDisplayName(profile.azure.cloud)}`;
}
