// What a new user copies from the repository must be true: the README's /invite names the bot as the
// manifest does, the default artifacts folder is ignored by git, and the example deploy spec that
// `batch-score help deploy` points to exists and is a valid spec.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { cliHelpText, EXAMPLE_DEPLOY_SPEC, EXAMPLE_MLFLOW_DEPLOY_SPEC } from '../../src/cli/cli-usage';
import { parseDeploySpecFile } from '../../src/cli/deploy-spec-file';
import { loadConfig } from '../../src/config';

const ROOT = path.resolve(__dirname, '..', '..');
const read = (file: string): Promise<string> => fs.readFile(path.join(ROOT, file), 'utf8');

it('the README invites the bot by the name the manifest gives its bot user', async () => {
  const manifest = parse(await read('manifest.yml')) as { features: { bot_user: { display_name: string } } };
  const invites = [...(await read('README.md')).matchAll(/\/invite @([\w.-]+)/g)].map((m) => m[1]);
  expect(invites.length).toBeGreaterThan(0);
  for (const name of invites) expect(name).toBe(manifest.features.bot_user.display_name);
});

it('ignores the default artifacts folder in git', async () => {
  const config = loadConfig({
    SLACK_BOT_TOKEN: 'xoxb-test',
    SLACK_SIGNING_SECRET: 'secret',
    AZURE_SUBSCRIPTION_ID: '00000000-0000-0000-0000-000000000000',
    AZURE_RESOURCE_GROUP: 'rg',
    AZUREML_WORKSPACE: 'my-ws',
    AZURE_LOCATION: 'eastus',
    BATCH_SCORE_APPROVAL_REQUIRED_FOR: 'none',
  });
  const folder = path.posix.normalize(config.worker.artifactsRoot).replace(/\/$/, '');
  const ignored = (await read('.gitignore')).split('\n').map((l) => l.trim().replace(/^\//, '').replace(/\/$/, ''));
  expect(ignored).toContain(folder);
});

it('ships the example deploy spec that `help deploy` points to, and it is valid', async () => {
  expect(cliHelpText('deploy')).toContain(EXAMPLE_DEPLOY_SPEC);
  const spec = parseDeploySpecFile(await read(EXAMPLE_DEPLOY_SPEC), EXAMPLE_DEPLOY_SPEC);
  expect(spec.scoringScript).toBe('digit_identification.py');
});

it('ships the MLflow example deploy spec that `help deploy` points to: a registry model, no scoring code or environment', async () => {
  expect(cliHelpText('deploy')).toContain(EXAMPLE_MLFLOW_DEPLOY_SPEC);
  const spec = parseDeploySpecFile(await read(EXAMPLE_MLFLOW_DEPLOY_SPEC), EXAMPLE_MLFLOW_DEPLOY_SPEC);
  expect(spec.model).toMatchObject({ kind: 'registry', label: 'latest' });
  expect([spec.code, spec.scoringScript, spec.environment]).toEqual([undefined, undefined, undefined]);
});
