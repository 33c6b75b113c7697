// The sandbox's workspace as a real one looks after months of use: ARM lists page (`nextLink` with a
// `$skipToken`, the last page without a nextLink key), Jobs_List applies the filters mfe.json 2022-05-01
// declares (jobType, tag key, listViewType), and a seeded history holds jobs of several kinds, newest
// first, some archived, a few with status values newer api-versions use. Driven over plain HTTP.
import { startAzureMlSandbox, NEWER_JOB_STATUSES, type AzureMlSandbox } from '../../sandbox/azureml';

let sb: AzureMlSandbox;
let ws: string;
const API = 'api-version=2022-05-01';
const HISTORY = 300;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Body = any;

async function get(url: string): Promise<{ status: number; body: Body }> {
  const res = await fetch(url.startsWith('http') ? url : `${sb.baseUrl}${url}`, { headers: { authorization: `Bearer ${sb.token}` } });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

/** Every item of a list, following nextLink; also the pages as they came. */
async function listAll(first: string): Promise<{ items: Body[]; pages: Body[] }> {
  const pages: Body[] = [];
  let next: string | undefined = first;
  while (next) {
    const r = await get(next);
    expect(r.status).toBe(200);
    pages.push(r.body);
    next = r.body.nextLink;
  }
  return { items: pages.flatMap((p) => p.value), pages };
}

beforeAll(async () => {
  sb = await startAzureMlSandbox({ timeScale: 0.01, listPageSize: 25, history: { count: HISTORY, seed: 3 } });
  ws = `/subscriptions/${sb.subscriptionId}/resourceGroups/${sb.resourceGroup}/providers/Microsoft.MachineLearningServices/workspaces/${sb.workspace}`;
}, 60_000);

afterAll(async () => {
  await sb?.stop();
});

it('pages Jobs_List with nextLink and $skipToken, newest first, the last page without nextLink', async () => {
  const { items, pages } = await listAll(`${ws}/jobs?${API}&listViewType=All`);
  expect(items).toHaveLength(HISTORY);
  expect(pages).toHaveLength(Math.ceil(HISTORY / 25));
  expect(pages.slice(0, -1).every((p) => p.value.length === 25 && /[?&]\$skipToken=[\w-]+/.test(p.nextLink) && p.nextLink.includes(API))).toBe(true);
  expect('nextLink' in pages[pages.length - 1]).toBe(false);
  expect(new Set(items.map((j) => j.name)).size).toBe(HISTORY);
  const created = items.map((j) => Date.parse(j.systemData.createdAt));
  expect(created).toEqual([...created].sort((a, b) => b - a));
  // The spec's own continuation parameter name is accepted too.
  const viaSkip = await get(pages[0].nextLink.replace('$skipToken=', '$skip='));
  expect(viaSkip.body.value.map((j: Body) => j.name)).toEqual(pages[1].value.map((j: Body) => j.name));
  expect((await get(`${ws}/jobs?${API}&$skipToken=not-a-token`)).status).toBe(400);
});

it('applies the jobType, tag and listViewType filters Jobs_List declares', async () => {
  const all = (await listAll(`${ws}/jobs?${API}&listViewType=All`)).items;
  const active = (await listAll(`${ws}/jobs?${API}`)).items;
  const archived = (await listAll(`${ws}/jobs?${API}&listViewType=ArchivedOnly`)).items;
  expect(active.every((j) => j.properties.isArchived === false)).toBe(true);
  expect(archived.length).toBeGreaterThan(0);
  expect(archived.every((j) => j.properties.isArchived === true)).toBe(true);
  expect(active.length + archived.length).toBe(all.length);

  const commands = (await listAll(`${ws}/jobs?${API}&jobType=Command&listViewType=All`)).items;
  expect(commands.length).toBe(all.filter((j) => j.properties.jobType === 'Command').length);
  expect(commands.length).toBeGreaterThan(0);
  const batch = (await listAll(`${ws}/jobs?${API}&jobType=Pipeline&tag=azureml.batchrun&listViewType=All`)).items;
  expect(batch.length).toBeGreaterThan(0);
  expect(batch.length).toBeLessThan(all.filter((j) => j.properties.jobType === 'Pipeline').length);
  expect(batch.every((j) => j.properties.tags['azureml.batchrun'] === 'true')).toBe(true);
});

it('seeds jobs of several kinds and other endpoints, shaped as Azure shows them', async () => {
  const all = (await listAll(`${ws}/jobs?${API}&listViewType=All`)).items;
  expect(new Set(all.map((j) => j.properties.jobType))).toEqual(new Set(['Command', 'Sweep', 'Pipeline']));
  expect(all.some((j) => NEWER_JOB_STATUSES.includes(j.properties.status))).toBe(true);
  const scoring = all.find((j) => j.properties.tags['azureml.batchrun'] === 'true')!;
  // As test_batch_job_download.json shows a batch job through ARM.
  expect(scoring.properties).toMatchObject({ jobType: 'Pipeline', inputs: null, outputs: null, experimentName: expect.any(String) });
  expect(scoring.properties.tags['azureml.deploymentname']).toEqual(expect.any(String));
  expect(scoring.properties.description).toContain(`endpoint: ${scoring.properties.experimentName}`);
  expect(Object.keys(scoring.properties.properties).some((k) => k.startsWith('azureml.error'))).toBe(false);
  expect(Object.keys(scoring.systemData).sort()).toEqual(['createdAt', 'createdBy', 'createdByType']);
  // Each is readable on its own (Jobs_Get).
  const one = await get(`${ws}/jobs/${scoring.name}?${API}`);
  expect(one.status).toBe(200);
  expect(one.body).toEqual(scoring);
});

it('pages every other list too, and is seeded and resized over the admin routes', async () => {
  for (const name of ['alpha', 'beta', 'gamma']) {
    const res = await fetch(`${sb.baseUrl}${ws}/codes/${name}?${API}`, { method: 'PUT', headers: { authorization: `Bearer ${sb.token}`, 'content-type': 'application/json' }, body: JSON.stringify({ properties: {} }) });
    expect(res.status).toBe(201);
  }
  expect((await fetch(`${sb.baseUrl}/_admin/list-page-size`, { method: 'PUT', body: JSON.stringify({ size: 2 }) })).status).toBe(204);
  const { items, pages } = await listAll(`${ws}/codes?${API}`);
  expect(items.map((c) => c.name)).toEqual(['alpha', 'beta', 'gamma']);
  expect(pages).toHaveLength(2);

  const seeded = await fetch(`${sb.baseUrl}/_admin/history`, { method: 'POST', body: JSON.stringify({ count: 10, seed: 99 }) });
  expect(await seeded.json()).toEqual({ historyJobs: HISTORY + 10 });
  sb.admin.setListPageSize(25);
});
