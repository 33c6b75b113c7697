// The Slack Web API stand-in: a loopback HTTP server that answers the Web API methods the bot uses
// (POST {apiUrl}{method}, as @slack/web-api's WebClient calls them when given `slackApiUrl`) and hosts
// response_urls (POST {baseUrl}/response/{id}). It keeps what was said so tests and the demo can read
// the channel as a person would, and it can throttle or fail on demand.
// Independent of src/ by design: a bug shared by the bot and its stand-in could not be caught.
import type { PublishedHome } from './home-tabs';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { StoredMessage } from './conversation-store';
import { createFaultPlan, type FaultPlan } from './fault-plan';
import { createLatency, type LatencyRange } from './latency';
import { createChannelRateLimiter, type RateLimitOptions } from './rate-limiter';
import { createMethodRateLimiter, type MethodRateLimitOptions } from './method-tiers';
import { createResponseUrls, type ResponseUrlSource } from './response-urls';
import { startSocketModeServer, type SocketModeServer } from './socket-mode-server';
import { createStandInContext, type ResponseUrlPost, type StandInEvent } from './stand-in-context';
import { applyViewResponse, type ViewSubmissionOutcome } from './view-response-action';
import type { StoredView } from './view-store';
import { createWebApiMethods, RateLimited, SlackApiError } from './web-api-methods';
import { parseWebApiArgs, readRawBody, RequestTooLarge } from './web-api-request';
import {
  createWorkspace,
  SlackChannelSchema,
  type SlackChannel,
  type SlackUser,
  type SlackUsergroup,
  type WorkspaceChannel,
  type WorkspaceUser,
} from './workspace';

export type { StoredMessage } from './conversation-store';
export type { FaultAnswer, FaultPlan } from './fault-plan';
export type { RateLimitOptions } from './rate-limiter';
export type { MethodRateLimitOptions } from './method-tiers';
export { METHOD_TIERS, TIER_PER_MINUTE } from './method-tiers';
export type { LatencyRange } from './latency';
export type { ResponseUrlSource } from './response-urls';
export type { DeliveryResult, EnvelopeRecord, SocketModeConnectionInfo, SocketModeServer } from './socket-mode-server';
export type { ResponseUrlPost, StandInEvent } from './stand-in-context';
export type { ViewSubmissionOutcome } from './view-response-action';
export type { SlackViewObject, StoredView } from './view-store';
export type { SlackChannel, SlackUser, SlackUsergroup, WorkspaceChannel, WorkspaceUser } from './workspace';
export { CONVERSATION_TYPES, DEFAULT_CHANNELS, DEFAULT_USERGROUPS, DEFAULT_USERS, type ConversationType } from './workspace';

export interface SlackStandInOptions {
  /** Loopback port; 0 or absent picks a free one. */
  port?: number;
  botToken?: string;
  teamId?: string;
  users?: SlackUser[];
  channels?: SlackChannel[];
  usergroups?: SlackUsergroup[];
  /** chat.postMessage per-channel pacing: 'enforce' answers 429, 'count' only counts breaches. */
  rateLimit?: RateLimitOptions;
  /**
   * Every other method's tier limit (method-tiers.ts), answered with 429 + Retry-After. The mode defaults
   * to rateLimit's, so a stack that only counts chat.postMessage breaches only counts these too.
   */
  methodRateLimit?: MethodRateLimitOptions;
  /**
   * 'free': a workspace without user groups (a paid-plan feature): usergroups.* answer
   * plan_upgrade_required (a guess at the exact code, see docs/sandbox-fidelity.md).
   */
  plan?: 'free' | 'paid';
  /** Every Web API and response_url answer waits this long first (Slack is across the internet). */
  latency?: LatencyRange;
  /** Milliseconds since the epoch; inject to test trigger and response_url expiry without waiting. */
  now?: () => number;
  /** The app-level token (xapp-…) apps.connections.open accepts, for Socket Mode. */
  appToken?: string;
}

export interface CallLogEntry {
  method: string;
  /** Arguments as decoded (blocks and view parsed from JSON); the token is never recorded. */
  args: Record<string, unknown>;
  ok: boolean;
  error?: string;
  /** HTTP status answered: 200, or 429/500 when throttled or failing. */
  status: number;
  at: number;
}

export interface SlackStandIn {
  /** What the bot's WebClient gets as `slackApiUrl`: 'http://127.0.0.1:N/api/'. */
  apiUrl: string;
  /** 'http://127.0.0.1:N'; response_urls live under `${baseUrl}/response/`. */
  baseUrl: string;
  botToken: string;
  teamId: string;
  teamDomain: string;
  botUserId: string;
  botId: string;
  appId: string;
  /** Socket Mode (socket-mode-server.ts): connections, envelopes, refreshes, and the driver's relay URL. */
  socketMode: SocketModeServer;

  /** Top-level messages of a channel (and thread replies broadcast to it), oldest first. */
  messages(channel: string): StoredMessage[];
  /** A thread: its parent, then the replies. */
  thread(channel: string, threadTs: string): StoredMessage[];
  ephemerals(channel?: string, user?: string): StoredMessage[];
  /** A channel message or an ephemeral by ts (ephemerals are looked up when `channel` has no such message). */
  message(channel: string, ts: string): StoredMessage | undefined;
  views(): StoredView[];
  view(viewId: string): StoredView | undefined;
  /** The Home tab the app last published for `user` (views.publish). */
  homeTab(user: string): PublishedHome | undefined;
  responseUrlPosts(): ResponseUrlPost[];
  user(id: string): WorkspaceUser | undefined;
  channel(id: string): WorkspaceChannel | undefined;

  // What people do in the workspace, outside the app's reach.
  /** Someone types `/invite @batch-score` in the conversation (or adds the app in its settings). */
  invite(channelId: string): void;
  /** Someone removes the app from the conversation. */
  removeBot(channelId: string): void;
  /** Someone archives the channel. */
  archive(channelId: string): void;
  /**
   * The bot token stops working: revoked (auth.revoke, a reinstall that rotates it: `token_revoked`) or
   * the app or its bot user deactivated (`account_inactive`). Every Web API call with it answers that
   * error from then on (HTTP 200, ok:false), as Slack's methods document; `restoreToken` undoes it.
   */
  revokeToken(error?: 'token_revoked' | 'account_inactive'): void;
  restoreToken(): void;
  /** Someone changes who is in a user group (an admin removes an approver, say). */
  setUsergroupUsers(groupId: string, users: string[]): void;
  /** A conversation comes to exist: a new channel, a DM between two people, a group DM. */
  addConversation(channel: SlackChannel): WorkspaceChannel;

  /** Every post/update/delete, ephemeral, view change and response_url post as it happens. */
  onEvent(listener: (event: StandInEvent) => void): () => void;
  faults: FaultPlan;
  callLog: CallLogEntry[];
  /** chat.postMessage calls beyond the per-channel allowance (counted in 'enforce' and 'count' modes). */
  rateBreaches(): number;
  /** Calls beyond each other method's tier allowance (counted in 'enforce' and 'count' modes). */
  methodRateBreaches(): Record<string, number>;

  /** A trigger_id as an interaction by `user` would carry (valid 3 s, one views.open/push). */
  issueTriggerId(user?: string): string;
  /** A response_url for an interaction in `channel` by `user`; `source` is the message a button was on. */
  issueResponseUrl(channel: string, user: string, source?: ResponseUrlSource): string;

  // What Slack itself does with the bot's acknowledgements; the driver calls these.
  /** A slash command's ack body is shown like a response_url message (ephemeral unless in_channel). */
  deliverAck(channel: string, user: string, body: unknown): StoredMessage | undefined;
  /** Apply the bot's answer to a view_submission (close, errors, update, push, clear). */
  applyViewResponse(viewId: string, body: unknown): ViewSubmissionOutcome;
  /** The user closed the modal (the X or Cancel). */
  closeView(viewId: string): StoredView[];

  stop(): Promise<void>;
}

const SCOPES = 'chat:write,commands,users:read,usergroups:read,channels:read,groups:read,im:read,mpim:read,im:write';

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(payload),
    ...headers,
  });
  res.end(payload);
}

export async function startSlackStandIn(opts: SlackStandInOptions = {}): Promise<SlackStandIn> {
  const now = opts.now ?? Date.now;
  const botToken = opts.botToken ?? 'xoxb-sandbox-0000000000-standin';
  const workspace = createWorkspace({
    teamId: opts.teamId ?? 'T0SANDBOX01',
    ...(opts.users ? { users: opts.users } : {}),
    ...(opts.channels ? { channels: opts.channels } : {}),
    ...(opts.usergroups ? { usergroups: opts.usergroups } : {}),
  });
  const ctx = createStandInContext(workspace, now);
  const rateLimiter = createChannelRateLimiter(opts.rateLimit, now);
  const methodLimiter = createMethodRateLimiter({ mode: opts.rateLimit?.mode ?? 'enforce', ...opts.methodRateLimit }, now);
  let tokenRefusal: 'token_revoked' | 'account_inactive' | undefined;
  const faults = createFaultPlan();
  const methods = createWebApiMethods(ctx, rateLimiter, { plan: opts.plan ?? 'paid' });
  const callLog: CallLogEntry[] = [];
  const latency = createLatency(opts.latency);
  let baseUrl = '';
  const responseUrls = createResponseUrls(ctx, () => baseUrl);
  const socketMode = await startSocketModeServer({ appToken: opts.appToken ?? 'xapp-1-A0SANDBOX-standin', appId: workspace.appId, otherTokens: [botToken] });

  const handleApi = async (req: IncomingMessage, res: ServerResponse, method: string) => {
    const raw = await readRawBody(req);
    await latency.wait();
    const parsed = parseWebApiArgs(req, raw);
    const args = parsed.ok ? parsed.args : {};
    const log = (status: number, error?: string) =>
      callLog.push({ method, args, ok: status === 200 && error === undefined, status, at: now(), ...(error !== undefined ? { error } : {}) });
    const fail = (error: string, messages: string[] = []) => {
      log(200, error);
      sendJson(res, 200, { ok: false, error, ...(messages.length ? { response_metadata: { messages } } : {}) });
    };

    const fault = faults.take(method);
    if (fault) {
      if ('error' in fault) return fail(fault.error);
      if (fault.status === 429) {
        log(429, 'ratelimited');
        return sendJson(res, 429, { ok: false, error: 'ratelimited' }, { 'retry-after': String(fault.retryAfterSec) });
      }
      log(500, 'internal_error');
      res.writeHead(500, { 'content-type': 'text/plain' });
      return res.end('Internal Server Error');
    }
    if (!parsed.ok) return fail(parsed.error);
    // Socket Mode: the one method called with the app-level token instead of the bot token.
    if (method === 'apps.connections.open') {
      const answer = socketMode.openConnection(parsed.token);
      if (!answer.ok) return fail(answer.error);
      log(200);
      return sendJson(res, 200, answer);
    }
    const handler = methods[method];
    if (!handler) return fail('unknown_method');
    if (parsed.token === undefined) return fail('not_authed');
    if (parsed.token !== botToken) return fail('invalid_auth');
    if (tokenRefusal !== undefined) return fail(tokenRefusal);
    const allowed = methodLimiter.take(method);
    if (!allowed.allowed) {
      log(429, 'ratelimited');
      return sendJson(res, 429, { ok: false, error: 'ratelimited' }, { 'retry-after': String(allowed.retryAfterSec) });
    }
    try {
      const body = handler(args);
      log(200);
      sendJson(res, 200, body, { 'x-oauth-scopes': SCOPES });
    } catch (error) {
      if (error instanceof SlackApiError) return fail(error.code, error.messages);
      if (error instanceof RateLimited) {
        log(429, 'ratelimited');
        return sendJson(res, 429, { ok: false, error: 'ratelimited' }, { 'retry-after': String(error.retryAfterSec) });
      }
      throw error;
    }
  };

  const handleResponseUrl = async (req: IncomingMessage, res: ServerResponse, id: string) => {
    const raw = await readRawBody(req);
    await latency.wait();
    let body: unknown;
    try {
      body = raw.length ? JSON.parse(raw) : {};
    } catch {
      res.writeHead(400, { 'content-type': 'text/plain' });
      return res.end('invalid_payload');
    }
    const answer = responseUrls.post(id, body);
    res.writeHead(answer.status, { 'content-type': 'text/plain' });
    res.end(answer.body);
  };

  const server = http.createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://stand-in').pathname;
    const api = path.match(/^\/api\/([A-Za-z0-9_.]+)$/);
    const responseUrl = path.match(/^\/response\/([a-f0-9]+)$/);
    const route =
      api && (req.method === 'POST' || req.method === 'GET')
        ? handleApi(req, res, api[1] ?? '')
        : responseUrl && req.method === 'POST'
          ? handleResponseUrl(req, res, responseUrl[1] ?? '')
          : undefined;
    if (!route) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found');
      return;
    }
    route.catch((error: unknown) => {
      if (res.headersSent) return res.destroy();
      const tooLarge = error instanceof RequestTooLarge;
      res.writeHead(tooLarge ? 413 : 500, { 'content-type': 'text/plain' });
      res.end(tooLarge ? 'request too large' : `stand-in error: ${error instanceof Error ? error.message : String(error)}`);
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  baseUrl = `http://127.0.0.1:${port}`;
  const conversation = (id: string): WorkspaceChannel => {
    const found = workspace.channels.get(id);
    if (!found) throw new Error(`no conversation ${id} in the stand-in's workspace`);
    return found;
  };
  const firstHuman = [...workspace.users.values()].find((u) => !u.isBot)?.id ?? workspace.botUserId;

  return {
    apiUrl: `${baseUrl}/api/`,
    baseUrl,
    botToken,
    teamId: workspace.teamId,
    teamDomain: workspace.teamDomain,
    botUserId: workspace.botUserId,
    botId: workspace.botId,
    appId: workspace.appId,
    socketMode,
    messages: (channel) => ctx.conversations.history(channel),
    thread: (channel, threadTs) => ctx.conversations.thread(channel, threadTs),
    ephemerals: (channel, user) => ctx.conversations.ephemerals(channel, user),
    message: (channel, ts) => ctx.conversations.find(channel, ts) ?? ctx.conversations.findEphemeral(ts),
    views: () => ctx.views.all(),
    view: (viewId) => ctx.views.get(viewId),
    homeTab: (user) => ctx.homeTabs.get(user),
    responseUrlPosts: () => responseUrls.posts(),
    user: (id) => workspace.users.get(id),
    channel: (id) => workspace.channels.get(id),
    invite: (channelId) => {
      conversation(channelId).botIsMember = true;
    },
    removeBot: (channelId) => {
      conversation(channelId).botIsMember = false;
    },
    archive: (channelId) => {
      conversation(channelId).isArchived = true;
    },
    revokeToken: (error = 'token_revoked') => {
      tokenRefusal = error;
    },
    restoreToken: () => {
      tokenRefusal = undefined;
    },
    setUsergroupUsers: (groupId, users) => {
      const group = workspace.usergroups.get(groupId);
      if (!group) throw new Error(`no user group ${groupId} in the stand-in's workspace`);
      group.users = [...users];
    },
    addConversation: (channel) => {
      const parsed = SlackChannelSchema.parse(channel);
      workspace.channels.set(parsed.id, parsed);
      return parsed;
    },
    onEvent: (listener) => ctx.onEvent(listener),
    faults,
    callLog,
    rateBreaches: () => rateLimiter.breaches(),
    methodRateBreaches: () => methodLimiter.breaches(),
    issueTriggerId: (user) => ctx.triggers.issue(user ?? firstHuman),
    issueResponseUrl: (channel, user, source) => responseUrls.issue(channel, user, source),
    deliverAck: (channel, user, body) => responseUrls.deliverAck(channel, user, body),
    applyViewResponse: (viewId, body) => applyViewResponse(ctx, viewId, body),
    closeView(viewId) {
      const closed = ctx.views.close(viewId);
      for (const v of closed) ctx.emit({ type: 'view_closed', view: v });
      return closed;
    },
    stop: async () => {
      await socketMode.stop();
      await new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      });
    },
  };
}
