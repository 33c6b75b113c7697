// The signed driver: plays a person in Slack against the bot's real HTTP endpoint. Each gesture sends
// the request Slack would send (signed as Slack signs, see request-signature.ts), with a fresh
// trigger_id and response_url from the stand-in, and then does what Slack does with the bot's
// acknowledgement (shows a slash command's reply, closes or updates a modal).
import { appHomeOpenedEnvelope, homeBlockActionsPayload } from './home-tabs';
import { SlackDriverError } from './driver-errors';
import type { SlackStandIn } from './index';
import {
  blockActionsPayload,
  interactionBody,
  slashCommandBody,
  viewClosedPayload,
  viewSubmissionPayload,
  type Actor,
  type ButtonElement,
} from './interaction-payloads';
import { signedHeaders } from './request-signature';
import type { ViewSubmissionOutcome } from './view-response-action';
import { toViewObject, type StoredView } from './view-store';
import { fillStateValues, type FieldValue, type StateValues } from './view-state-values';
import { waitFor } from './wait-for';
import { createLatency, type LatencyRange } from './latency';
import { slashChannelName } from './workspace';
import { formatSlashText } from './slash-text';

export { SlackDriverError, type SlackDriverErrorCode } from './driver-errors';
export { WaitTimeout } from './wait-for';
export { escapeSlackText, formatSlashText } from './slash-text';
export type { FieldValue, StateValues } from './view-state-values';

export interface SlackDriverOptions {
  /** The bot's request URL, e.g. http://127.0.0.1:P/slack/events (Bolt's default path). */
  botUrl: string;
  signingSecret: string;
  standIn: SlackStandIn;
  teamId?: string;
  /** Milliseconds since the epoch, for the request timestamp. */
  now?: () => number;
  /** Slack's own transit before each delivery reaches the bot (not counted in durationMs). */
  deliveryLatency?: LatencyRange;
  /** Per-request timeout; Slack itself gives up after 3 s, the driver waits longer to report slowness. */
  requestTimeoutMs?: number;
}

export interface DriverResponse {
  status: number;
  /** Parsed JSON when the bot answered JSON, the text otherwise, undefined when empty. */
  body: unknown;
  durationMs: number;
}

export interface SlashResponse extends DriverResponse {
  triggerId: string;
  responseUrl: string;
}

export interface ViewSubmissionResponse extends DriverResponse {
  /** What Slack did with the answer: closed the modal, showed errors, updated, pushed. */
  outcome: ViewSubmissionOutcome;
}

export interface As {
  user: string;
}

export interface SlackDriver {
  /**
   * The person types `text` after the command; Slack sends it escaped and with its links wrapped
   * (slash-text.ts). `raw: true` sends `text` byte for byte instead (a forged or replayed request).
   */
  slash(text: string, as: { user: string; channel: string; command?: string; raw?: boolean }): Promise<SlashResponse>;
  clickButton(msg: { channel: string; ts: string }, actionId: string, as: As): Promise<DriverResponse>;
  submitView(viewId: string, values: StateValues, as: As): Promise<ViewSubmissionResponse>;
  /** Fill inputs by block_id, action_id or label (value converted for the element type), then submit. */
  fillAndSubmit(viewId: string, fields: Record<string, FieldValue>, as: As): Promise<ViewSubmissionResponse>;
  /** The user opens the app's Home tab: an Events API app_home_opened, JSON and signed like every request. */
  openAppHome(as: As): Promise<DriverResponse>;
  /** A click on a button of the user's Home tab (block_actions from a view: no response_url). */
  clickHomeButton(key: string, as: As & { value?: string }): Promise<DriverResponse>;
  /** Close the modal; the bot hears of it (view_closed) only when the view asked with notify_on_close. */
  closeView(viewId: string, as: As): Promise<DriverResponse | null>;
  /** Headers Slack would send with this body; override the timestamp or secret for security tests. */
  signed(body: string, opts?: { timestamp?: number; secret?: string }): { headers: Record<string, string> };
  /** POST a body with the given headers to the bot as is (replay, tamper, missing headers). */
  postRaw(body: string, headers: Record<string, string>): Promise<DriverResponse>;
  waitFor<T>(probe: () => T | undefined | false | null, opts?: { timeoutMs?: number; what?: string }): Promise<T>;
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function findButton(blocks: unknown[], key: string): { blockId: string; button: ButtonElement } | undefined {
  const candidates: { blockId: string; button: ButtonElement }[] = [];
  for (const block of blocks.filter(isObject)) {
    const elements = block.type === 'actions' && Array.isArray(block.elements) ? block.elements : [block.accessory];
    for (const el of elements) {
      if (isObject(el) && el.type === 'button') candidates.push({ blockId: String(block.block_id), button: el as unknown as ButtonElement });
    }
  }
  return (
    candidates.find((c) => c.button.action_id === key) ??
    candidates.find((c) => c.button.text.text.toLowerCase() === key.toLowerCase())
  );
}

function listButtons(blocks: unknown[]): string {
  return blocks
    .filter(isObject)
    .flatMap((b) => (b.type === 'actions' && Array.isArray(b.elements) ? b.elements : [b.accessory]))
    .filter((el): el is Json => isObject(el) && el.type === 'button')
    .map((el) => `${String(el.action_id)} [${String((el.text as Json | undefined)?.text)}]`)
    .join(', ');
}

export function createSlackDriver(opts: SlackDriverOptions): SlackDriver {
  const { standIn, signingSecret } = opts;
  const now = opts.now ?? Date.now;
  const teamId = opts.teamId ?? standIn.teamId;
  const timeoutMs = opts.requestTimeoutMs ?? 10_000;

  const actor = (userId: string): Actor => {
    const user = standIn.user(userId);
    if (!user) throw new SlackDriverError('unknown_user', `no user ${userId} in the stand-in's workspace`);
    return {
      teamId,
      teamDomain: standIn.teamDomain,
      apiAppId: standIn.appId,
      verificationToken: 'sandbox-verification-token',
      user: { id: user.id, name: user.name },
    };
  };

  const signed: SlackDriver['signed'] = (body, o = {}) => ({
    headers: signedHeaders(o.secret ?? signingSecret, o.timestamp ?? Math.floor(now() / 1000), body),
  });

  const transit = createLatency(opts.deliveryLatency);
  const postRaw: SlackDriver['postRaw'] = async (body, headers) => {
    await transit.wait();
    const started = performance.now();
    const res = await fetch(opts.botUrl, { method: 'POST', headers, body, signal: AbortSignal.timeout(timeoutMs) });
    const text = await res.text();
    const durationMs = performance.now() - started;
    let parsed: unknown = text.length ? text : undefined;
    if (text.length && (res.headers.get('content-type') ?? '').includes('application/json')) {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = text;
      }
    }
    return { status: res.status, body: parsed, durationMs };
  };

  const send = (body: string) => postRaw(body, signed(body).headers);

  const openView = (viewId: string): StoredView => {
    const view = standIn.view(viewId);
    if (!view) throw new SlackDriverError('view_not_found', `no view ${viewId}`);
    if (!view.open) throw new SlackDriverError('view_not_open', `view ${viewId} is closed`);
    return view;
  };

  const submitView: SlackDriver['submitView'] = async (viewId, values, as) => {
    const view = openView(viewId);
    const payload = viewSubmissionPayload(actor(as.user), {
      view: toViewObject(view),
      values,
      triggerId: standIn.issueTriggerId(as.user),
    });
    const response = await send(interactionBody(payload));
    const outcome: ViewSubmissionOutcome =
      response.status === 200
        ? standIn.applyViewResponse(viewId, response.body)
        : { kind: 'rejected', reason: `the bot answered HTTP ${response.status}` };
    return { ...response, outcome };
  };

  return {
    async slash(text, as) {
      const channel = standIn.channel(as.channel);
      if (!channel) throw new SlackDriverError('unknown_channel', `no channel ${as.channel} in the stand-in's workspace`);
      const triggerId = standIn.issueTriggerId(as.user);
      const responseUrl = standIn.issueResponseUrl(channel.id, as.user);
      const body = slashCommandBody(actor(as.user), {
        command: as.command ?? '/batch-score',
        text: as.raw ? text : formatSlashText(text),
        channel: { id: channel.id, name: slashChannelName(channel) },
        responseUrl,
        triggerId,
      });
      const response = await send(body);
      // Slack shows a non-empty acknowledgement as the command's reply.
      if (response.status === 200 && response.body !== undefined) standIn.deliverAck(channel.id, as.user, response.body);
      return { ...response, triggerId, responseUrl };
    },

    async clickButton(msg, actionId, as) {
      const message = standIn.message(msg.channel, msg.ts);
      if (!message) throw new SlackDriverError('message_not_found', `no message ${msg.ts} in ${msg.channel}`);
      if (message.ephemeralTo !== undefined && message.ephemeralTo !== as.user) {
        throw new SlackDriverError('message_not_found', `ephemeral ${msg.ts} is only visible to ${message.ephemeralTo}`);
      }
      const blocks = message.blocks ?? [];
      const found = findButton(blocks, actionId);
      if (!found) {
        throw new SlackDriverError('action_not_found', `no button "${actionId}" on message ${msg.ts} (buttons: ${listButtons(blocks) || 'none'})`);
      }
      const channel = standIn.channel(message.channel);
      const t = now();
      const payload = blockActionsPayload(actor(as.user), {
        message,
        channel: { id: message.channel, name: channel?.name ?? message.channel },
        blockId: found.blockId,
        button: found.button,
        actionTs: `${Math.floor(t / 1000)}.${String((t % 1000) * 1000).padStart(6, '0')}`,
        responseUrl: standIn.issueResponseUrl(message.channel, as.user, {
          channel: message.channel,
          ts: message.ts,
          ...(message.ephemeralTo !== undefined ? { ephemeral: true } : {}),
        }),
        triggerId: standIn.issueTriggerId(as.user),
      });
      return send(interactionBody(payload));
    },

    submitView,

    async fillAndSubmit(viewId, fields, as) {
      const view = openView(viewId);
      return submitView(viewId, fillStateValues(view.blocks, fields), as);
    },

    async closeView(viewId, as) {
      const view = openView(viewId);
      standIn.closeView(viewId);
      if (!view.notify_on_close) return null;
      const payload = viewClosedPayload(actor(as.user), { view: toViewObject(view), values: {}, isCleared: false });
      return send(interactionBody(payload));
    },

    async openAppHome(as) {
      const user = actor(as.user).user;
      // The app's DM with the user is the event's channel; the stand-in names it after the user.
      const body = JSON.stringify(
        appHomeOpenedEnvelope({ teamId, apiAppId: standIn.appId, user: user.id, channel: `D${user.id.slice(1)}`, view: standIn.homeTab(user.id), at: now() }),
      );
      return postRaw(body, { ...signed(body).headers, 'Content-Type': 'application/json' });
    },

    async clickHomeButton(key, as) {
      const view = standIn.homeTab(as.user);
      if (!view) throw new SlackDriverError('view_not_found', `no Home tab published for ${as.user}`);
      // Several buttons share an action id on the tab (one Approve per request): the value picks one.
      const blocks = as.value === undefined ? view.blocks : view.blocks.filter((b) => JSON.stringify(b).includes(JSON.stringify(as.value)));
      const found = findButton(blocks, key);
      if (!found) throw new SlackDriverError('action_not_found', `no button "${key}" on the Home tab (buttons: ${listButtons(view.blocks) || 'none'})`);
      const who = actor(as.user);
      const payload = homeBlockActionsPayload({
        teamId,
        teamDomain: standIn.teamDomain,
        apiAppId: standIn.appId,
        user: who.user,
        view,
        blockId: found.blockId,
        button: found.button,
        triggerId: standIn.issueTriggerId(as.user),
        at: now(),
      });
      return send(interactionBody(payload));
    },

    signed,
    postRaw,
    waitFor: (probe, o = {}) => waitFor(probe, o),
  };
}
