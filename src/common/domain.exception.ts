/** Codes of expected failures, each mapped to one HTTP status by DomainExceptionFilter. */
export enum DomainErrorCode {
  NotFound = 'NOT_FOUND',
  InvalidInput = 'INVALID_INPUT',
  Conflict = 'CONFLICT',
  Unavailable = 'UNAVAILABLE',
  Unauthenticated = 'UNAUTHENTICATED',
  Forbidden = 'FORBIDDEN',
  TooManyRequests = 'TOO_MANY_REQUESTS',
}

export interface FieldError {
  /** Path of the field, e.g. claims[3].items[0].quantity, or a file and line. */
  path: string;
  reason: string;
}

/** Services throw these, never HTTP exceptions; one filter maps them to responses. */
export class DomainException extends Error {
  constructor(
    readonly code: DomainErrorCode,
    message: string,
    readonly errors: FieldError[] = [],
  ) {
    super(message);
    this.name = 'DomainException';
  }
}
