import { DomainErrorCode, DomainException, FieldError } from './domain.exception';

/** Parses paging parameters; bad values are a 400 naming the parameter. */
export function parsePaging(query: Record<string, unknown>, maxPageSize = 500): { page: number; pageSize: number } {
  const errors: FieldError[] = [];
  const int = (name: string, dflt: number, max: number) => {
    const raw = query[name];
    if (raw === undefined || raw === '') return dflt;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1 || n > max) {
      errors.push({ path: name, reason: `must be a whole number from 1 to ${max}` });
      return dflt;
    }
    return n;
  };
  const page = int('page', 1, 1_000_000);
  const pageSize = int('pageSize', 50, maxPageSize);
  if (errors.length) throw new DomainException(DomainErrorCode.InvalidInput, 'invalid paging parameters', errors);
  return { page, pageSize };
}

export function isUuid(s: unknown): s is string {
  return typeof s === 'string' && /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(s);
}
