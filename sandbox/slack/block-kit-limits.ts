// Block Kit checks Slack applies before accepting blocks, as pure functions. Limits come from Slack's
// Block Kit reference (see ../shared/notes/slack-facts.md): 50 blocks per message, 100 per modal,
// section text 3,000, section field 2,000 (10 fields), header 150, button text 75, action_id and
// block_id 255, option text 75 / value 150, context 10 elements, actions 25 elements.
// Problems are reported as Slack does in `response_metadata.messages`:
// "[ERROR] must be less than 3001 characters [json-pointer:/blocks/0/text/text]".

export type Surface = 'message' | 'modal';

export interface BlockProblem {
  pointer: string;
  message: string;
}

const MAX_BLOCKS: Record<Surface, number> = { message: 50, modal: 100 };

const INTERACTIVE_ELEMENTS = new Set([
  'button', 'static_select', 'multi_static_select', 'external_select', 'multi_external_select', 'users_select',
  'multi_users_select', 'conversations_select', 'multi_conversations_select', 'channels_select',
  'multi_channels_select', 'overflow', 'datepicker', 'timepicker', 'datetimepicker', 'radio_buttons', 'checkboxes',
  'plain_text_input', 'number_input', 'email_text_input', 'url_text_input', 'rich_text_input', 'file_input', 'image',
]);

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

class ProblemCollector {
  readonly problems: BlockProblem[] = [];
  add(pointer: string, message: string): void {
    this.problems.push({ pointer, message });
  }
  maxLength(value: unknown, max: number, pointer: string): void {
    if (typeof value === 'string' && value.length > max) this.add(pointer, `must be less than ${max + 1} characters`);
  }
  textObject(value: unknown, pointer: string, opts: { max: number; plainOnly?: boolean; required?: boolean }): void {
    if (value === undefined) {
      if (opts.required) this.add(pointer, 'must provide an object');
      return;
    }
    if (!isObject(value)) return this.add(pointer, 'must provide an object');
    if (value.type !== 'plain_text' && value.type !== 'mrkdwn') {
      return this.add(`${pointer}/type`, 'must be one of plain_text, mrkdwn');
    }
    if (opts.plainOnly && value.type !== 'plain_text') this.add(`${pointer}/type`, 'must be plain_text');
    if (typeof value.text !== 'string' || value.text.length === 0) {
      return this.add(`${pointer}/text`, 'must be more than 0 characters');
    }
    this.maxLength(value.text, opts.max, `${pointer}/text`);
  }
}

function checkOptions(c: ProblemCollector, options: unknown, pointer: string): void {
  if (options === undefined) return;
  if (!Array.isArray(options)) return c.add(pointer, 'must provide an array');
  if (options.length > 100) c.add(pointer, 'must provide at most 100 items');
  options.forEach((option, i) => {
    if (!isObject(option)) return c.add(`${pointer}/${i}`, 'must provide an object');
    c.textObject(option.text, `${pointer}/${i}/text`, { max: 75, required: true });
    if (typeof option.value !== 'string') c.add(`${pointer}/${i}/value`, 'must provide a string');
    c.maxLength(option.value, 150, `${pointer}/${i}/value`);
  });
}

function checkElement(c: ProblemCollector, el: unknown, pointer: string): void {
  if (!isObject(el)) return c.add(pointer, 'must provide an object');
  if (typeof el.type !== 'string' || !INTERACTIVE_ELEMENTS.has(el.type)) {
    return c.add(`${pointer}/type`, `unsupported element type ${String(el.type)}`);
  }
  c.maxLength(el.action_id, 255, `${pointer}/action_id`);
  if (el.type === 'button') {
    c.textObject(el.text, `${pointer}/text`, { max: 75, plainOnly: true, required: true });
    c.maxLength(el.value, 2000, `${pointer}/value`);
    c.maxLength(el.url, 3000, `${pointer}/url`);
    if (el.style !== undefined && el.style !== 'primary' && el.style !== 'danger') {
      c.add(`${pointer}/style`, 'must be one of primary, danger');
    }
  }
  if (el.type === 'image') {
    if (typeof el.alt_text !== 'string') c.add(`${pointer}/alt_text`, 'must provide a string');
  }
  if (el.placeholder !== undefined) c.textObject(el.placeholder, `${pointer}/placeholder`, { max: 150, plainOnly: true });
  checkOptions(c, el.options, `${pointer}/options`);
}

function checkBlock(c: ProblemCollector, block: unknown, pointer: string, seenIds: Set<string>): void {
  if (!isObject(block)) return c.add(pointer, 'must provide an object');
  if (block.block_id !== undefined) {
    if (typeof block.block_id !== 'string') c.add(`${pointer}/block_id`, 'must provide a string');
    else {
      c.maxLength(block.block_id, 255, `${pointer}/block_id`);
      if (seenIds.has(block.block_id)) c.add(`${pointer}/block_id`, `duplicate block_id ${block.block_id}`);
      seenIds.add(block.block_id);
    }
  }
  switch (block.type) {
    case 'section': {
      if (block.text === undefined && block.fields === undefined) c.add(pointer, 'must provide text or fields');
      c.textObject(block.text, `${pointer}/text`, { max: 3000 });
      if (block.fields !== undefined) {
        if (!Array.isArray(block.fields)) c.add(`${pointer}/fields`, 'must provide an array');
        else {
          if (block.fields.length > 10) c.add(`${pointer}/fields`, 'must provide at most 10 items');
          block.fields.forEach((f, i) => c.textObject(f, `${pointer}/fields/${i}`, { max: 2000, required: true }));
        }
      }
      if (block.accessory !== undefined) checkElement(c, block.accessory, `${pointer}/accessory`);
      return;
    }
    case 'header':
      return c.textObject(block.text, `${pointer}/text`, { max: 150, plainOnly: true, required: true });
    case 'divider':
      return;
    case 'actions': {
      if (!Array.isArray(block.elements) || block.elements.length === 0) {
        return c.add(`${pointer}/elements`, 'must provide at least 1 item');
      }
      if (block.elements.length > 25) c.add(`${pointer}/elements`, 'must provide at most 25 items');
      block.elements.forEach((el, i) => checkElement(c, el, `${pointer}/elements/${i}`));
      return;
    }
    case 'context': {
      if (!Array.isArray(block.elements) || block.elements.length === 0) {
        return c.add(`${pointer}/elements`, 'must provide at least 1 item');
      }
      if (block.elements.length > 10) c.add(`${pointer}/elements`, 'must provide at most 10 items');
      block.elements.forEach((el, i) => {
        if (isObject(el) && el.type === 'image') return;
        c.textObject(el, `${pointer}/elements/${i}`, { max: 3000, required: true });
      });
      return;
    }
    case 'image': {
      if (typeof block.image_url !== 'string' && !isObject(block.slack_file)) c.add(`${pointer}/image_url`, 'must provide a string');
      if (typeof block.alt_text !== 'string') c.add(`${pointer}/alt_text`, 'must provide a string');
      c.maxLength(block.alt_text, 2000, `${pointer}/alt_text`);
      return;
    }
    case 'input': {
      c.textObject(block.label, `${pointer}/label`, { max: 2000, plainOnly: true, required: true });
      if (block.hint !== undefined) c.textObject(block.hint, `${pointer}/hint`, { max: 2000, plainOnly: true });
      checkElement(c, block.element, `${pointer}/element`);
      return;
    }
    case 'markdown':
      if (typeof block.text !== 'string' || block.text.length === 0) c.add(`${pointer}/text`, 'must be more than 0 characters');
      c.maxLength(block.text, 12000, `${pointer}/text`);
      return;
    case 'rich_text':
      if (!Array.isArray(block.elements)) c.add(`${pointer}/elements`, 'must provide an array');
      return;
    default:
      c.add(`${pointer}/type`, `unsupported block type ${String(block.type)}`);
  }
}

/** Every problem Slack would report for these blocks on this surface; empty when they are acceptable. */
export function findBlockProblems(blocks: unknown, surface: Surface, pointerPrefix = '/blocks'): BlockProblem[] {
  const c = new ProblemCollector();
  if (!Array.isArray(blocks)) {
    c.add(pointerPrefix, 'must provide an array');
    return c.problems;
  }
  const max = MAX_BLOCKS[surface];
  if (blocks.length > max) c.add(pointerPrefix, `no more than ${max} items allowed`);
  const seenIds = new Set<string>();
  blocks.forEach((b, i) => checkBlock(c, b, `${pointerPrefix}/${i}`, seenIds));
  return c.problems;
}

export function formatProblems(problems: BlockProblem[]): string[] {
  return problems.map((p) => `[ERROR] ${p.message} [json-pointer:${p.pointer}]`);
}
