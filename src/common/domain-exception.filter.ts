import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import { Response } from 'express';
import { DomainErrorCode, DomainException } from './domain.exception';

const STATUS: Record<DomainErrorCode, number> = {
  [DomainErrorCode.NotFound]: HttpStatus.NOT_FOUND,
  [DomainErrorCode.InvalidInput]: HttpStatus.BAD_REQUEST,
  [DomainErrorCode.Conflict]: HttpStatus.CONFLICT,
  [DomainErrorCode.Unavailable]: HttpStatus.SERVICE_UNAVAILABLE,
  [DomainErrorCode.Unauthenticated]: HttpStatus.UNAUTHORIZED,
  [DomainErrorCode.Forbidden]: HttpStatus.FORBIDDEN,
  [DomainErrorCode.TooManyRequests]: HttpStatus.TOO_MANY_REQUESTS,
};

/** The HTTP status of a domain error code (the console's error pages use the same mapping). */
export function domainStatus(code: DomainErrorCode): number {
  return STATUS[code] ?? HttpStatus.INTERNAL_SERVER_ERROR;
}

/** The one place where failures become HTTP responses: { error, message, errors: [{ path, reason }] }. */
@Catch()
export class DomainExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('HTTP');

  catch(exception: unknown, host: ArgumentsHost) {
    const res = host.switchToHttp().getResponse<Response>();
    if (exception instanceof DomainException) {
      res.status(STATUS[exception.code]).json({ error: exception.code, message: exception.message, errors: exception.errors });
      return;
    }
    if (exception instanceof HttpException) {
      // Framework-level rejections (malformed JSON, payload too large, unknown route) keep their status.
      const status = exception.getStatus();
      const body = exception.getResponse();
      const message = typeof body === 'string' ? body : ((body as { message?: string | string[] }).message ?? exception.message);
      res.status(status).json({
        error: status === 404 ? DomainErrorCode.NotFound : HttpStatus[status],
        message: Array.isArray(message) ? message.join('; ') : message,
        // A body the framework could not even parse (bad JSON) is a problem of the body as a whole.
        errors: status === 400 ? [{ path: 'body', reason: Array.isArray(message) ? message.join('; ') : message }] : [],
      });
      return;
    }
    const e = exception as { type?: string; status?: number; message?: string; code?: string };
    if (e?.type === 'entity.parse.failed' || e?.type === 'entity.too.large' || e?.code?.startsWith('LIMIT_')) {
      const status = e.type === 'entity.too.large' || e.code === 'LIMIT_FILE_SIZE' ? 413 : 400;
      res.status(status).json({ error: DomainErrorCode.InvalidInput, message: e.message, errors: [{ path: 'body', reason: e.message ?? 'invalid body' }] });
      return;
    }
    this.logger.error(exception instanceof Error ? (exception.stack ?? exception.message) : String(exception));
    res.status(500).json({ error: 'INTERNAL', message: 'internal error; it has been logged', errors: [] });
  }
}
