import { depsInWorkspace, labelledResponse, labelledText, profileOf, requesterIn, workspaceForChannel, workspaceNamed, type BotWorkspace } from '../../src/handlers/bot-workspaces';
import type { BotDeps } from '../../src/handlers/bot-deps';
import { buildHomeView } from '../../src/slack/home/home-view';

const DEV_LABEL = ':label: Workspace *dev* · `ml-dev` · Azure';

/** A profile as the listeners see it; the stores are stand-ins the functions here never call. */
function workspace(name: string, channels: string[], extra: Partial<BotWorkspace> = {}): BotWorkspace {
  return {
    name,
    channels,
    policy: { approvers: [`U0${name.toUpperCase()}APPR`] } as unknown as BotWorkspace['policy'],
    intake: { name } as unknown as BotWorkspace['intake'],
    endpoints: { name } as unknown as BotWorkspace['endpoints'],
    locks: { name } as unknown as BotWorkspace['locks'],
    ...extra,
  };
}

const dev = workspace('dev', ['C0DEV', 'C0SHARED'], { label: DEV_LABEL });
const prod = workspace('prod', ['C0PROD', 'C0SHARED'], { label: ':label: Workspace *prod* · `ml-prod` · Azure China' });
const several = { workspaces: [dev, prod] };
const single = { workspaces: [workspace('default', [])] };
const alice = { userId: 'U0ALICE001', teamId: 'T0TEAM0001', channelId: 'C0DEV' };

describe('which workspace a Slack request is for', () => {
  it('is the channel’s own, or the one asked for when this channel is bound to it', () => {
    expect(workspaceForChannel(several, { channelId: 'C0PROD' })).toEqual({ ok: true, workspace: prod });
    expect(workspaceForChannel(several, { channelId: 'C0SHARED' })).toEqual({ ok: true, workspace: dev });
    expect(workspaceForChannel(several, { channelId: 'C0SHARED', asked: 'prod' })).toEqual({ ok: true, workspace: prod });
  });

  it('refuses a channel bound to none, a workspace not bound here and one that does not exist', () => {
    expect(workspaceForChannel(several, { channelId: 'C0OTHER' })).toMatchObject({ ok: false, reason: 'channel-not-bound' });
    expect(workspaceForChannel(several, { channelId: 'C0DEV', asked: 'prod' })).toMatchObject({ ok: false, reason: 'not-bound-here' });
    expect(workspaceForChannel(several, { channelId: 'C0DEV', asked: 'staging' })).toMatchObject({ ok: false, reason: 'unknown-workspace' });
  });

  it('with one workspace and no channel list, serves every channel', () => {
    expect(workspaceForChannel(single, { channelId: 'C0ANYWHERE' })).toMatchObject({ ok: true, workspace: { name: 'default' } });
  });

  it('reads a stored request’s profile, absent meaning the first, and knows no removed one', () => {
    expect(workspaceNamed(several, 'prod')).toBe(prod);
    expect(workspaceNamed(several, undefined)).toBe(dev);
    expect(workspaceNamed(several, 'staging')).toBeUndefined();
  });
});

describe('what a request carries of its workspace', () => {
  it('stores the profile with several workspaces and leaves payloads as they were with one', () => {
    expect(requesterIn(several, alice, prod)).toEqual({ ...alice, profile: 'prod' });
    expect(requesterIn(single, alice, single.workspaces[0] as BotWorkspace)).toEqual(alice);
    expect(profileOf({ ...alice, profile: 'prod' })).toEqual({ profile: 'prod' });
    expect(profileOf(alice)).toEqual({});
  });

  it('takes the listeners’ policy, intake, directory and locks from the workspace', () => {
    const base = { workspaces: [dev, prod], policy: dev.policy, intake: dev.intake, endpoints: dev.endpoints, locks: dev.locks, commandName: '/batch-score' } as unknown as BotDeps;
    const scoped = depsInWorkspace(base, prod);
    expect(scoped).toMatchObject({ policy: prod.policy, intake: prod.intake, endpoints: prod.endpoints, locks: prod.locks, commandName: '/batch-score' });
    expect(scoped.workspaces).toBe(base.workspaces);
  });
});

describe('the workspace label on answers', () => {
  it('adds the label under text and after blocks, and leaves answers alone without one', () => {
    expect(labelledText(':inbox_tray: queued', dev)).toBe(`:inbox_tray: queued\n${DEV_LABEL}`);
    expect(labelledText(':inbox_tray: queued', undefined)).toBe(':inbox_tray: queued');
    expect(labelledText(':inbox_tray: queued', single.workspaces[0])).toBe(':inbox_tray: queued');

    const answer = { response_type: 'ephemeral' as const, text: 'hi', blocks: [{ type: 'section' as const, text: { type: 'mrkdwn' as const, text: 'hi' } }] };
    const labelled = labelledResponse(answer, dev);
    expect(labelled.blocks).toHaveLength(2);
    expect(JSON.stringify(labelled.blocks?.[1])).toContain('Workspace *dev*');
    expect(labelledResponse(answer, single.workspaces[0])).toBe(answer);
    expect(labelledResponse('plain', dev)).toBe(`plain\n${DEV_LABEL}`);
    // An empty acknowledgement (a form opens next) stays empty.
    expect(labelledResponse(undefined, dev)).toBeUndefined();
  });
});

describe('the Home tab with several workspaces', () => {
  it('lists each workspace’s endpoints and locks under its label, and labels approvals', () => {
    const view = buildHomeView({
      endpoints: [],
      locks: [],
      requests: [],
      approvals: [{ id: 'a1', requesterId: 'U0ALICE001', subject: { kind: 'command', command: { verb: 'delete', endpointName: 'ep' } }, expiresAt: 0, workspaceLabel: DEV_LABEL }],
      workspaces: [
        { label: DEV_LABEL, endpoints: [{ name: 'dev-ep', defaultDeployment: 'blue', deployments: ['blue'] }], locks: [] },
        { label: 'PROD-LABEL', endpoints: [], locks: [{ endpointName: 'prod-ep', lockedBy: 'U0CAROL001', lockedAt: 0 }] },
      ],
    });
    const json = JSON.stringify(view.blocks);
    expect(json).toContain('*Endpoints* (1)');
    expect(json).toContain('*Locks* (1)');
    const order = ['Waiting for your decision', DEV_LABEL, '`dev-ep`', 'PROD-LABEL', 'No batch endpoints known yet', 'PROD-LABEL', '`prod-ep`'].map((s) => JSON.stringify(s).slice(1, -1));
    let at = 0;
    for (const needle of order) {
      const found = json.indexOf(needle, at);
      expect(found).toBeGreaterThanOrEqual(0);
      at = found + 1;
    }
  });
});
