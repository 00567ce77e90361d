/**
 * Errors written for people. A `UserFacingError` is shown as it is (its message, redacted) to whoever
 * asked, in a chat channel or on the CLI, and carries a stable `code` for programs; every other error is
 * internal: logged whole under an id, while the user reads only its class and that id
 * (src/redact.ts, `userErrorText`). Extend it only when the message is written for the asker and
 * carries no upstream's text (a broker's or a model's answer stays internal).
 */
export abstract class UserFacingError extends Error {
  /** Stable, for programs (the CLI's --json, logs): `BAD_COMMAND`, `NOT_PENDING`, `CONFIG`... */
  abstract readonly code: string;
}

/** Whether an error is one a user should read as it is. */
export const isUserFacing = (error: unknown): error is UserFacingError => error instanceof UserFacingError;
