// `deploy --spec <file.json>`: the file holds a DeploySpecInput (src/domain/deploy-spec.ts), the same
// shape the deploy modal produces. Each problem names the field it is in, so a spec is fixed in one pass.
import { deploySpecSchema, type DeploySpec } from '../domain/deploy-spec';

export class DeploySpecFileError extends Error {
  override readonly name = 'DeploySpecFileError';
  readonly code = 'InvalidDeploySpec';
}

export function parseDeploySpecFile(text: string, source: string): DeploySpec {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new DeploySpecFileError(`${source} is not valid JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  const parsed = deploySpecSchema.safeParse(value);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((i) => `${i.path.map(String).join('.') || '(top level)'}: ${i.message}`);
  throw new DeploySpecFileError(`${source} is not a valid deploy spec: ${problems.join('; ')}`);
}
