/**
 * What every dashboard route is given: the application, the sign-in (sessions), the desk's queries the
 * application does not offer yet, and how refusals and failures become HTTP answers.
 */
import type { ServerResponse } from 'node:http';
import type { CouncilApp } from '../app/index.ts';
import { isUserFacing } from '../domain/errors.ts';
import { ProposalError } from '../domain/proposal.ts';
import { userErrorText } from '../redact.ts';
import { WebRequestError } from './errors.ts';
import { BodyError, sendJson } from './http.ts';
import type { WebSignIn } from './sign-in.ts';

export interface WebContext {
  app: CouncilApp;
  signIn: WebSignIn;
}

const PROPOSAL_STATUS: Record<ProposalError['code'], number> = {
  NOT_FOUND: 404,
  UNAUTHORISED: 403,
  NOT_PENDING: 409,
  EXPIRED: 409,
  HALTED: 409,
  STALE: 409,
  PAUSED: 409,
  UNKNOWN_ACCOUNT: 400,
  NO_ACCOUNTS: 400,
};

/** The HTTP status and the text a person may read for an error; an internal one is logged under an id. */
export function errorAnswer(ctx: WebContext, error: unknown, where: string): { status: number; code: string; message: string } {
  if (error instanceof BodyError) return { status: error.status, code: 'BAD_REQUEST', message: error.message };
  const text = userErrorText(error, { logger: ctx.app.logger, redact: ctx.app.redactor }, where);
  if (text.kind === 'internal') return { status: 500, code: 'INTERNAL', message: `${text.summary} (error id ${text.errorId})` };
  if (error instanceof WebRequestError) return { status: error.status, code: error.code, message: text.message };
  if (error instanceof ProposalError) return { status: PROPOSAL_STATUS[error.code], code: error.code, message: text.message };
  return { status: 400, code: isUserFacing(error) ? error.code : 'BAD_REQUEST', message: text.message };
}

export function sendError(ctx: WebContext, res: ServerResponse, error: unknown, where: string): void {
  const answer = errorAnswer(ctx, error, where);
  sendJson(res, answer.status, { error: { code: answer.code, message: answer.message } });
}
