// How a deploy names a model or environment that already exists, in the forms Azure ML's own tools write:
//   name:version  and  name@latest              a workspace asset (az ml YAML: `azureml:name:1`, `azureml:name@latest`)
//   azureml://registries/<r>/<kind>/<name>/versions/<v>   an asset in a registry (curated environments live
//   azureml://registries/<r>/<kind>/<name>/labels/latest  in the registry `azureml`)
// Microsoft's docs: "Share models, components, and environments across workspaces with registries" and
// "Curated environments" (`azureml://registries/azureml/environments/<name>/labels/latest`). `latest` is the
// only label the bot accepts: it is the one those docs use, and it is resolved to a concrete version before
// an approver is asked, so the approval shows what will really be deployed.
import { z } from 'zod';
import { assetNameSchema, assetVersionSchema } from './naming-rules';

export const ASSET_LABELS = ['latest'] as const;
export const assetLabelSchema = z.enum(ASSET_LABELS, { message: 'the only label a deploy accepts is "latest"' });

/**
 * Registry names: 3-33 characters of letters, digits, '-' and '_', starting with a letter or digit
 * (docs: "Manage Azure Machine Learning registries", registry name rule).
 */
export const registryNameSchema = z
  .string()
  .trim()
  .regex(/^[a-zA-Z0-9][a-zA-Z0-9\-_]{2,32}$/, 'a registry name must be 3-33 characters of letters, digits, "-" and "_", starting with a letter or digit');

export type RegistryAssetKind = 'models' | 'environments';

/** A version or the label `latest`; both once `latest` was resolved (the label kept for the record). */
const pinned = { version: assetVersionSchema.optional(), label: assetLabelSchema.optional() };
const needsVersionOrLabel = (a: { version?: string; label?: string }): boolean => a.version !== undefined || a.label !== undefined;
const VERSION_OR_LABEL = { message: 'give a version, or the label "latest"', path: ['version'] };

export const registeredAssetSchema = z
  .object({ kind: z.literal('registered'), name: assetNameSchema, ...pinned })
  .refine(needsVersionOrLabel, VERSION_OR_LABEL);

export const registryAssetSchema = z
  .object({ kind: z.literal('registry'), registry: registryNameSchema, name: assetNameSchema, ...pinned })
  .refine(needsVersionOrLabel, VERSION_OR_LABEL);

export type RegisteredAsset = z.output<typeof registeredAssetSchema>;
export type RegistryAsset = z.output<typeof registryAssetSchema>;
export type ExistingAsset = RegisteredAsset | RegistryAsset;

/** `azureml://registries/<registry>/<kind>/<name>/versions/<version>`: the id Azure expects in a deployment body. */
export function registryAssetId(kind: RegistryAssetKind, registry: string, name: string, version: string): string {
  return `azureml://registries/${registry}/${kind}/${name}/versions/${version}`;
}

export type AssetReferenceParse = { ok: true; asset: Record<string, unknown> } | { ok: false; message: string };

const REGISTRY_ID = /^azureml:\/\/registries\/([^/]+)\/([^/]+)\/([^/]+)\/(versions|labels)\/([^/]+)$/;
const WORKSPACE_VERSION = /^(?:azureml:)?([^/\\:@\s]+):([^/\\:@\s]+)$/;
const WORKSPACE_LABEL = /^(?:azureml:)?([^/\\:@\s]+)@([^/\\:@\s]+)$/;

/**
 * Reads one of the forms above (not yet validated: the caller's zod schema checks names and versions and
 * words the errors). Anything else is `ok: false` with how to write it, or `undefined` when the text is
 * not meant as a reference to an existing asset at all (a folder to upload, an image).
 */
export function parseAssetReference(kind: RegistryAssetKind, text: string): AssetReferenceParse | undefined {
  const t = text.trim();
  const noun = kind === 'models' ? 'model' : 'environment';
  if (t.startsWith('azureml://')) {
    const m = REGISTRY_ID.exec(t);
    if (!m) {
      return { ok: false, message: `Write a registry ${noun} as azureml://registries/<registry>/${kind}/<name>/versions/<version> or …/labels/latest.` };
    }
    const [, registry, k, name, how, value] = m as unknown as [string, string, string, string, string, string];
    if (k !== kind) return { ok: false, message: `That id names ${k}, not ${kind}: use azureml://registries/${registry}/${kind}/<name>/….` };
    return { ok: true, asset: { kind: 'registry', registry, name, ...(how === 'versions' ? { version: value } : { label: value }) } };
  }
  const version = WORKSPACE_VERSION.exec(t);
  if (version) return { ok: true, asset: { kind: 'registered', name: version[1], version: version[2] } };
  const label = WORKSPACE_LABEL.exec(t);
  if (label) return { ok: true, asset: { kind: 'registered', name: label[1], label: label[2] } };
  return undefined;
}

/** How an existing asset reads in Slack and the CLI: `name:3`, `name:3 (latest)`, `azureml://registries/…`. */
export function describeExistingAsset(kind: RegistryAssetKind, a: ExistingAsset): string {
  const v = a.version ?? `@${a.label ?? ''}`;
  const resolved = a.version !== undefined && a.label !== undefined ? ` (${a.label})` : '';
  if (a.kind === 'registry') {
    return a.version !== undefined
      ? `${registryAssetId(kind, a.registry, a.name, a.version)}${resolved}`
      : `azureml://registries/${a.registry}/${kind}/${a.name}/labels/${a.label ?? ''}`;
  }
  return a.version !== undefined ? `${a.name}:${v}${resolved}` : `${a.name}${v}`;
}
