// Slack fills in a block_id for every block and an action_id for every interactive element that
// arrives without one (Block Kit reference: "If not specified, a block_id will be generated"), and
// the payloads of later interactions carry those generated ids. The stand-in does the same when it
// stores blocks, so the driver's payloads look like Slack's.
import { randomBytes } from 'node:crypto';

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const generated = () => randomBytes(4).toString('base64url').slice(0, 5);

function withActionId(element: unknown): unknown {
  if (!isObject(element) || typeof element.type !== 'string') return element;
  const interactive = !['image', 'plain_text', 'mrkdwn'].includes(element.type);
  return interactive && element.action_id === undefined ? { ...element, action_id: generated() } : element;
}

export function assignBlockIds(blocks: unknown[]): unknown[] {
  return blocks.map((block) => {
    if (!isObject(block)) return block;
    const out: Json = { ...block, block_id: block.block_id ?? generated() };
    if (Array.isArray(block.elements) && block.type === 'actions') out.elements = block.elements.map(withActionId);
    if (block.accessory !== undefined) out.accessory = withActionId(block.accessory);
    if (block.element !== undefined) out.element = withActionId(block.element);
    return out;
  });
}
