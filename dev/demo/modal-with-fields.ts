// The console's `modal` shows the open form as the person has filled it so far: the values given with
// `set` (kept by the console until `submit`) drawn into the view as its initial values, so `set endpoint
// mnist-batch` shows up when the form is shown again. Pure; matching a key to a field is the driver's own
// (block_id, action_id or label), so what is shown is what `submit` will send.
import { filledStateValue, inputFields, matchField } from '../../sandbox/slack/view-state-values';

export interface FilledView<V> {
  view: V;
  /** Keys given with `set` that name no field of this form. */
  unknown: string[];
}

/** A state value (what submit sends) as the element's initial value: `value` → `initial_value`, `selected_x` → `initial_x`. */
function asInitial(state: Record<string, unknown>): Record<string, unknown> {
  const initial: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(state)) {
    if (key === 'type') continue;
    initial[key === 'value' ? 'initial_value' : key.replace(/^selected_/, 'initial_')] = value;
  }
  return initial;
}

export function viewWithFields<V extends { blocks: unknown[] }>(view: V, fields: Record<string, string>): FilledView<V> {
  const inputs = inputFields(view.blocks);
  const byBlock = new Map<string, Record<string, unknown>>();
  const unknown: string[] = [];
  for (const [key, value] of Object.entries(fields)) {
    const field = matchField(inputs, key);
    if (!field) {
      unknown.push(key);
      continue;
    }
    let initial: Record<string, unknown>;
    try {
      initial = asInitial(filledStateValue(field, value));
    } catch {
      // Not one of a select's options: show what was typed, marked, rather than hide it (submit will refuse it).
      initial = { initial_option: { text: { type: 'plain_text', text: `${value} ⚠ not one of the options` }, value } };
    }
    byBlock.set(field.blockId, initial);
  }
  const blocks = view.blocks.map((block) => {
    const b = block as { block_id?: unknown; element?: Record<string, unknown> };
    const initial = typeof b.block_id === 'string' ? byBlock.get(b.block_id) : undefined;
    return initial && b.element ? { ...b, element: { ...b.element, ...initial } } : block;
  });
  return { view: { ...view, blocks }, unknown };
}
