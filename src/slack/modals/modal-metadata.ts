// What a modal carries from the slash command that opened it to its submission: the channel to answer
// in and who asked. Slack returns private_metadata untouched with view_submission, up to 3,000
// characters. It is still input from the network: the handler checks the submitting user matches.
import { z } from 'zod';
import { SLACK_LIMITS } from '../blocks/block-kit';

export const modalMetadataSchema = z.object({
  channelId: z.string().min(1).max(64),
  requesterId: z.string().min(1).max(64),
  teamId: z.string().min(1).max(64).optional(),
  /** The slash command's response_url, when the answer should go there (ephemeral). */
  responseUrl: z.url().max(1000).optional(),
  threadTs: z.string().max(64).optional(),
  /**
   * The workspace profile the form was opened for (several workspaces only). Checked again on submit
   * against the channel's bindings: the metadata comes back from the network.
   */
  profile: z.string().regex(/^[a-z][a-z0-9-]{0,23}$/).optional(),
});
export type ModalMetadata = z.infer<typeof modalMetadataSchema>;

export class ModalMetadataError extends Error {
  override readonly name = 'ModalMetadataError';
}

/**
 * JSON for private_metadata; throws ModalMetadataError rather than letting Slack refuse the view.
 * The field bounds keep the JSON under the limit; the length check guards future fields.
 */
export function encodeModalMetadata(metadata: ModalMetadata): string {
  const parsed = modalMetadataSchema.safeParse(metadata);
  if (!parsed.success) {
    throw new ModalMetadataError(`modal metadata is not valid: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  const text = JSON.stringify(parsed.data);
  if (text.length > SLACK_LIMITS.privateMetadata) {
    throw new ModalMetadataError(`private_metadata would be ${text.length} characters; Slack allows ${SLACK_LIMITS.privateMetadata}`);
  }
  return text;
}

export function decodeModalMetadata(text: string): ModalMetadata | undefined {
  try {
    const parsed = modalMetadataSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
