import type { ModalView } from '@slack/types';
import { SLACK_LIMITS } from '../../src/slack/blocks/block-kit';
import { buildDeployModal, DEPLOY_FIELDS, DEPLOY_MODAL_CALLBACK_ID, parseDeploySubmission } from '../../src/slack/modals/deploy-modal';
import { decodeModalMetadata, encodeModalMetadata, ModalMetadataError } from '../../src/slack/modals/modal-metadata';
import { VALUE_ACTION_ID } from '../../src/slack/modals/modal-inputs';
import { buildRunModal, parseRunSubmission, RUN_FIELDS, RUN_MODAL_CALLBACK_ID } from '../../src/slack/modals/run-modal';

const metadata = { channelId: 'CBOTS', requesterId: 'UREQUESTER', teamId: 'TTEAM' };
type AnyObject = Record<string, unknown>;
type Entry = string | boolean | null;

function blocksOf(view: ModalView): AnyObject[] {
  return view.blocks as unknown as AnyObject[];
}

/**
 * What Slack sends in view.state.values when the user submits this view: each input's initial value,
 * unless the test typed something else (a string, true/false for a checkbox, null to clear the field).
 */
function submit(view: ModalView, typed: Record<string, Entry> = {}): Record<string, Record<string, AnyObject>> {
  const values: Record<string, Record<string, AnyObject>> = {};
  for (const block of blocksOf(view)) {
    if (block.type !== 'input') continue;
    const id = block.block_id as string;
    const el = block.element as AnyObject;
    const given = Object.hasOwn(typed, id) ? typed[id] : undefined;
    let value: AnyObject;
    switch (el.type) {
      case 'plain_text_input':
      case 'number_input': {
        const text = given === undefined ? ((el.initial_value as string | undefined) ?? null) : given;
        value = { type: el.type, value: text === '' ? null : text };
        break;
      }
      case 'static_select':
      case 'radio_buttons': {
        const chosen = given === undefined ? ((el.initial_option as AnyObject | undefined)?.value ?? null) : given;
        value = { type: el.type, selected_option: chosen === null ? null : { value: chosen } };
        break;
      }
      case 'checkboxes': {
        const options = el.options as AnyObject[];
        const checked = given === undefined ? ((el.initial_options as unknown[] | undefined)?.length ?? 0) > 0 : given === true;
        value = { type: el.type, selected_options: checked ? options.map((o) => ({ value: o.value })) : [] };
        break;
      }
      default:
        throw new Error(`unexpected element ${String(el.type)}`);
    }
    values[id] = { [el.action_id as string]: value };
  }
  return values;
}

function expectModalLimits(view: ModalView): void {
  expect(view.blocks.length).toBeLessThanOrEqual(SLACK_LIMITS.viewBlocks);
  expect((view.private_metadata ?? '').length).toBeLessThanOrEqual(SLACK_LIMITS.privateMetadata);
  expect(view.title.text.length).toBeLessThanOrEqual(SLACK_LIMITS.viewTitle);
  const ids = blocksOf(view).map((b) => b.block_id).filter((id) => id !== undefined);
  expect(new Set(ids).size).toBe(ids.length);
  for (const block of blocksOf(view)) {
    if (block.type !== 'input') continue;
    expect((block.element as AnyObject).action_id).toBe(VALUE_ACTION_ID);
    expect(((block.label as AnyObject).text as string).length).toBeLessThanOrEqual(SLACK_LIMITS.inputLabel);
  }
}

describe('modal metadata', () => {
  it('round-trips the channel and the requester', () => {
    expect(decodeModalMetadata(encodeModalMetadata(metadata))).toEqual(metadata);
  });

  it('fits the largest allowed metadata in 3,000 characters and refuses anything larger', () => {
    const largest = { channelId: 'C'.repeat(64), requesterId: 'U'.repeat(64), teamId: 'T'.repeat(64), responseUrl: `https://hooks.slack.com/${'a'.repeat(976)}`, threadTs: '1'.repeat(64) };
    expect(encodeModalMetadata(largest).length).toBeLessThanOrEqual(SLACK_LIMITS.privateMetadata);
    expect(() => encodeModalMetadata({ ...metadata, channelId: 'C'.repeat(65) })).toThrow(ModalMetadataError);
  });

  it('reads tampered or broken metadata as nothing', () => {
    expect(decodeModalMetadata('{not json')).toBeUndefined();
    expect(decodeModalMetadata('{"channelId":"C1"}')).toBeUndefined();
    expect(decodeModalMetadata('null')).toBeUndefined();
  });
});

describe('deploy modal', () => {
  const view = buildDeployModal({ endpoints: ['mnist-batch', 'heart-batch'], privateMetadata: metadata });
  const filled = {
    [DEPLOY_FIELDS.endpoint]: 'mnist-batch',
    [DEPLOY_FIELDS.deployment]: 'mnist-torch',
    [DEPLOY_FIELDS.model]: 'mnist:1',
    [DEPLOY_FIELDS.code]: 'code/mnist',
    [DEPLOY_FIELDS.scoringScript]: 'batch_driver.py',
    [DEPLOY_FIELDS.environment]: 'mnist-env:3',
    [DEPLOY_FIELDS.computeName]: 'batch-cluster',
  };

  it('respects the modal limits and carries the metadata', () => {
    expectModalLimits(view);
    expect(view.callback_id).toBe(DEPLOY_MODAL_CALLBACK_ID);
    expect(decodeModalMetadata(view.private_metadata ?? '')).toEqual(metadata);
    expect(JSON.stringify(view.blocks)).toContain('Existing: mnist-batch, heart-batch');
  });

  it('offers the recipe defaults', () => {
    const spec = parseDeploySubmission(submit(view, filled), view.private_metadata ?? '');
    expect(spec).toMatchObject({ ok: true, metadata });
    if (!spec.ok) return;
    expect(spec.spec).toMatchObject({
      instanceCount: 1,
      maxConcurrencyPerInstance: 4,
      miniBatchSize: 5,
      retrySettings: { maxRetries: 3, timeout: 'PT30S' },
      errorThreshold: 10,
      loggingLevel: 'Info',
      makeDefault: true,
    });
  });

  it('reads a registered model, an uploaded code folder named after the folder, and an existing compute', () => {
    const result = parseDeploySubmission(submit(view, filled), view.private_metadata ?? '');
    if (!result.ok) throw new Error(JSON.stringify(result.errors));
    expect(result.spec).toMatchObject({
      endpointName: 'mnist-batch',
      deploymentName: 'mnist-torch',
      model: { kind: 'registered', name: 'mnist', version: '1' },
      code: { kind: 'upload', localPath: 'code/mnist', name: 'mnist' },
      scoringScript: 'batch_driver.py',
      environment: { kind: 'registered', name: 'mnist-env', version: '3' },
      compute: { kind: 'existing', name: 'batch-cluster' },
    });
  });

  it('reads an image environment with a conda file, a new cluster and changed settings', () => {
    const result = parseDeploySubmission(
      submit(view, {
        ...filled,
        [DEPLOY_FIELDS.model]: 'models/mnist',
        [DEPLOY_FIELDS.modelName]: 'mnist-model',
        [DEPLOY_FIELDS.environment]: null,
        [DEPLOY_FIELDS.image]: 'mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu20.04:latest',
        [DEPLOY_FIELDS.condaFile]: 'name: mnist\ndependencies: [python=3.10]',
        [DEPLOY_FIELDS.computeMode]: 'create',
        [DEPLOY_FIELDS.vmSize]: 'STANDARD_DS3_V2',
        [DEPLOY_FIELDS.minNodes]: '0',
        [DEPLOY_FIELDS.maxNodes]: '4',
        [DEPLOY_FIELDS.instanceCount]: '2',
        [DEPLOY_FIELDS.miniBatchSize]: '10',
        [DEPLOY_FIELDS.timeout]: 'PT2M',
        [DEPLOY_FIELDS.errorThreshold]: '-1',
        [DEPLOY_FIELDS.loggingLevel]: 'Debug',
        [DEPLOY_FIELDS.makeDefault]: false,
      }),
      view.private_metadata ?? '',
    );
    if (!result.ok) throw new Error(JSON.stringify(result.errors));
    expect(result.spec).toMatchObject({
      model: { kind: 'upload', localPath: 'models/mnist', name: 'mnist-model' },
      environment: {
        kind: 'image',
        name: 'mnist-torch-env',
        image: 'mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu20.04:latest',
        condaFile: 'name: mnist\ndependencies: [python=3.10]',
      },
      compute: { kind: 'create', name: 'batch-cluster', vmSize: 'STANDARD_DS3_V2', minNodeCount: 0, maxNodeCount: 4 },
      instanceCount: 2,
      miniBatchSize: 10,
      retrySettings: { maxRetries: 3, timeout: 'PT2M' },
      errorThreshold: -1,
      loggingLevel: 'Debug',
      makeDefault: false,
    });
  });

  it('pre-fills a previous spec so it can be deployed again unchanged', () => {
    const first = parseDeploySubmission(submit(view, filled), view.private_metadata ?? '');
    if (!first.ok) throw new Error('expected the first submission to parse');
    const again = buildDeployModal({ defaults: first.spec, privateMetadata: metadata });
    const second = parseDeploySubmission(submit(again), again.private_metadata ?? '');
    expect(second).toEqual(first);
  });

  const fieldErrors: [string, Record<string, Entry>, string, RegExp][] = [
    ['an empty endpoint', { [DEPLOY_FIELDS.endpoint]: null }, DEPLOY_FIELDS.endpoint, /endpoint name must be 3-32/],
    ['a bad endpoint name', { [DEPLOY_FIELDS.endpoint]: '1-bad' }, DEPLOY_FIELDS.endpoint, /begin with a letter/],
    ['a bad deployment name', { [DEPLOY_FIELDS.deployment]: 'a_b' }, DEPLOY_FIELDS.deployment, /deployment name/],
    ['a missing model', { [DEPLOY_FIELDS.model]: null }, DEPLOY_FIELDS.model, /name:version, or a folder/],
    ['an absolute model folder', { [DEPLOY_FIELDS.model]: '/etc/models' }, DEPLOY_FIELDS.model, /relative to the artifacts root/],
    ['a model folder escaping the root', { [DEPLOY_FIELDS.model]: 'models/../../secrets' }, DEPLOY_FIELDS.model, /stay inside the artifacts root/],
    ['a bad model name for an upload', { [DEPLOY_FIELDS.model]: 'models/mnist', [DEPLOY_FIELDS.modelName]: '-x' }, DEPLOY_FIELDS.modelName, /model name/],
    ['a bad registered model version', { [DEPLOY_FIELDS.model]: 'mnist:-1' }, DEPLOY_FIELDS.model, /version/],
    ['a missing code', { [DEPLOY_FIELDS.code]: null }, DEPLOY_FIELDS.code, /registered code/],
    ['a missing scoring script', { [DEPLOY_FIELDS.scoringScript]: null }, DEPLOY_FIELDS.scoringScript, /give the scoring script/i],
    ['no environment at all', { [DEPLOY_FIELDS.environment]: null }, DEPLOY_FIELDS.environment, /registered environment .* or a container image/],
    ['both an environment and an image', { [DEPLOY_FIELDS.image]: 'img:1' }, DEPLOY_FIELDS.image, /not both/],
    ['a malformed registered environment', { [DEPLOY_FIELDS.environment]: 'mnist-env' }, DEPLOY_FIELDS.environment, /name:version/],
    ['a conda file with a registered environment', { [DEPLOY_FIELDS.condaFile]: 'name: x' }, DEPLOY_FIELDS.condaFile, /goes with an image/],
    ['a bad compute name', { [DEPLOY_FIELDS.computeName]: 'x' }, DEPLOY_FIELDS.computeName, /compute name/],
    ['min nodes above max nodes', { [DEPLOY_FIELDS.computeMode]: 'create', [DEPLOY_FIELDS.minNodes]: '5', [DEPLOY_FIELDS.maxNodes]: '2' }, DEPLOY_FIELDS.minNodes, /must not exceed/],
    ['a zero instance count', { [DEPLOY_FIELDS.instanceCount]: '0' }, DEPLOY_FIELDS.instanceCount, /at least 1/],
    ['a fractional concurrency', { [DEPLOY_FIELDS.maxConcurrency]: '1.5' }, DEPLOY_FIELDS.maxConcurrency, /whole number/],
    ['a huge mini-batch size', { [DEPLOY_FIELDS.miniBatchSize]: '99999999' }, DEPLOY_FIELDS.miniBatchSize, /at most 1000000/],
    ['negative retries', { [DEPLOY_FIELDS.maxRetries]: '-1' }, DEPLOY_FIELDS.maxRetries, /at least 0/],
    ['a timeout that is not a duration', { [DEPLOY_FIELDS.timeout]: '30 seconds' }, DEPLOY_FIELDS.timeout, /ISO 8601 duration/],
    ['an error threshold below -1', { [DEPLOY_FIELDS.errorThreshold]: '-2' }, DEPLOY_FIELDS.errorThreshold, /at least -1/],
  ];

  it.each(fieldErrors)('puts the error for %s on its field, saying how to fix it', (_what, typed, field, message) => {
    const result = parseDeploySubmission(submit(view, { ...filled, ...typed }), view.private_metadata ?? '');
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(Object.keys(result.errors)).toContain(field);
    expect((result.errors as Record<string, string>)[field]).toMatch(message);
    for (const key of Object.keys(result.errors)) expect(Object.values(DEPLOY_FIELDS)).toContain(key);
  });

  it('reports several bad fields at once', () => {
    const result = parseDeploySubmission(
      submit(view, { ...filled, [DEPLOY_FIELDS.endpoint]: 'x', [DEPLOY_FIELDS.instanceCount]: '0', [DEPLOY_FIELDS.timeout]: 'soon' }),
      view.private_metadata ?? '',
    );
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(Object.keys(result.errors).sort()).toEqual([DEPLOY_FIELDS.endpoint, DEPLOY_FIELDS.instanceCount, DEPLOY_FIELDS.timeout].sort());
  });

  it('refuses a submission whose metadata or state was tampered with', () => {
    expect(parseDeploySubmission(submit(view, filled), 'garbage')).toMatchObject({ ok: false, errors: { endpoint: expect.stringMatching(/open it again/) } });
    expect(parseDeploySubmission({ endpoint: 'not an object' }, view.private_metadata ?? '')).toMatchObject({ ok: false });
    expect(parseDeploySubmission(null, view.private_metadata ?? '')).toMatchObject({ ok: false });
  });

  it('keeps to the limits with thousands of existing endpoints and huge defaults', () => {
    const big = buildDeployModal({
      endpoints: Array.from({ length: 5000 }, (_, i) => `endpoint-${i}`),
      defaults: { description: 'd'.repeat(5000), scoringScript: 's'.repeat(5000) },
      privateMetadata: metadata,
    });
    expectModalLimits(big);
    for (const block of blocksOf(big)) {
      const hint = block.hint as AnyObject | undefined;
      if (hint) expect((hint.text as string).length).toBeLessThanOrEqual(SLACK_LIMITS.hint);
    }
  });
});

describe('run modal', () => {
  const view = buildRunModal({
    endpoints: ['mnist-batch', 'heart-batch'],
    deploymentsByEndpoint: { 'mnist-batch': ['mnist-torch', 'mnist-keras'], 'heart-batch': ['heart-xgb'] },
    privateMetadata: metadata,
  });
  const input = 'azureml://datastores/workspaceblobstore/paths/mnist/';

  it('respects the modal limits, selects the endpoint from a list and carries the metadata', () => {
    expectModalLimits(view);
    expect(view.callback_id).toBe(RUN_MODAL_CALLBACK_ID);
    const endpoint = blocksOf(view).find((b) => b.block_id === RUN_FIELDS.endpoint)!;
    expect((endpoint.element as AnyObject).type).toBe('static_select');
  });

  it('reads a folder run on the default deployment', () => {
    const result = parseRunSubmission(submit(view, { [RUN_FIELDS.endpoint]: 'mnist-batch', [RUN_FIELDS.inputUri]: input }), view.private_metadata ?? '');
    expect(result).toEqual({ ok: true, metadata, spec: { endpointName: 'mnist-batch', input: { kind: 'UriFolder', uri: input } } });
  });

  it('reads a file run on a named deployment with an output file', () => {
    const result = parseRunSubmission(
      submit(view, {
        [RUN_FIELDS.endpoint]: 'mnist-batch',
        [RUN_FIELDS.deployment]: 'mnist-batch/mnist-keras',
        [RUN_FIELDS.inputKind]: 'UriFile',
        [RUN_FIELDS.inputUri]: 'https://pipelinedata.blob.core.windows.net/sampledata/mnist/0.png',
        [RUN_FIELDS.outputUri]: 'azureml://datastores/workspaceblobstore/paths/out/p.csv',
      }),
      view.private_metadata ?? '',
    );
    if (!result.ok) throw new Error(JSON.stringify(result.errors));
    expect(result.spec).toEqual({
      endpointName: 'mnist-batch',
      deploymentName: 'mnist-keras',
      input: { kind: 'UriFile', uri: 'https://pipelinedata.blob.core.windows.net/sampledata/mnist/0.png' },
      output: { uri: 'azureml://datastores/workspaceblobstore/paths/out/p.csv' },
    });
  });

  it("reads this job's settings, and offers them empty so the deployment's apply", () => {
    for (const field of [RUN_FIELDS.miniBatchSize, RUN_FIELDS.instanceCount, RUN_FIELDS.errorThreshold, RUN_FIELDS.maxRetries]) {
      const block = blocksOf(view).find((b) => b.block_id === field)!;
      expect(block.optional).toBe(true);
      expect((block.element as AnyObject).initial_value).toBeUndefined();
    }
    const result = parseRunSubmission(
      submit(view, {
        [RUN_FIELDS.endpoint]: 'mnist-batch',
        [RUN_FIELDS.inputUri]: input,
        [RUN_FIELDS.miniBatchSize]: '2',
        [RUN_FIELDS.errorThreshold]: '-1',
        [RUN_FIELDS.retryTimeout]: 'PT1M',
        [RUN_FIELDS.outputFileName]: 'digits.csv',
      }),
      view.private_metadata ?? '',
    );
    if (!result.ok) throw new Error(JSON.stringify(result.errors));
    expect(result.spec.settings).toEqual({ miniBatchSize: 2, errorThreshold: -1, outputFileName: 'digits.csv', retrySettings: { timeout: 'PT1M' } });
  });

  const fieldErrors: [string, Record<string, Entry>, string, RegExp][] = [
    ['no endpoint chosen', { [RUN_FIELDS.endpoint]: null }, RUN_FIELDS.endpoint, /endpoint name/],
    ['a deployment of another endpoint', { [RUN_FIELDS.deployment]: 'heart-batch/heart-xgb' }, RUN_FIELDS.deployment, /belongs to endpoint heart-batch/],
    ['an empty input', { [RUN_FIELDS.inputUri]: null }, RUN_FIELDS.inputUri, /Give the input/],
    ['an http input', { [RUN_FIELDS.inputUri]: 'http://example.com/x' }, RUN_FIELDS.inputUri, /^Plain http:\/\/ is not accepted; use https/],
    ['a folder given as a file', { [RUN_FIELDS.inputKind]: 'UriFile' }, RUN_FIELDS.inputUri, /must name a file/],
    ['an output on a public URL', { [RUN_FIELDS.outputUri]: 'https://example.com/o.csv' }, RUN_FIELDS.outputUri, /file on a datastore/],
    ['an output folder', { [RUN_FIELDS.outputUri]: 'azureml://datastores/ds/paths/out/' }, RUN_FIELDS.outputUri, /must name a file/],
    ['a SAS token in the input', { [RUN_FIELDS.inputUri]: 'https://a.blob.core.windows.net/c/x?sig=SECRET' }, RUN_FIELDS.inputUri, /secret/],
    ['a mini-batch size of 0', { [RUN_FIELDS.miniBatchSize]: '0' }, RUN_FIELDS.miniBatchSize, /^Mini-batch size must be at least 1/],
    ['an instance count of 1001', { [RUN_FIELDS.instanceCount]: '1001' }, RUN_FIELDS.instanceCount, /^Instance count must be at most 1000/],
    ['an error threshold of -5', { [RUN_FIELDS.errorThreshold]: '-5' }, RUN_FIELDS.errorThreshold, /^Error threshold must be at least -1/],
    ['a timeout that is not a duration', { [RUN_FIELDS.retryTimeout]: '30 seconds' }, RUN_FIELDS.retryTimeout, /ISO 8601 duration/],
    ['an output file name with a folder', { [RUN_FIELDS.outputFileName]: 'a/b.csv' }, RUN_FIELDS.outputFileName, /without "\/"/],
    [
      'an output file name next to an output file',
      { [RUN_FIELDS.outputUri]: 'azureml://datastores/ds/paths/out/p.csv', [RUN_FIELDS.outputFileName]: 'x.csv' },
      RUN_FIELDS.outputFileName,
      /already names the file/,
    ],
  ];

  it.each(fieldErrors)('puts the error for %s on its field', (_what, typed, field, message) => {
    const result = parseRunSubmission(
      submit(view, { [RUN_FIELDS.endpoint]: 'mnist-batch', [RUN_FIELDS.inputUri]: input, ...typed }),
      view.private_metadata ?? '',
    );
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect((result.errors as Record<string, string>)[field]).toMatch(message);
    expect(JSON.stringify(result.errors)).not.toContain('SECRET');
  });

  it('falls back to text fields when there are no endpoints or too many deployments to list', () => {
    const bare = buildRunModal({ endpoints: [], privateMetadata: metadata });
    expectModalLimits(bare);
    const types = blocksOf(bare).filter((b) => b.type === 'input').map((b) => (b.element as AnyObject).type);
    expect(types.slice(0, 5)).toEqual(['plain_text_input', 'plain_text_input', 'radio_buttons', 'plain_text_input', 'plain_text_input']);
    const many = buildRunModal({
      endpoints: Array.from({ length: 500 }, (_, i) => `endpoint-${i}`),
      deploymentsByEndpoint: Object.fromEntries(Array.from({ length: 500 }, (_, i) => [`endpoint-${i}`, ['a-1', 'b-2']])),
      privateMetadata: metadata,
    });
    expectModalLimits(many);
    const result = parseRunSubmission(
      submit(many, { [RUN_FIELDS.endpoint]: 'endpoint-7', [RUN_FIELDS.deployment]: 'b-2', [RUN_FIELDS.inputUri]: input }),
      many.private_metadata ?? '',
    );
    expect(result).toMatchObject({ ok: true, spec: { endpointName: 'endpoint-7', deploymentName: 'b-2' } });
  });

  it('refuses a submission with tampered metadata', () => {
    expect(parseRunSubmission(submit(view), '{}')).toMatchObject({ ok: false, errors: { endpoint: expect.stringMatching(/open it again/) } });
  });
});

describe('forms for one of several workspaces', () => {
  const label = ':label: Workspace *prod* · `ml-prod` · Azure China';
  const prodMetadata = { ...metadata, profile: 'prod' };

  it('show the workspace at the top, keep every field, and carry the profile to the submission', () => {
    const deploy = buildDeployModal({ privateMetadata: prodMetadata, workspaceLabel: label });
    const unlabelled = buildDeployModal({ privateMetadata: prodMetadata });
    expect(blocksOf(deploy)[0]).toMatchObject({ type: 'context' });
    expect(JSON.stringify(blocksOf(deploy)[0])).toContain('Workspace *prod*');
    expect(deploy.blocks.length).toBeLessThanOrEqual(SLACK_LIMITS.viewBlocks);
    expect(deploy.blocks.slice(1)).toEqual(unlabelled.blocks);
    const run = buildRunModal({ endpoints: ['prod-ep'], privateMetadata: prodMetadata, workspaceLabel: label });
    expect(JSON.stringify(blocksOf(run)[0])).toContain('Workspace *prod*');
    expect(decodeModalMetadata(run.private_metadata ?? '')).toEqual(prodMetadata);
  });

  it('refuse a profile that is not a profile name', () => {
    expect(decodeModalMetadata(JSON.stringify({ ...metadata, profile: 'Prod; drop' }))).toBeUndefined();
    expect(() => encodeModalMetadata({ ...metadata, profile: '../prod' })).toThrow(ModalMetadataError);
  });
});
