// Which workspace a request is for: the one it names if the channel may use it, else the channel's own;
// a refusal, never a guess, when the channel is bound to none of several.
import { channelsVariableOf, chooseWorkspace, workspacesOfChannel, type WorkspaceBinding } from '../../src/domain/workspace-binding';

const dev: WorkspaceBinding = { name: 'dev', channels: ['C0DEV', 'C0SHARED'] };
const prod: WorkspaceBinding = { name: 'prod', channels: ['C0PROD', 'C0SHARED'] };
const lab: WorkspaceBinding = { name: 'eu-lab', channels: [] };
const profiles = [dev, prod, lab];

describe('choosing the workspace of a request', () => {
  it("uses the channel's own workspace when the request names none", () => {
    expect(chooseWorkspace(profiles, { channelId: 'C0DEV' })).toEqual({ ok: true, name: 'dev' });
    expect(chooseWorkspace(profiles, { channelId: 'C0PROD' })).toEqual({ ok: true, name: 'prod' });
  });

  it('takes a workspace the request names when the channel is bound to it', () => {
    expect(chooseWorkspace(profiles, { channelId: 'C0SHARED', asked: 'prod' })).toEqual({ ok: true, name: 'prod' });
    expect(chooseWorkspace(profiles, { channelId: 'C0PROD', asked: 'prod' })).toEqual({ ok: true, name: 'prod' });
  });

  it('makes the first profile listing a channel its own, when two list it', () => {
    expect(workspacesOfChannel(profiles, 'C0SHARED')).toEqual(['dev', 'prod']);
    expect(chooseWorkspace(profiles, { channelId: 'C0SHARED' })).toEqual({ ok: true, name: 'dev' });
    expect(chooseWorkspace([prod, dev], { channelId: 'C0SHARED' })).toEqual({ ok: true, name: 'prod' });
  });

  it('refuses a workspace nobody configured, listing the ones there are', () => {
    expect(chooseWorkspace(profiles, { channelId: 'C0DEV', asked: 'staging' })).toEqual({
      ok: false,
      reason: 'unknown-workspace',
      message: 'There is no workspace `staging`. This bot serves `dev`, `prod`, `eu-lab`.',
    });
  });

  it("refuses a workspace this channel is not bound to, naming the channel's own and the variable that binds it", () => {
    const choice = chooseWorkspace(profiles, { channelId: 'C0DEV', asked: 'prod' });
    expect(choice).toEqual({
      ok: false,
      reason: 'not-bound-here',
      message:
        'Workspace `prod` is not bound to this channel, so it cannot be used here. This channel uses `dev`. ' +
        'Use a channel bound to `prod`, or ask an operator to add this channel to WORKSPACE_PROD_CHANNELS.',
    });
    const unbound = chooseWorkspace(profiles, { channelId: 'C0ELSE', asked: 'eu-lab' });
    expect(unbound).toMatchObject({ ok: false, reason: 'not-bound-here' });
    expect(unbound.ok ? '' : unbound.message).not.toContain('This channel uses');
    expect(unbound.ok ? '' : unbound.message).toContain('WORKSPACE_EU_LAB_CHANNELS');
  });

  it('refuses rather than guesses in a channel bound to none of several workspaces', () => {
    expect(chooseWorkspace(profiles, { channelId: 'C0ELSE' })).toEqual({
      ok: false,
      reason: 'channel-not-bound',
      message:
        "This channel is not bound to any of the bot's workspaces (`dev`, `prod`, `eu-lab`), so nothing was done. " +
        'Use a channel bound to the workspace you want, or ask an operator to add this channel to one of WORKSPACE_DEV_CHANNELS, WORKSPACE_PROD_CHANNELS, WORKSPACE_EU_LAB_CHANNELS.',
    });
  });

  it('lets a lone profile with no channel list serve every channel, as one workspace always did', () => {
    const only: WorkspaceBinding[] = [{ name: 'default', channels: [] }];
    expect(chooseWorkspace(only, { channelId: 'C0ANY' })).toEqual({ ok: true, name: 'default' });
    expect(chooseWorkspace(only, { channelId: 'C0ANY', asked: 'default' })).toEqual({ ok: true, name: 'default' });
    expect(chooseWorkspace(only, { channelId: 'C0ANY', asked: 'prod' })).toMatchObject({ ok: false, reason: 'unknown-workspace' });
  });

  it('keeps a lone profile with a channel list to its channels', () => {
    const only: WorkspaceBinding[] = [{ name: 'prod', channels: ['C0PROD'] }];
    expect(chooseWorkspace(only, { channelId: 'C0PROD' })).toEqual({ ok: true, name: 'prod' });
    expect(chooseWorkspace(only, { channelId: 'C0ELSE' })).toMatchObject({ ok: false, reason: 'channel-not-bound' });
  });

  it('names the channel variable of a profile as its configuration spells it', () => {
    expect(channelsVariableOf('prod')).toBe('WORKSPACE_PROD_CHANNELS');
    expect(channelsVariableOf('eu-west-2')).toBe('WORKSPACE_EU_WEST_2_CHANNELS');
  });
});
