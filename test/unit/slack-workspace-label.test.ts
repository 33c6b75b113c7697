// The label every message carries when the bot serves several workspaces: a context block after the
// message's blocks, or a last line of a text-only message, and never a 51st block.
import { SLACK_LIMITS } from '../../src/slack/blocks/block-kit';
import { withWorkspaceLabel, workspaceLabelText } from '../../src/slack/blocks/workspace-label';

const label = workspaceLabelText({ name: 'prod', workspace: 'ml-prod', cloud: 'AzureChinaCloud' });
const section = (text: string) => ({ type: 'section', text: { type: 'mrkdwn', text } });

describe('the workspace label', () => {
  it('names the profile, the Azure ML workspace and the cloud as people say it', () => {
    expect(label).toBe(':label: Workspace *prod* · `ml-prod` · Azure China');
    expect(workspaceLabelText({ name: 'dev', workspace: 'ml-dev', cloud: 'AzureCloud' })).toBe(':label: Workspace *dev* · `ml-dev` · Azure');
    expect(workspaceLabelText({ name: 'gov', workspace: 'ml-gov', cloud: 'AzureUSGovernment' })).toContain('· Azure US Government');
    expect(workspaceLabelText({ name: 'x', workspace: 'ml-x', cloud: 'AzureStackHub' })).toContain('· AzureStackHub');
  });

  it('goes after the blocks of a message as a context block, leaving its text as it was', () => {
    const message = { channel: 'C0PROD', text: 'Deployed torch', blocks: [section('Deployed *torch*')] };
    const labelled = withWorkspaceLabel(message, label);
    expect(labelled).toEqual({
      channel: 'C0PROD',
      text: 'Deployed torch',
      blocks: [section('Deployed *torch*'), { type: 'context', elements: [{ type: 'mrkdwn', text: label, verbatim: true }] }],
    });
    expect(message.blocks).toHaveLength(1);
  });

  it('is the last line of a text-only message', () => {
    expect(withWorkspaceLabel({ text: 'Job finished' }, label)).toEqual({ text: `Job finished\n${label}` });
    expect(withWorkspaceLabel({ text: 'Job finished', blocks: [] }, label)).toEqual({ text: `Job finished\n${label}`, blocks: [] });
  });

  it("keeps a message already at Slack's 50 blocks at 50, the label in its text", () => {
    const blocks = Array.from({ length: SLACK_LIMITS.messageBlocks }, (_, i) => section(`line ${i}`));
    const labelled = withWorkspaceLabel({ text: 'Jobs', blocks }, label);
    expect(labelled.blocks).toHaveLength(SLACK_LIMITS.messageBlocks);
    expect(labelled.blocks).toBe(blocks);
    expect(labelled.text).toBe(`Jobs\n${label}`);
    const fortyNine = withWorkspaceLabel({ text: 'Jobs', blocks: blocks.slice(1) }, label);
    expect(fortyNine.blocks).toHaveLength(SLACK_LIMITS.messageBlocks);
    expect(fortyNine.text).toBe('Jobs');
  });
});
