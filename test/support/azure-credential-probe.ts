// A child process that authenticates the way production does: `createAzureCredential` (DefaultAzureCredential)
// with nothing injected, configured only by the environment (AZURE_* variables of the sandbox plus
// IDENTITY_ENDPOINT / IDENTITY_HEADER of its managed-identity endpoint). It asks for an ARM and an ML
// token, lists the batch endpoints and reads a job through the scoring API, then prints one JSON line.
import { AZURE_CLOUDS } from '../../src/azureml/clouds';
import { createAzureCredential } from '../../src/azureml/credentials';
import { loadAzureConfig } from '../../src/config';
import { createLogger } from '../../src/logger';
import { createAzureMlFromConfig } from '../../src/azureml-from-config';

const audienceOf = (token: string): string => {
  const payload = token.split('.')[1] ?? '';
  return String((JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { aud?: unknown }).aud);
};

async function main(): Promise<void> {
  const config = loadAzureConfig(process.env);
  const cloud = AZURE_CLOUDS[config.cloud];
  const credential = createAzureCredential(cloud);
  const arm = await credential.getToken(cloud.resourceManagerScope);
  const ml = await credential.getToken(cloud.mlScope);
  if (!arm || !ml) throw new Error('the credential returned no token');
  const azureml = createAzureMlFromConfig(config, { logger: createLogger({ level: 'silent' }) });
  const endpoints = await azureml.endpoints.list();
  const scoringProbe = process.argv[2];
  let scoringStatus: string | undefined;
  if (scoringProbe) {
    // Reaching the data plane at all proves the ML-audience token: a wrong token would get 401.
    const scoringUri = await azureml.scoring.getScoringUri(scoringProbe);
    scoringStatus = await azureml.scoring.getJob(scoringUri, 'no-such-job').then(
      () => 'found',
      (err: unknown) => String((err as { statusCode?: number }).statusCode ?? (err as Error).message),
    );
  }
  process.stdout.write(
    JSON.stringify({
      armAudience: audienceOf(arm.token),
      mlAudience: audienceOf(ml.token),
      armExpiresOnTimestamp: arm.expiresOnTimestamp,
      endpoints: endpoints.map((e) => e.name),
      scoringStatus,
    }) + '\n',
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`probe failed: ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}\n`);
  process.exit(1);
});
