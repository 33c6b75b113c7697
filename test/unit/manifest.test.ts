// manifest.yml, the Slack app manifest that creates the app: it must have the shape @slack/web-api gives
// the Manifest (dist/types/request/manifest.d.ts, used by apps.manifest.create/validate), declare the
// slash command, and grant exactly the bot scopes the code's Web API calls need, no more. The calls are
// found by scanning src/, so adding one without its scope (or dropping the last use of a scope) fails here.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { AppsManifestCreateArguments } from '@slack/web-api';
import { parse } from 'yaml';
import { z } from 'zod';
import { SLASH_COMMAND } from '../../src/bot';

type Manifest = AppsManifestCreateArguments['manifest'];
type BotScope = NonNullable<NonNullable<NonNullable<Manifest['oauth_config']>['scopes']>['bot']>[number];

const ROOT = path.resolve(__dirname, '..', '..');

/**
 * Web API method → the bot scopes it needs (Slack's method reference pages, "Required scopes"; bot token).
 * Methods needing none are listed with [] so that an unknown method still fails the test until looked up.
 */
const METHOD_SCOPES: Readonly<Record<string, readonly BotScope[]>> = {
  'auth.test': [],
  'chat.postMessage': ['chat:write'],
  'chat.update': ['chat:write'],
  'chat.postEphemeral': ['chat:write'],
  'chat.delete': ['chat:write'],
  'chat.getPermalink': [],
  'views.open': [],
  'views.update': [],
  'views.push': [],
  'views.publish': [],
  'usergroups.users.list': ['usergroups:read'],
  'usergroups.list': ['usergroups:read'],
  'users.info': ['users:read'],
  'users.list': ['users:read'],
  'users.lookupByEmail': ['users:read.email'],
  'conversations.info': ['channels:read', 'groups:read', 'im:read', 'mpim:read'],
  'conversations.members': ['channels:read', 'groups:read', 'im:read', 'mpim:read'],
  'conversations.join': ['channels:join'],
  'reactions.add': ['reactions:write'],
  'files.uploadV2': ['files:write'],
};

/**
 * Events API bot events → the scopes they need (Slack's event reference pages). app_home_opened needs none.
 * An event the code listens to and that is missing here fails the test until it is looked up.
 */
const EVENT_SCOPES: Readonly<Record<string, readonly BotScope[]>> = {
  app_home_opened: [],
};

/** Scopes a manifest feature needs by itself (Slack: "a slash command needs the commands scope"). */
const FEATURE_SCOPES = { slashCommands: 'commands' } as const satisfies Record<string, BotScope>;

const KNOWN_BOT_SCOPES = [
  ...new Set([...Object.values(METHOD_SCOPES).flat(), ...Object.values(FEATURE_SCOPES)]),
] as [BotScope, ...BotScope[]];

// ---- the parts of Manifest we use, as a zod schema (limits from the type's own doc comments) ----------

const httpsUrl = z.url({ protocol: /^https$/ });

const manifestSchema = z.strictObject({
  _metadata: z.strictObject({ major_version: z.number().int().min(1).max(2).optional(), minor_version: z.number().int().optional() }).optional(),
  display_information: z.strictObject({
    name: z.string().min(1).max(35),
    description: z.string().max(140).optional(),
    long_description: z.string().min(175).max(4000).optional(),
    background_color: z.string().regex(/^#([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$/).optional(),
  }),
  features: z.strictObject({
    bot_user: z.strictObject({ display_name: z.string().max(80).regex(/^[a-z0-9._-]+$/), always_online: z.boolean().optional() }),
    slash_commands: z
      .array(
        z.strictObject({
          command: z.string().max(32).regex(/^\/[a-z0-9_-]+$/),
          description: z.string().min(1).max(2000),
          should_escape: z.boolean().optional(),
          url: httpsUrl.optional(),
          usage_hint: z.string().max(1000).optional(),
        }),
      )
      .max(50),
    app_home: z
      .strictObject({ home_tab_enabled: z.boolean().optional(), messages_tab_enabled: z.boolean().optional(), messages_tab_read_only_enabled: z.boolean().optional() })
      .optional(),
  }),
  oauth_config: z.strictObject({
    scopes: z.strictObject({ bot: z.array(z.enum(KNOWN_BOT_SCOPES)).max(255) }),
  }),
  settings: z.strictObject({
    interactivity: z.strictObject({ is_enabled: z.boolean(), request_url: httpsUrl.optional() }),
    event_subscriptions: z
      .strictObject({ request_url: httpsUrl.optional(), bot_events: z.array(z.enum(['app_home_opened'])).max(100).optional() })
      .optional(),
    org_deploy_enabled: z.boolean().optional(),
    socket_mode_enabled: z.boolean().optional(),
    token_rotation_enabled: z.boolean().optional(),
  }),
});

// Type-level check (run by `npm run typecheck`): what the schema accepts is a Manifest @slack/web-api would send.
type ParsedManifest = z.infer<typeof manifestSchema>;
const assignableToManifest: ParsedManifest extends Manifest ? true : false = true;

// ---- the Web API methods the code calls ----------------------------------------------------------------

// admin.* is left out: those methods take an org admin's user token, never a bot's (and `sandbox.admin.…` is ours).
const METHOD_FAMILIES = 'api|apps|auth|bookmarks|bots|calls|chat|conversations|dialog|dnd|emoji|files|pins|reactions|reminders|search|stars|team|usergroups|users|views|workflows';
/** `client.chat.postMessage(`, `app.client.usergroups.users.list(`, … */
const METHOD_CALL = new RegExp(`\\.((?:${METHOD_FAMILIES})(?:\\.[a-zA-Z0-9]+)+)\\s*\\(`, 'g');
/** `client.apiCall('chat.postMessage', …)` */
const API_CALL = /\.apiCall\(\s*['"`]([a-zA-Z0-9.]+)['"`]/g;
/** Bolt's `say(…)` posts with chat.postMessage. */
const BOLT_SAY = /[({,]\s*say\s*[,}]/;

/** Source without comments: a method named in a comment is not a call. */
function withoutComments(source: string): string {
  return source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`\\])\/\/.*$/gm, '$1');
}

async function sourceFiles(dir: string): Promise<string[]> {
  const entries = await fs.readdir(dir, { withFileTypes: true });
  const nested = await Promise.all(
    entries.map((e) => (e.isDirectory() ? sourceFiles(path.join(dir, e.name)) : Promise.resolve(e.name.endsWith('.ts') ? [path.join(dir, e.name)] : []))),
  );
  return nested.flat();
}

export function webApiMethodsIn(source: string): string[] {
  const code = withoutComments(source);
  const found = new Set<string>();
  for (const m of code.matchAll(METHOD_CALL)) found.add(m[1] as string);
  for (const m of code.matchAll(API_CALL)) found.add(m[1] as string);
  if (BOLT_SAY.test(code)) found.add('chat.postMessage');
  return [...found];
}

let manifest: unknown;
/** method → files that call it */
const calls = new Map<string, string[]>();
/** Events API event types the code listens to (`app.event('…')`). */
const events = new Set<string>();
const APP_EVENT = /\.event\(\s*['"`]([a-z_.]+)['"`]/g;

beforeAll(async () => {
  manifest = parse(await fs.readFile(path.join(ROOT, 'manifest.yml'), 'utf8'));
  for (const file of await sourceFiles(path.join(ROOT, 'src'))) {
    const source = await fs.readFile(file, 'utf8');
    for (const m of withoutComments(source).matchAll(APP_EVENT)) events.add(m[1] as string);
    for (const method of webApiMethodsIn(source)) {
      calls.set(method, [...(calls.get(method) ?? []), path.relative(ROOT, file)]);
    }
  }
});

describe('manifest.yml', () => {
  it('has the shape of @slack/web-api’s Manifest', () => {
    const parsed = manifestSchema.safeParse(manifest);
    expect(parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`)).toEqual([]);
    expect(assignableToManifest).toBe(true);
  });

  it('declares the slash command the bot listens for, with a usage hint and unescaped text', () => {
    const { features } = manifestSchema.parse(manifest);
    const command = features.slash_commands.find((c) => c.command === SLASH_COMMAND);
    expect(command).toMatchObject({ url: 'https://YOUR-HOST/slack/events', should_escape: false });
    expect(command?.usage_hint).toMatch(/run <endpoint> <input-uri>/);
  });

  it('sends commands and interactions to the path Bolt’s HTTP receiver serves, with Socket Mode off', () => {
    const { settings, features } = manifestSchema.parse(manifest);
    expect(settings).toMatchObject({ interactivity: { is_enabled: true, request_url: features.slash_commands[0]?.url }, socket_mode_enabled: false });
  });

  it('grants every bot scope the code needs and none it does not', () => {
    const unknown = [...calls.keys()].filter((m) => !Object.hasOwn(METHOD_SCOPES, m));
    // A new Web API call: look up its "Required scopes" and add it to METHOD_SCOPES.
    expect(unknown.map((m) => `${m} (${calls.get(m)?.join(', ')})`)).toEqual([]);
    const { oauth_config, features } = manifestSchema.parse(manifest);
    const needed = new Set<string>([...calls.keys()].flatMap((m) => METHOD_SCOPES[m] ?? []));
    if (features.slash_commands.length > 0) needed.add(FEATURE_SCOPES.slashCommands);
    for (const event of events) for (const scope of EVENT_SCOPES[event] ?? []) needed.add(scope);
    expect([...oauth_config.scopes.bot].sort()).toEqual([...needed].sort());
  });

  it('subscribes to exactly the bot events the code listens to, on the receiver’s path, with the Home tab on', () => {
    const { settings, features } = manifestSchema.parse(manifest);
    expect([...events].filter((e) => !Object.hasOwn(EVENT_SCOPES, e))).toEqual([]);
    expect([...(settings.event_subscriptions?.bot_events ?? [])].sort()).toEqual([...events].sort());
    expect(settings.event_subscriptions?.request_url).toBe(features.slash_commands[0]?.url);
    expect(events.has('app_home_opened')).toBe(true);
    expect(features.app_home?.home_tab_enabled).toBe(true);
  });

  it('finds the calls the bot makes today', () => {
    expect([...calls.keys()].sort()).toEqual(
      expect.arrayContaining(['auth.test', 'chat.postEphemeral', 'chat.postMessage', 'chat.update', 'usergroups.users.list', 'views.open']),
    );
  });
});

describe('finding Web API calls', () => {
  it('reads calls through any client variable, apiCall and Bolt’s say, but not comments', () => {
    const source = [
      "await app.client.usergroups.users.list({ usergroup: 'S1' });",
      'await slack.chat.update({ channel, ts });',
      "await client.apiCall('reactions.add', { name: 'x' });",
      'app.command("/x", async ({ ack, say }) => { await say("hi"); });',
      '// client.users.info({ user }) is not called',
      "const url = new URL('https://slack.com/api/chat.delete'); url.searchParams.set('a', 'b');",
    ].join('\n');
    expect(webApiMethodsIn(source).sort()).toEqual(['chat.postMessage', 'chat.update', 'reactions.add', 'usergroups.users.list']);
  });
});
