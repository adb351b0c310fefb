import type { Response } from 'express';
import { DomainErrorCode, DomainException, FieldError } from '../common/domain.exception';
import { redirectWithFlash } from './view-renderer.service';

/** A form that failed: which one, why, and what was typed (so the page shows it again). */
export interface FormFailure {
  form: string;
  message: string;
  errors: (FieldError & { label?: string })[];
  values: Record<string, unknown>;
}

/**
 * Runs a console form's POST: on success, a 303 to `redirectTo(result)` with a flash message; an
 * expected refusal (invalid input → 400, an illegal step → 409) shows the page again through
 * `rerender`, with the errors next to the form and what was typed (never the CSRF token). Anything
 * else propagates to the error page. Without `rerender` the refusal propagates too.
 */
export async function runForm<T>(
  res: Response,
  o: {
    form: string;
    body: unknown;
    flash: string;
    run: () => Promise<T>;
    redirectTo: (result: T) => string;
    rerender: ((failure: FormFailure, status: number) => Promise<unknown> | unknown) | null;
  },
): Promise<void> {
  let result: T;
  try {
    result = await o.run();
  } catch (err) {
    if (o.rerender && err instanceof DomainException && (err.code === DomainErrorCode.InvalidInput || err.code === DomainErrorCode.Conflict)) {
      const { _csrf: _ignored, ...values } = o.body && typeof o.body === 'object' ? (o.body as Record<string, unknown>) : {};
      await o.rerender({ form: o.form, message: err.message, errors: err.errors, values }, err.code === DomainErrorCode.InvalidInput ? 400 : 409);
      return;
    }
    throw err;
  }
  redirectWithFlash(res, o.redirectTo(result), o.flash);
}
