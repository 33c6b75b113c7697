// Carries out one parsed Command against Azure ML, directly (no queue, no Slack): the CLI's half of what
// the ops, run, deploy and watch workers do for the slash command. Everything it touches is injected, so
// it is tested with fakes; src/cli.ts builds the real client.
import type { AzureMlClient } from '../azureml';
import type { DeployStepEvent } from '../azureml/deploy-plan';
import { jobStatusOf } from '../azureml/scoring';
import { AzureMlError } from '../azureml/errors';
import type { Command } from '../domain/command-grammar';
import type { WatchPacingPolicy } from '../domain/watch-pacing';
import { cancelJob } from '../usecases/cancel-job';
import { deleteEndpoint } from '../usecases/delete-endpoint';
import { planChange, type ChangeFactsDeps } from '../usecases/change-facts';
import { planLines } from '../usecases/change-plan';
import type { RequestSubject } from '../domain/request-subject';
import { deploy } from '../usecases/deploy';
import { listEndpoints, showEndpoint } from '../usecases/endpoint-lookup';
import { invokeJob, summarizeInvokedJob } from '../usecases/invoke-job';
import { describeJob, findBatchJob, listJobs, type JobLookupDeps } from '../usecases/job-lookup';
import { summarizeJob, type JobSummary } from '../usecases/job-summary';
import { registerData } from '../usecases/register-data';
import { setDefaultDeployment } from '../usecases/set-default-deployment';
import type { WorkspaceLinks } from '../usecases/studio-links';
import { isTargetNotFound, lookupInstead, type MissingTarget } from '../usecases/target-not-found';
import { CLI_NAME, cliHelpText, cliUsage, CliUsageError } from './cli-usage';
import type { CliOutcome } from './cli-outcome';
import { deployStepLine, deploySummary } from './deploy-output';
import { parseDeploySpecFile } from './deploy-spec-file';
import { endpointDetails, endpointsTable } from './endpoint-output';
import { EXIT_CODES, exitCodeForJobStatus } from './exit-codes';
import { followJob } from './job-follow';
import { jobOutcomeText } from './job-outcome-text';
import { createProgressLines, type ProgressArtifacts } from './job-progress-lines';
import { jobDetails, jobsTable, jobStatusLine } from './job-output';

/** The parts of the Azure ML client the CLI uses (a fake in tests). */
export interface CliAzureMl {
  endpoints: Pick<AzureMlClient['endpoints'], 'list' | 'get' | 'setDefaultDeploymentAndWait'>;
  deployments: Pick<AzureMlClient['deployments'], 'list' | 'get'>;
  jobs: Pick<AzureMlClient['jobs'], 'get' | 'list' | 'listForEndpoint' | 'cancelAndWait' | 'assertBatchScoring' | 'isBatchScoringShape'>;
  scoring: Pick<AzureMlClient['scoring'], 'invoke' | 'getJob'>;
  /** Logs and outputs of finished jobs (status shows triage or results); absent, status shows the job only. */
  artifacts?: Pick<AzureMlClient['artifacts'], 'readOutcome' | 'findOutputUri'> & Partial<ProgressArtifacts>;
  assets: Pick<AzureMlClient['assets'], 'createDataVersion'>;
  runDeployPlan: AzureMlClient['runDeployPlan'];
  deleteEndpoint: AzureMlClient['deleteEndpoint'];
}

export interface CommandRunnerDeps {
  azureml: CliAzureMl;
  /** Workspace name, for messages. */
  workspace: string;
  /** --wait: follow jobs to their end. */
  wait: boolean;
  /** A progress line for stderr (a no-op with --quiet). */
  progress: (line: string) => void;
  /** Reads the deploy spec file (relative paths from the current directory). */
  readSpecFile: (path: string) => Promise<string>;
  /** The cloud's studio and the workspace, for studio links. */
  links: WorkspaceLinks;
  /** Pacing of status checks while following a job. */
  pacing: WatchPacingPolicy;
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  now: () => number;
  signal?: AbortSignal;
  /** --plan: the reads a plan needs; deploy, set-default and delete then only show their plan. */
  planOnly?: ChangeFactsDeps['azureml'];
}

/** What a change would do against what exists now, changing nothing (the plan an approver sees in Slack). */
async function planOutcome(deps: CommandRunnerDeps, verb: string, subject: RequestSubject): Promise<CliOutcome> {
  const plan = await inOurWords(planChange({ azureml: deps.planOnly! }, subject), deps.workspace);
  const text = plan ? ['Plan (against what exists now; nothing was changed):', ...planLines(plan).map((l) => `  ${l}`)].join('\n') : 'Nothing to plan.';
  return { command: verb, exitCode: EXIT_CODES.ok, result: { plan: plan ?? null }, text };
}

/** The outcome of a job that may have ended badly: exit 1 and the service's reason when it did. */
function jobOutcome(command: string, job: JobSummary, text: string, extra: Record<string, unknown> = {}): CliOutcome {
  const exitCode = exitCodeForJobStatus(job.status, job.itemsFailed);
  const outcome: CliOutcome = { command, exitCode, result: { ...job, ...extra }, text };
  if (exitCode === EXIT_CODES.completedWithFailedItems) {
    const total = job.itemsSucceeded === undefined ? undefined : job.itemsSucceeded + (job.itemsFailed ?? 0);
    outcome.error = {
      code: 'ItemsFailed',
      message: `job ${job.name} completed, but ${total === undefined ? job.itemsFailed : `${job.itemsFailed} of ${total}`} items failed`,
      step: `job ${job.name}`,
    };
  } else if (exitCode !== EXIT_CODES.ok) {
    outcome.error = {
      code: job.error?.code ?? (job.status === 'Canceled' ? 'JobCanceled' : 'JobFailed'),
      message: job.error?.message ?? `job ${job.name} ended ${job.status}`,
      step: `job ${job.name}`,
    };
  }
  return outcome;
}

/**
 * A missing target in our words: what is missing and the next useful command. Azure's code, status and
 * request ids are kept (the CLI prints them in the error's details), its raw message is not.
 */
async function inOurWords<T>(run: Promise<T>, workspace: string, after = ''): Promise<T> {
  try {
    return await run;
  } catch (err) {
    if (!isTargetNotFound(err)) throw err;
    throw new AzureMlError({
      code: err.code,
      ...(err.statusCode !== undefined ? { statusCode: err.statusCode } : {}),
      message: `${missingSentence(err.missing, workspace)}${after}`,
      ...(err.requestId ? { requestId: err.requestId } : {}),
      ...(err.correlationId ? { correlationId: err.correlationId } : {}),
      retriable: false,
    });
  }
}

function missingSentence(missing: MissingTarget, ws: string): string {
  const instead = lookupInstead(missing);
  const next = `\`${CLI_NAME} ${instead.command}\` ${instead.lists}.`;
  switch (missing.kind) {
    case 'endpoint':
      return `There is no batch endpoint ${missing.endpointName} in workspace ${ws}; ${next}`;
    case 'deployment':
      return `Endpoint ${missing.endpointName} has no deployment ${missing.deploymentName}; ${next}`;
    case 'job':
      return `There is no job ${missing.jobName} in workspace ${ws}; ${next}`;
  }
}

export async function runCommand(command: Command, deps: CommandRunnerDeps): Promise<CliOutcome> {
  const az = deps.azureml;
  // What every use case is given: the client and the links for studio pages.
  const uc: JobLookupDeps & { azureml: CliAzureMl } = { azureml: az, links: deps.links };
  const summarize = (job: Parameters<typeof summarizeJob>[0]): JobSummary => summarizeJob(job, deps.links);
  /** Follows a job to its end; with its endpoint known, a running job's progress is printed as it changes. */
  const follow = <J extends Parameters<typeof summarizeJob>[0]>(fetch: () => Promise<J>, jobName: string, endpointName?: string): Promise<J> => {
    const { findScoringStep, readProgress } = az.artifacts ?? {};
    const look = endpointName && findScoringStep && readProgress ? createProgressLines({ findScoringStep, readProgress }, jobName, endpointName, deps.progress) : undefined;
    return followJob({
      fetch,
      statusOf: (j) => jobStatusOf(j as Parameters<typeof jobStatusOf>[0]),
      onStatus: (status, _job, elapsedMs) => deps.progress(jobStatusLine(jobName, status, elapsedMs)),
      ...(look ? { onPoll: async (status: string) => void (status === 'Running' ? await look() : undefined) } : {}),
      pacing: deps.pacing,
      sleep: deps.sleep,
      now: deps.now,
      ...(deps.signal ? { signal: deps.signal } : {}),
    });
  };
  const ok = (result: Record<string, unknown>, text: string): CliOutcome => ({ command: command.verb, exitCode: EXIT_CODES.ok, result, text });

  if (deps.planOnly && command.verb !== 'deploy' && command.verb !== 'set-default' && command.verb !== 'delete') {
    throw new CliUsageError(`--plan shows what deploy, set-default and delete would change; \`${command.verb}\` has no plan.`, cliUsage(command.verb));
  }
  switch (command.verb) {
    case 'help': {
      const text = cliHelpText(command.topic);
      return ok({ help: text }, text);
    }
    case 'lock':
    case 'unlock':
      // Locks live with the bot (in its Redis) and are set and lifted in Slack, where the team sees them.
      throw new CliUsageError(`\`${command.verb}\` works in Slack only: locks are kept by the bot, which this command line does not reach.`, cliUsage(command.verb));
    case 'endpoints': {
      const endpoints = await listEndpoints(uc);
      return ok({ endpoints }, endpointsTable(endpoints, deps.workspace));
    }
    case 'show': {
      const { endpoint, deployments } = await inOurWords(showEndpoint(uc, command.endpointName), deps.workspace);
      return ok({ endpoint, deployments }, endpointDetails(endpoint, deployments));
    }
    case 'jobs': {
      const jobs = await inOurWords(listJobs(uc, command.endpointName), deps.workspace);
      return ok({ jobs, ...(command.endpointName ? { endpointName: command.endpointName } : {}) }, jobsTable(jobs, command.endpointName));
    }
    case 'status': {
      const found = await inOurWords(findBatchJob(uc, command.jobName), deps.workspace);
      const { job, outcome } = await describeJob(uc, deps.wait ? await follow(() => az.jobs.get(command.jobName), command.jobName, summarize(found).endpointName) : found);
      const details = outcome ? jobOutcomeText(outcome) : '';
      const text = details ? `${jobDetails(job)}\n${details}` : jobDetails(job);
      return jobOutcome(command.verb, job, text, outcome?.triage?.fix ? { triage: outcome.triage } : {});
    }
    case 'cancel': {
      const cancel = await inOurWords(cancelJob(uc, command.jobName), deps.workspace);
      if (cancel.outcome === 'already-finished') {
        // Nothing to cancel: say how it ended, and do not pretend a cancel was requested.
        const ended = { ...cancel.before, status: cancel.status };
        return {
          command: command.verb,
          exitCode: EXIT_CODES.failed,
          result: { ...ended, canceled: false },
          text: jobDetails(ended),
          error: { code: 'JobAlreadyFinished', message: `job ${cancel.jobName} had already finished (${cancel.status}); nothing was canceled`, step: `job ${cancel.jobName}` },
        };
      }
      const job = summarize(deps.wait ? await follow(() => az.jobs.get(command.jobName), command.jobName) : await az.jobs.get(command.jobName));
      // Canceled is what was asked for; a job that finished first is reported as it ended.
      const outcome = jobOutcome(command.verb, job, `Cancel requested for job ${job.name}.\n${jobDetails(job)}`);
      return job.status === 'Canceled' || job.status === 'CancelRequested' ? { ...outcome, exitCode: EXIT_CODES.ok, error: undefined } : outcome;
    }
    case 'run': {
      const spec = command.spec;
      if (!spec) {
        throw new CliUsageError('`run` needs <endpoint> and <input-uri> (the run form is only in Slack).', cliUsage('run'));
      }
      const invoked = await invokeJob(uc, spec);
      deps.progress(`submitted job ${invoked.jobName} to ${spec.endpointName}${spec.deploymentName ? ` (deployment ${spec.deploymentName})` : ''}`);
      const final = deps.wait ? await follow(() => az.scoring.getJob(invoked.scoringUri, invoked.jobName), invoked.jobName, spec.endpointName) : invoked.job;
      const job = summarizeInvokedJob(final, spec, deps.links);
      return jobOutcome(command.verb, job, jobDetails(job), { scoringUri: invoked.scoringUri });
    }
    case 'set-default': {
      if (deps.planOnly) return planOutcome(deps, command.verb, { kind: 'command', command });
      const changed = await inOurWords(setDefaultDeployment(uc, command.endpointName, command.deploymentName), deps.workspace);
      return ok({ endpointName: changed.endpointName, defaultDeployment: changed.defaultDeployment }, changed.summary);
    }
    case 'delete': {
      if (deps.planOnly) return planOutcome(deps, command.verb, { kind: 'command', command });
      const deleted = await inOurWords(deleteEndpoint(uc, command.endpointName), deps.workspace, ' Nothing was deleted.');
      return ok({ endpointName: deleted.endpointName, deleted: deleted.deleted }, deleted.summary);
    }
    case 'data-register': {
      const { summary, ...data } = await registerData({ azureml: az, now: deps.now }, command);
      return ok(data, summary);
    }
    case 'deploy': {
      if (command.specFile === undefined) {
        throw new CliUsageError('`deploy` needs a spec file in the CLI: --spec <file.json> (the deploy form is only in Slack).', cliUsage('deploy'));
      }
      const spec = parseDeploySpecFile(await deps.readSpecFile(command.specFile), command.specFile);
      if (deps.planOnly) return planOutcome(deps, command.verb, { kind: 'deploy', spec });
      deps.progress(`deploying ${spec.deploymentName} to ${spec.endpointName}`);
      // The plan reports every checkpoint (each poll of a long-running operation); print status changes only.
      const shown = new Map<string, string>();
      const onStep = async (event: DeployStepEvent): Promise<void> => {
        if (shown.get(event.step) === event.status) return;
        shown.set(event.step, event.status);
        deps.progress(deployStepLine(event));
      };
      const { result } = await deploy(uc, spec, { onStep, ...(deps.signal ? { signal: deps.signal } : {}) });
      return ok({ ...result }, deploySummary(result));
    }
  }
}
