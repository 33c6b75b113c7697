// The plan an approver decides on (plan, approve, apply): what a deploy, set-default or delete will do,
// computed from the facts of what exists now (change-facts.ts reads them). Pure: the facts in, a view
// model out, plus a fingerprint of the facts, so whoever applies the change can tell that what exists
// moved since the plan was shown. Names in the plan are the user's and Azure's: renderers escape them.
import { createHash } from 'node:crypto';
import { z } from 'zod';

/** A deployment's settings as a plan compares them; every value a short text, absent when unknown. */
export const deploymentSettingsSchema = z.object({
  instanceCount: z.string().optional(),
  maxConcurrencyPerInstance: z.string().optional(),
  miniBatchSize: z.string().optional(),
  'retrySettings.maxRetries': z.string().optional(),
  'retrySettings.timeout': z.string().optional(),
  errorThreshold: z.string().optional(),
  loggingLevel: z.string().optional(),
  model: z.string().optional(),
  code: z.string().optional(),
  scoringScript: z.string().optional(),
  environment: z.string().optional(),
  compute: z.string().optional(),
});
export type DeploymentSettings = z.infer<typeof deploymentSettingsSchema>;
const SETTING_FIELDS = Object.keys(deploymentSettingsSchema.shape) as Array<keyof DeploymentSettings>;

export interface AssetFact {
  what: 'model' | 'code' | 'environment';
  /** name:version (a registry asset: registry/name:version). */
  ref: string;
  source: 'upload' | 'image' | 'registered' | 'registry';
  exists: boolean;
}

export type ChangeFacts =
  | {
      kind: 'deploy';
      endpointName: string;
      deploymentName: string;
      makeDefault: boolean;
      compute: { name: string; exists: boolean };
      assets: AssetFact[];
      endpoint: { exists: boolean; defaultDeployment?: string };
      /** The live deployment's settings; absent when there is no such deployment yet. */
      live?: DeploymentSettings;
      wanted: DeploymentSettings;
    }
  | { kind: 'set-default'; endpointName: string; deploymentName: string; currentDefault?: string }
  | { kind: 'delete'; endpointName: string; deployments: string[]; defaultDeployment?: string; runningJobs: Array<{ name: string; status: string }> };

export const planChangeSchema = z.enum(['create', 'reuse', 'change', 'keep', 'remove', 'move', 'running']);
export type PlanChange = z.infer<typeof planChangeSchema>;

export const fieldChangeSchema = z.object({ field: z.string().max(64), from: z.string().max(300), to: z.string().max(300) });
export type FieldChange = z.infer<typeof fieldChangeSchema>;

export const planItemSchema = z.object({
  /** What kind of thing: cluster, model, code, environment, endpoint, deployment, default, job. */
  what: z.string().max(32),
  name: z.string().max(300),
  change: planChangeSchema,
  /** One plain sentence more, when the change needs it. */
  detail: z.string().max(500).optional(),
  diff: z.array(fieldChangeSchema).max(SETTING_FIELDS.length).optional(),
});
export type PlanItem = z.infer<typeof planItemSchema>;

export const changePlanSchema = z.object({
  items: z.array(planItemSchema).max(60),
  /** Items left out to keep the plan short (e.g. the 30th running job). */
  omitted: z.number().int().min(0).default(0),
  /** Of the facts the plan was computed from: another fingerprint means what exists changed. */
  fingerprint: z.string().min(1).max(64),
});
export type ChangePlan = z.infer<typeof changePlanSchema>;

const MAX_LISTED = 20;

/** Stable across runs: the facts are built in a fixed order, and undefined fields are left out. */
export function factsFingerprint(facts: ChangeFacts): string {
  return createHash('sha256').update(JSON.stringify(facts)).digest('hex').slice(0, 16);
}

/** The settings that differ, field by field, in a fixed order; an unknown live value counts as different. */
export function settingsDiff(live: DeploymentSettings, wanted: DeploymentSettings): FieldChange[] {
  const diff: FieldChange[] = [];
  for (const field of SETTING_FIELDS) {
    const to = wanted[field];
    if (to === undefined) continue;
    const from = live[field];
    if (from !== undefined && from.toLowerCase() === to.toLowerCase()) continue;
    diff.push({ field, from: from ?? '(none)', to });
  }
  return diff;
}

function deployItems(f: Extract<ChangeFacts, { kind: 'deploy' }>): PlanItem[] {
  const items: PlanItem[] = [{ what: 'cluster', name: f.compute.name, change: f.compute.exists ? 'reuse' : 'create' }];
  for (const a of f.assets) {
    const byHash = a.source === 'upload' || a.source === 'image';
    const detail = byHash ? (a.exists ? 'the same content is registered' : 'new content') : undefined;
    items.push({ what: a.what, name: a.ref, change: a.exists ? 'reuse' : 'create', ...(detail ? { detail } : {}) });
  }
  items.push({ what: 'endpoint', name: f.endpointName, change: f.endpoint.exists ? 'reuse' : 'create' });
  if (!f.live) {
    items.push({ what: 'deployment', name: f.deploymentName, change: 'create' });
  } else {
    const diff = settingsDiff(f.live, f.wanted);
    items.push(
      diff.length > 0
        ? { what: 'deployment', name: f.deploymentName, change: 'change', diff }
        : { what: 'deployment', name: f.deploymentName, change: 'keep', detail: 'its settings stay as they are' },
    );
  }
  const current = f.endpoint.defaultDeployment;
  if (current === f.deploymentName) {
    items.push({ what: 'default', name: f.deploymentName, change: 'keep', detail: 'it is the default already: its traffic is served by the new settings' });
  } else if (f.makeDefault) {
    items.push({ what: 'default', name: f.deploymentName, change: 'move', detail: `traffic moves from ${current ?? '(no default)'} to ${f.deploymentName}` });
  } else if (current === undefined) {
    items.push({ what: 'default', name: '(none)', change: 'keep', detail: 'the endpoint has no default and this deploy sets none' });
  } else {
    items.push({ what: 'default', name: current, change: 'keep', detail: `${current} stays the default` });
  }
  return items;
}

function deleteItems(f: Extract<ChangeFacts, { kind: 'delete' }>): { items: PlanItem[]; omitted: number } {
  const items: PlanItem[] = [{ what: 'endpoint', name: f.endpointName, change: 'remove' }];
  const deployments = f.deployments.slice(0, MAX_LISTED);
  for (const d of deployments) {
    items.push({ what: 'deployment', name: d, change: 'remove', ...(d === f.defaultDeployment ? { detail: 'the default' } : {}) });
  }
  if (f.deployments.length === 0) items.push({ what: 'deployment', name: '(none)', change: 'keep', detail: 'the endpoint has no deployments' });
  const jobs = f.runningJobs.slice(0, MAX_LISTED);
  for (const j of jobs) items.push({ what: 'job', name: j.name, change: 'running', detail: `${j.status}: deleting the endpoint ends it` });
  return { items, omitted: f.deployments.length - deployments.length + (f.runningJobs.length - jobs.length) };
}

function setDefaultItems(f: Extract<ChangeFacts, { kind: 'set-default' }>): PlanItem[] {
  if (f.currentDefault === f.deploymentName) {
    return [{ what: 'default', name: f.deploymentName, change: 'keep', detail: `${f.deploymentName} is the default already; no traffic moves` }];
  }
  return [{ what: 'default', name: f.deploymentName, change: 'move', detail: `traffic moves from ${f.currentDefault ?? '(no default)'} to ${f.deploymentName}` }];
}

export function buildChangePlan(facts: ChangeFacts): ChangePlan {
  const fingerprint = factsFingerprint(facts);
  switch (facts.kind) {
    case 'deploy':
      return { items: deployItems(facts), omitted: 0, fingerprint };
    case 'set-default':
      return { items: setDefaultItems(facts), omitted: 0, fingerprint };
    case 'delete':
      return { ...deleteItems(facts), fingerprint };
  }
}

const CHANGE_WORDS: Record<PlanChange, string> = {
  create: 'create',
  reuse: 'reuse',
  change: 'change',
  keep: 'unchanged',
  remove: 'remove',
  move: 'move',
  running: 'running',
};

export function changeWord(change: PlanChange): string {
  return CHANGE_WORDS[change];
}

/** The plan as plain lines (the CLI; logs): `create  cluster cpu-cluster`, diff lines indented. */
export function planLines(plan: ChangePlan): string[] {
  const lines: string[] = [];
  for (const item of plan.items) {
    lines.push(`${changeWord(item.change).padEnd(9)} ${item.what} ${item.name}${item.detail ? ` (${item.detail})` : ''}`);
    for (const d of item.diff ?? []) lines.push(`            ${d.field}: ${d.from} → ${d.to}`);
  }
  if (plan.omitted > 0) lines.push(`… and ${plan.omitted} more`);
  return lines;
}
