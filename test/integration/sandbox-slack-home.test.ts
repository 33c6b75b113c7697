// The stand-in's App Home half: views.publish as Slack's Web API spec describes it (user_id + view, optional
// hash, no scope; the answer carries the view with id and hash; a bad user is invalid_arguments), and the
// driver's app_home_opened delivery as a signed Events API request.
import { LogLevel, WebClient, type Logger } from '@slack/web-api';
import http from 'node:http';
import { startSlackStandIn, type SlackStandIn } from '../../sandbox/slack';
import { createSlackDriver } from '../../sandbox/slack/driver';
import { verifySlackRequest } from '@slack/bolt';

const quiet: Logger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined, setLevel: () => undefined, getLevel: () => LogLevel.ERROR, setName: () => undefined };
let standIn: SlackStandIn;
let client: WebClient;
/** A person of the stand-in's default workspace. */
const user = 'U0ALICE001';

beforeAll(async () => {
  standIn = await startSlackStandIn();
  client = new WebClient(standIn.botToken, { slackApiUrl: standIn.apiUrl, logger: quiet, retryConfig: { retries: 0 } });
});

afterAll(async () => {
  await standIn?.stop();
});

describe('views.publish', () => {
  it('publishes a home view for a user and answers with it, id and hash kept across publishes', async () => {
    const first = await client.views.publish({ user_id: user, view: { type: 'home', blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'one' } }] } });
    expect(first.ok).toBe(true);
    expect(first.view).toMatchObject({ type: 'home', team_id: standIn.teamId, app_id: standIn.appId });
    const second = await client.views.publish({ user_id: user, view: { type: 'home', blocks: [] }, hash: first.view?.hash });
    expect(second.view?.id).toBe(first.view?.id);
    expect(standIn.homeTab(user)?.blocks).toEqual([]);
  });

  it('refuses an unknown user, a modal, too many blocks and a stale hash', async () => {
    const fail = (args: Parameters<WebClient['views']['publish']>[0]) => client.views.publish(args).then(() => 'ok', (e: { data?: { error?: string } }) => e.data?.error);
    expect(await fail({ user_id: 'U0NOBODY01', view: { type: 'home', blocks: [] } })).toBe('invalid_arguments');
    expect(await fail({ user_id: user, view: { type: 'modal', title: { type: 'plain_text', text: 'x' }, blocks: [] } as never })).toBe('invalid_arguments');
    expect(await fail({ user_id: user, view: { type: 'home', blocks: Array.from({ length: 101 }, () => ({ type: 'divider' as const })) } })).toBe('invalid_arguments');
    expect(await fail({ user_id: user, view: { type: 'home', blocks: [] }, hash: 'stale.hash' })).toBe('hash_conflict');
  });
});

describe('app_home_opened', () => {
  it('arrives as a signed Events API event_callback in JSON', async () => {
    const received: { headers: http.IncomingHttpHeaders; body: string }[] = [];
    const server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        received.push({ headers: req.headers, body });
        res.end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    try {
      const driver = createSlackDriver({ standIn, signingSecret: 'secret-1', botUrl: `http://127.0.0.1:${port}/slack/events` });
      await driver.openAppHome({ user });
      const [request] = received;
      expect(request?.headers['content-type']).toBe('application/json');
      expect(
        verifySlackRequest({
          signingSecret: 'secret-1',
          body: request!.body,
          headers: {
            'x-slack-signature': String(request!.headers['x-slack-signature']),
            'x-slack-request-timestamp': Number(request!.headers['x-slack-request-timestamp']),
          },
        }),
      ).toBeUndefined();
      expect(JSON.parse(request!.body)).toMatchObject({ type: 'event_callback', team_id: standIn.teamId, event: { type: 'app_home_opened', user, tab: 'home' } });
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
