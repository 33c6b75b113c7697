// Which of the bot's workspaces a request is for: the one it names (`--workspace prod`) if this channel
// may use it, else the channel's own. A channel is bound to a workspace by that profile's channel list
// (WORKSPACE_<NAME>_CHANNELS); the first profile listing it is its own. A lone profile with no list
// serves every channel, which is how an installation with one workspace behaves. With several, a
// channel nobody bound gets a refusal that says how to bind it, never a guess: a guess could send a
// production change to the wrong cloud.

/** What choosing needs of a profile. */
export interface WorkspaceBinding {
  name: string;
  channels: readonly string[];
}

export type WorkspaceChoice =
  | { ok: true; name: string }
  | { ok: false; reason: 'unknown-workspace' | 'not-bound-here' | 'channel-not-bound'; message: string };

/** `prod` → `WORKSPACE_PROD_CHANNELS`, the variable that binds channels to it. */
export function channelsVariableOf(name: string): string {
  return `WORKSPACE_${name.toUpperCase().replace(/-/g, '_')}_CHANNELS`;
}

/**
 * A profile by its name. A request (or CLI command) that names none is for the first: requests queued
 * before profiles existed were for the one workspace there was, which is the first.
 */
export function workspaceByName<P extends { name: string }>(profiles: readonly P[], name: string | undefined): P | undefined {
  return name === undefined ? profiles[0] : profiles.find((p) => p.name === name);
}

const listed = (names: readonly string[]): string => names.map((n) => `\`${n}\``).join(', ');

function servesChannel(profiles: readonly WorkspaceBinding[], profile: WorkspaceBinding, channelId: string): boolean {
  return profile.channels.includes(channelId) || (profiles.length === 1 && profile.channels.length === 0);
}

/** The workspaces this channel may use, its own first. */
export function workspacesOfChannel(profiles: readonly WorkspaceBinding[], channelId: string): string[] {
  return profiles.filter((p) => servesChannel(profiles, p, channelId)).map((p) => p.name);
}

export function chooseWorkspace(profiles: readonly WorkspaceBinding[], input: { channelId: string; asked?: string }): WorkspaceChoice {
  const here = workspacesOfChannel(profiles, input.channelId);
  if (input.asked !== undefined) {
    const profile = profiles.find((p) => p.name === input.asked);
    if (!profile) {
      return {
        ok: false,
        reason: 'unknown-workspace',
        message: `There is no workspace \`${input.asked}\`. This bot serves ${listed(profiles.map((p) => p.name))}.`,
      };
    }
    if (!here.includes(profile.name)) {
      return {
        ok: false,
        reason: 'not-bound-here',
        message:
          `Workspace \`${profile.name}\` is not bound to this channel, so it cannot be used here. ` +
          (here.length > 0 ? `This channel uses ${listed(here)}. ` : '') +
          `Use a channel bound to \`${profile.name}\`, or ask an operator to add this channel to ${channelsVariableOf(profile.name)}.`,
      };
    }
    return { ok: true, name: profile.name };
  }
  const own = here[0];
  if (own !== undefined) return { ok: true, name: own };
  return {
    ok: false,
    reason: 'channel-not-bound',
    message:
      `This channel is not bound to any of the bot's workspaces (${listed(profiles.map((p) => p.name))}), so nothing was done. ` +
      `Use a channel bound to the workspace you want, or ask an operator to add this channel to one of ${profiles.map((p) => channelsVariableOf(p.name)).join(', ')}.`,
  };
}
