// `npm run sandbox:azureml -- --port N [--time-scale X] [--cloud AzureChinaCloud] [--info-file F]
//   [--list-page-size N] [--seed-history N]`: starts Azurite and
// the sandbox, prints ONE JSON line with what a client needs, and runs until Ctrl-C / SIGTERM, then
// stops everything it started. With it, the recipe's curl commands work with the ARM host replaced
// by baseUrl (and the scoring token from `scoringToken`). `--info-file` also writes the line to a file
// readable by its owner only (it holds tokens and the storage key), for `batch-score --sandbox F`.
// `--list-page-size` (or AZUREML_SANDBOX_LIST_PAGE_SIZE) sets how many items an ARM list page holds;
// `--seed-history` (or AZUREML_SANDBOX_SEED_HISTORY) fills the workspace with that many past jobs.
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { stopOnSignals } from '../stack/processes';
import { cloudNameSchema } from './clouds';
import { connectionLine } from './connection-info';
import { startAzureMlSandbox } from './index';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string' },
      'time-scale': { type: 'string' },
      cloud: { type: 'string' },
      workspace: { type: 'string' },
      'resource-group': { type: 'string' },
      'subscription-id': { type: 'string' },
      location: { type: 'string' },
      'info-file': { type: 'string' },
      'list-page-size': { type: 'string' },
      'seed-history': { type: 'string' },
    },
    strict: true,
  });
  const port = values.port === undefined ? undefined : Number(values.port);
  if (port !== undefined && !(Number.isInteger(port) && port >= 0 && port < 65536)) throw new Error(`--port must be a port number, got ${values.port}`);
  const timeScale = values['time-scale'] === undefined ? 1 : Number(values['time-scale']);
  if (!(timeScale > 0)) throw new Error(`--time-scale must be a positive number, got ${values['time-scale']}`);
  const pageSizeText = values['list-page-size'] ?? process.env.AZUREML_SANDBOX_LIST_PAGE_SIZE;
  const listPageSize = pageSizeText === undefined ? undefined : Number(pageSizeText);
  if (listPageSize !== undefined && !(Number.isInteger(listPageSize) && listPageSize >= 1)) throw new Error(`--list-page-size must be a positive integer, got ${pageSizeText}`);
  const historyText = values['seed-history'] ?? process.env.AZUREML_SANDBOX_SEED_HISTORY;
  const historyCount = historyText === undefined ? 0 : Number(historyText);
  if (!(Number.isInteger(historyCount) && historyCount >= 0)) throw new Error(`--seed-history must be a whole number of jobs, got ${historyText}`);
  const cloud = cloudNameSchema.parse(values.cloud ?? 'AzureCloud');

  const sandbox = await startAzureMlSandbox({
    port,
    timeScale,
    cloud,
    workspace: values.workspace,
    resourceGroup: values['resource-group'],
    subscriptionId: values['subscription-id'],
    location: values.location,
    listPageSize,
    ...(historyCount > 0 ? { history: { count: historyCount } } : {}),
  });
  stopOnSignals(() => sandbox.stop());
  // stdout holds the one JSON line; the scale goes to stderr, where a person starting it reads it.
  process.stderr.write(
    timeScale === 1
      ? 'Azure ML sandbox at time scale 1: real Azure durations (a deploy takes about 5 minutes). For interactive use start it with --time-scale 0.01 (npm run sandbox:azureml -- --time-scale 0.01).\n'
      : `Azure ML sandbox at time scale ${timeScale} (1 = real Azure durations; change it with --time-scale).\n`,
  );
  const line = connectionLine(sandbox);
  if (values['info-file']) await writeFile(values['info-file'], line, { mode: 0o600 });
  process.stdout.write(line);
}

main().catch((err: unknown) => {
  process.stderr.write(`sandbox:azureml failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
