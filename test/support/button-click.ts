// A click on any button, built by hand with a value of the test's choosing: what a replay, an old client
// or an attacker with a valid signature can send (a forged value, a button from another message or
// channel). The driver only clicks buttons that are on a message now, so these tests build the payload.
import type { SlackStandIn } from '../../sandbox/slack';
import type { SlackDriver } from '../../sandbox/slack/driver';

export function signedButtonClick(
  slack: SlackStandIn,
  driver: SlackDriver,
  click: { channel: string; ts: string; actionId: string; blockId?: string; text?: string; value: string; user: { id: string; name: string }; teamId?: string },
): { body: string; headers: Record<string, string> } {
  const teamId = click.teamId ?? slack.teamId;
  const payload = {
    type: 'block_actions',
    user: { id: click.user.id, username: click.user.name, name: click.user.name, team_id: teamId },
    api_app_id: slack.appId,
    token: 'sandbox-verification-token',
    container: { type: 'message', message_ts: click.ts, channel_id: click.channel, is_ephemeral: false },
    trigger_id: slack.issueTriggerId(click.user.id),
    team: { id: teamId, domain: slack.teamDomain },
    channel: { id: click.channel, name: slack.channel(click.channel)?.name ?? click.channel },
    response_url: slack.issueResponseUrl(click.channel, click.user.id, { channel: click.channel, ts: click.ts }),
    actions: [
      {
        type: 'button',
        action_id: click.actionId,
        block_id: click.blockId ?? 'job-actions',
        text: { type: 'plain_text', text: click.text ?? 'button' },
        value: click.value,
        action_ts: `${Math.floor(Date.now() / 1000)}.000100`,
      },
    ],
  };
  const body = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
  return { body, headers: driver.signed(body).headers };
}
