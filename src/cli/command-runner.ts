// Carries out one parsed Command against Azure ML, directly (no queue, no Slack): the CLI's half of what
// the ops, run, deploy and watch workers do for the slash command. Everything it touches is injected, so
// it is tested with fakes; src/cli.ts builds the real client.
import type { AzureMlClient } from '../azureml';
import type { DeployStepEvent } from '../azureml/deploy-plan';
import { createDeployProgress } from '../domain/deploy-plan';
import { jobStatusOf } from '../azureml/scoring';
import { AzureMlError } from '../azureml/errors';
import { isNotFoundError } from '../azureml/resource-lookup';
import type { Command } from '../domain/command-grammar';
import { parseDataReference } from '../domain/data-reference';
import type { WatchPacingPolicy } from '../domain/watch-pacing';
import { cliHelpText, cliUsage, CliUsageError } from './cli-usage';
import type { CliOutcome } from './cli-outcome';
import { deployResult, deployStepLine, deploySummary } from './deploy-output';
import { parseDeploySpecFile } from './deploy-spec-file';
import { endpointDetails, endpointsTable, summarizeDeployment, summarizeEndpoint } from './endpoint-output';
import { EXIT_CODES, exitCodeForJobStatus } from './exit-codes';
import type { JobOutcomeDetails } from '../azureml/job-outcome';
import { followJob } from './job-follow';
import { jobOutcomeText } from './job-outcome-text';
import { jobDetails, jobsTable, jobStatusLine, summarizeJob, type JobSummary } from './job-output';

/** The parts of the Azure ML client the CLI uses (a fake in tests). */
export interface CliAzureMl {
  endpoints: Pick<AzureMlClient['endpoints'], 'list' | 'get' | 'setDefaultDeploymentAndWait'>;
  deployments: Pick<AzureMlClient['deployments'], 'list' | 'get'>;
  jobs: Pick<AzureMlClient['jobs'], 'get' | 'list' | 'listForEndpoint' | 'cancelAndWait'>;
  scoring: Pick<AzureMlClient['scoring'], 'invoke' | 'getJob'>;
  /** Logs and outputs of finished jobs (status shows triage or results); absent, status shows the job only. */
  artifacts?: Pick<AzureMlClient['artifacts'], 'readOutcome' | 'findOutputUri'>;
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
  /** Azure ML studio's page for a job. */
  studioJobUrl?: (jobName: string) => string;
  /** Pacing of status checks while following a job. */
  pacing: WatchPacingPolicy;
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  now: () => number;
  signal?: AbortSignal;
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

/** Triage or results of an ended job, as the Slack reply shows them; undefined when not ended or unreadable. */
async function finishedJobDetails(az: CliAzureMl, job: JobSummary): Promise<JobOutcomeDetails | undefined> {
  if (!az.artifacts || (job.status !== 'Completed' && job.status !== 'Failed') || !job.endpointName) return undefined;
  const endpointName = job.endpointName;
  const outputUri = job.status === 'Completed' ? (job.output ?? (await az.artifacts.findOutputUri(job.name, endpointName).catch(() => undefined))) : undefined;
  return az.artifacts
    .readOutcome({
      jobName: job.name,
      endpointName,
      status: job.status,
      ...(job.error?.message ? { serviceMessage: job.error.message } : {}),
      ...(outputUri ? { outputUri } : {}),
      wantResults: job.status === 'Completed',
    })
    .catch(() => undefined);
}

/**
 * A 404 from Azure in our words: what is missing and the next useful command. Azure's code, status and
 * request ids are kept (the CLI prints them in the error's details), its raw message is not.
 */
async function orMissing<T>(get: Promise<T>, sentence: string): Promise<T> {
  try {
    return await get;
  } catch (err) {
    if (!isNotFoundError(err)) throw err;
    throw new AzureMlError({
      code: err.code,
      statusCode: err.statusCode,
      message: sentence,
      ...(err.requestId ? { requestId: err.requestId } : {}),
      ...(err.correlationId ? { correlationId: err.correlationId } : {}),
      retriable: false,
    });
  }
}

const noEndpoint = (name: string, ws: string): string => `There is no batch endpoint ${name} in workspace ${ws}; \`batch-score endpoints\` lists them.`;
const noJob = (name: string, ws: string): string => `There is no job ${name} in workspace ${ws}; \`batch-score jobs <endpoint>\` lists an endpoint's jobs.`;

const newestFirst = (a: JobSummary, b: JobSummary): number => (b.createdAt ?? '').localeCompare(a.createdAt ?? '');

export async function runCommand(command: Command, deps: CommandRunnerDeps): Promise<CliOutcome> {
  const az = deps.azureml;
  const summarize = (job: Parameters<typeof summarizeJob>[0]): JobSummary => summarizeJob(job, deps.studioJobUrl);
  const follow = <J extends Parameters<typeof summarizeJob>[0]>(fetch: () => Promise<J>, jobName: string): Promise<J> =>
    followJob({
      fetch,
      statusOf: (j) => jobStatusOf(j as Parameters<typeof jobStatusOf>[0]),
      onStatus: (status, _job, elapsedMs) => deps.progress(jobStatusLine(jobName, status, elapsedMs)),
      pacing: deps.pacing,
      sleep: deps.sleep,
      now: deps.now,
      ...(deps.signal ? { signal: deps.signal } : {}),
    });
  const ok = (result: Record<string, unknown>, text: string): CliOutcome => ({ command: command.verb, exitCode: EXIT_CODES.ok, result, text });

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
      const endpoints = (await az.endpoints.list()).map(summarizeEndpoint);
      return ok({ endpoints }, endpointsTable(endpoints, deps.workspace));
    }
    case 'show': {
      const [endpoint, deployments] = await Promise.all([
        orMissing(az.endpoints.get(command.endpointName), noEndpoint(command.endpointName, deps.workspace)),
        az.deployments.list(command.endpointName).catch((err: unknown) => (isNotFoundError(err) ? [] : Promise.reject(err))),
      ]);
      const summary = summarizeEndpoint(endpoint);
      const deps_ = deployments.map((d) => summarizeDeployment(d, summary.defaultDeployment));
      return ok({ endpoint: summary, deployments: deps_ }, endpointDetails(summary, deps_));
    }
    case 'jobs': {
      // An endpoint that does not exist has no jobs either, but "no jobs yet" would be untrue.
      if (command.endpointName) await orMissing(az.endpoints.get(command.endpointName), noEndpoint(command.endpointName, deps.workspace));
      const jobs = (command.endpointName ? await az.jobs.listForEndpoint(command.endpointName) : await az.jobs.list()).map(summarize).sort(newestFirst);
      return ok({ jobs, ...(command.endpointName ? { endpointName: command.endpointName } : {}) }, jobsTable(jobs, command.endpointName));
    }
    case 'status': {
      const get = () => orMissing(az.jobs.get(command.jobName), noJob(command.jobName, deps.workspace));
      const job = summarize(deps.wait ? await follow(get, command.jobName) : await get());
      const details = await finishedJobDetails(az, job);
      const text = details ? `${jobDetails(job)}
${jobOutcomeText(job.status, details)}`.trimEnd() : jobDetails(job);
      return jobOutcome(command.verb, job, text, details?.triage?.recognised ? { triage: details.triage } : {});
    }
    case 'cancel': {
      const before = summarize(await orMissing(az.jobs.get(command.jobName), noJob(command.jobName, deps.workspace)));
      if (before.status === 'Completed' || before.status === 'Failed') {
        // Nothing to cancel: say how it ended, and do not pretend a cancel was requested.
        return {
          command: command.verb,
          exitCode: EXIT_CODES.failed,
          result: { ...before, canceled: false },
          text: jobDetails(before),
          error: { code: 'JobAlreadyFinished', message: `job ${before.name} had already finished (${before.status}); nothing was canceled`, step: `job ${before.name}` },
        };
      }
      await az.jobs.cancelAndWait(command.jobName);
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
      const invoked = await az.scoring.invoke({
        endpointName: spec.endpointName,
        ...(spec.deploymentName ? { deploymentName: spec.deploymentName } : {}),
        input: { ref: parseDataReference(spec.input.uri), type: spec.input.kind },
        ...(spec.output ? { output: { ref: parseDataReference(spec.output.uri) } } : {}),
        ...(spec.settings ? { settings: spec.settings } : {}),
      });
      deps.progress(`submitted job ${invoked.jobName} to ${spec.endpointName}${spec.deploymentName ? ` (deployment ${spec.deploymentName})` : ''}`);
      const final = deps.wait ? await follow(() => az.scoring.getJob(invoked.scoringUri, invoked.jobName), invoked.jobName) : invoked.job;
      const job = summarize(final);
      // The invoke answer may not name the deployment yet; the request did.
      if (!job.endpointName) job.endpointName = spec.endpointName;
      if (!job.deploymentName && spec.deploymentName) job.deploymentName = spec.deploymentName;
      return jobOutcome(command.verb, job, jobDetails(job), { scoringUri: invoked.scoringUri });
    }
    case 'set-default': {
      // Fail early with the service's own 404 when the deployment does not exist (as the ops worker does).
      await az.deployments.get(command.endpointName, command.deploymentName);
      await az.endpoints.setDefaultDeploymentAndWait(command.endpointName, command.deploymentName);
      return ok(
        { endpointName: command.endpointName, defaultDeployment: command.deploymentName },
        `${command.deploymentName} is now the default deployment of ${command.endpointName}.`,
      );
    }
    case 'delete': {
      // ARM answers DELETE of a missing endpoint 204 as if it worked: look first (a 404 propagates and
      // is reported with Azure's code and request id, exit 1).
      await orMissing(az.endpoints.get(command.endpointName), `${noEndpoint(command.endpointName, deps.workspace)} Nothing was deleted.`);
      await az.deleteEndpoint(command.endpointName);
      return ok({ endpointName: command.endpointName, deleted: true }, `Endpoint ${command.endpointName} and all its deployments are deleted.`);
    }
    case 'data-register': {
      const version = command.version ?? String(deps.now());
      const dataType = command.kind === 'UriFile' ? 'uri_file' : 'uri_folder';
      const created = await az.assets.createDataVersion({ name: command.name, version }, dataType, command.uri);
      return ok(
        { name: command.name, version, dataType, dataUri: command.uri, id: created.id },
        `Data asset ${command.name}:${version} registered (${dataType}).\nId: ${created.id}`,
      );
    }
    case 'deploy': {
      if (command.specFile === undefined) {
        throw new CliUsageError('`deploy` needs a spec file in the CLI: --spec <file.json> (the deploy form is only in Slack).', cliUsage('deploy'));
      }
      const spec = parseDeploySpecFile(await deps.readSpecFile(command.specFile), command.specFile);
      deps.progress(`deploying ${spec.deploymentName} to ${spec.endpointName}`);
      // The plan reports every checkpoint (each poll of a long-running operation); print status changes only.
      const shown = new Map<string, string>();
      const onStep = async (event: DeployStepEvent): Promise<void> => {
        if (shown.get(event.step) === event.status) return;
        shown.set(event.step, event.status);
        deps.progress(deployStepLine(event));
      };
      const progress = await az.runDeployPlan(spec, createDeployProgress(spec), onStep, {
        ...(deps.signal ? { signal: deps.signal } : {}),
      });
      const result = deployResult(spec, progress);
      return ok({ ...result }, deploySummary(result));
    }
  }
}
