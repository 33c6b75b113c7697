// Why the driver could not do what a test asked: the code names the cause so a failing test says
// "no button approve_deploy on that message" rather than a TypeError.

export type SlackDriverErrorCode =
  | 'message_not_found'
  | 'action_not_found'
  | 'view_not_found'
  | 'view_not_open'
  | 'field_not_found'
  | 'option_not_found'
  | 'required_input_missing'
  | 'unsupported_element'
  | 'unknown_user'
  | 'unknown_channel';

export class SlackDriverError extends Error {
  constructor(
    readonly code: SlackDriverErrorCode,
    message: string,
  ) {
    super(`${code}: ${message}`);
    this.name = 'SlackDriverError';
  }
}
