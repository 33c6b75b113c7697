// AmlCompute clusters (machineLearningServices.json 2022-05-01, Compute_*): PUT → 201 +
// Azure-AsyncOperation while the cluster provisions (about 1–2 minutes, time-scaled); PUT on an
// existing cluster updates its settings and answers 200; DELETE → 202 + Location.
import { resourceNotFound, userError } from './arm-errors';
import { computeView } from './resource-views';
import { amlComputeBodySchema, parseBody } from './request-schemas';
import type { RouteTable } from './route-table';
import { apiVersionOf, type SandboxContext } from './sandbox-context';
import { key, newSystemData, touch, type ComputeRecord } from './workspace-state';

/** Compute names: 2–16 characters, a letter first, letters, digits and '-' (Azure ML's rule). */
const COMPUTE_NAME = /^[a-zA-Z][a-zA-Z0-9-]{1,15}$/;

export function registerComputeRoutes(routes: RouteTable, ctx: SandboxContext): void {
  const { state, ops, clock } = ctx;
  const requireCompute = (name: string): ComputeRecord => {
    const c = state.computes.get(key(name));
    if (!c) throw resourceNotFound('Microsoft.MachineLearningServices/workspaces/computes', `${ctx.identity.workspace}/${name}`, ctx.identity.resourceGroup);
    return c;
  };

  routes.add('GET', 'computes', (req) => ({ status: 200, body: { value: [...state.computes.values()].map((c) => computeView(ctx.views, c, apiVersionOf(req.query))) } }));
  routes.add('GET', 'computes/{computeName}', (req) => ({ status: 200, body: computeView(ctx.views, requireCompute(req.params.computeName!), apiVersionOf(req.query)) }));

  routes.add('PUT', 'computes/{computeName}', (req) => {
    const name = req.params.computeName!;
    if (!COMPUTE_NAME.test(name)) {
      throw userError(`Invalid compute name '${name}': 2 to 16 characters, starting with a letter, only letters, digits and '-'`, 'computeName');
    }
    const body = parseBody(amlComputeBodySchema, req.body());
    const existing = state.computes.get(key(name));
    const apiVersion = apiVersionOf(req.query);
    if (existing) {
      // An update may send only what changes (Microsoft's "Update a AML Compute" example sends new
      // scaleSettings without vmSize); the service keeps the cluster's VM size, which cannot change.
      existing.properties = {
        ...body.properties,
        properties: { ...body.properties.properties, vmSize: existing.properties.properties.vmSize },
      };
      existing.tags = body.tags ?? existing.tags;
      existing.systemData = touch(existing.systemData, ctx.actor);
      existing.modifiedOn = new Date().toISOString();
      const current = existing.currentOperationId ? ops.get(existing.currentOperationId) : undefined;
      return {
        status: 200,
        headers: current && current.status === 'Running' ? ops.computeHeaders(current, apiVersion) : {},
        body: computeView(ctx.views, existing, apiVersionOf(req.query)),
      };
    }
    if (!body.properties.properties.vmSize) throw userError('properties.properties.vmSize is required', 'properties.properties.vmSize');
    const now = new Date().toISOString();
    const record: ComputeRecord = {
      name,
      location: body.location ?? ctx.identity.location,
      tags: body.tags ?? {},
      systemData: newSystemData(ctx.actor),
      provisioningState: 'Creating',
      properties: body.properties,
      createdOn: now,
      modifiedOn: now,
    };
    const op = ops.start({
      family: 'compute',
      durationMs: clock.ms('computeCreateMs'),
      complete: (o) => {
        if (record.currentOperationId === o.id) record.provisioningState = 'Succeeded';
      },
    });
    record.currentOperationId = op.id;
    state.computes.set(key(name), record);
    return { status: 201, headers: ops.computeHeaders(op, apiVersion), body: computeView(ctx.views, record, apiVersionOf(req.query)) };
  });

  routes.add('DELETE', 'computes/{computeName}', (req) => {
    const name = req.params.computeName!;
    const record = state.computes.get(key(name));
    if (!record) return { status: 204 };
    record.provisioningState = 'Deleting';
    const op = ops.start({
      family: 'compute',
      durationMs: clock.ms('computeCreateMs') / 3,
      complete: () => {
        if (state.computes.get(key(name)) === record) state.computes.delete(key(name));
      },
    });
    record.currentOperationId = op.id;
    return { status: 202, headers: ops.computeHeaders(op, apiVersionOf(req.query)), body: null };
  });
}
