// `npm run sandbox:azureml -- --port N [--time-scale X] [--cloud AzureChinaCloud] [--info-file F]`: starts Azurite and
// the sandbox, prints ONE JSON line with what a client needs, and runs until Ctrl-C / SIGTERM, then
// stops everything it started. With it, the recipe's curl commands work with the ARM host replaced
// by baseUrl (and the scoring token from `scoringToken`). `--info-file` also writes the line to a file
// readable by its owner only (it holds tokens and the storage key), for `batch-score --sandbox F`.
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
    },
    strict: true,
  });
  const port = values.port === undefined ? undefined : Number(values.port);
  if (port !== undefined && !(Number.isInteger(port) && port >= 0 && port < 65536)) throw new Error(`--port must be a port number, got ${values.port}`);
  const timeScale = values['time-scale'] === undefined ? 1 : Number(values['time-scale']);
  if (!(timeScale > 0)) throw new Error(`--time-scale must be a positive number, got ${values['time-scale']}`);
  const cloud = cloudNameSchema.parse(values.cloud ?? 'AzureCloud');

  const sandbox = await startAzureMlSandbox({
    port,
    timeScale,
    cloud,
    workspace: values.workspace,
    resourceGroup: values['resource-group'],
    subscriptionId: values['subscription-id'],
    location: values.location,
  });
  stopOnSignals(() => sandbox.stop());
  const line = connectionLine(sandbox);
  if (values['info-file']) await writeFile(values['info-file'], line, { mode: 0o600 });
  process.stdout.write(line);
}

main().catch((err: unknown) => {
  process.stderr.write(`sandbox:azureml failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
