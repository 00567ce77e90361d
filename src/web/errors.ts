/** The dashboard's own refusals of a request, written for the person who sent it, with their HTTP status. */
import { UserFacingError } from '../domain/errors.ts';

export class WebRequestError extends UserFacingError {
  readonly code: 'BAD_REQUEST' | 'NOT_IMPLEMENTED';
  readonly status: number;
  constructor(code: WebRequestError['code'], message: string) {
    super(message);
    this.code = code;
    this.status = code === 'NOT_IMPLEMENTED' ? 501 : 400;
  }
}
