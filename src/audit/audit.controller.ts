import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { Roles } from '../accounts/roles';
import { DomainErrorCode, DomainException, FieldError } from '../common/domain.exception';
import { parsePaging } from '../common/query';
import { AuditQuery, AuditService } from './audit.service';

@ApiTags('audit')
@Controller('api/audit')
@Roles('auditor', 'admin')
export class AuditController {
  constructor(private readonly audit: AuditService) {}

  @Get()
  @ApiOperation({ summary: 'The audit trail, newest first: who did what to which subject, with before and after (paged)' })
  @ApiQuery({ name: 'actor', required: false, description: 'the acting account name' })
  @ApiQuery({ name: 'action', required: false, description: 'e.g. case.confirm, or a prefix such as case.*' })
  @ApiQuery({ name: 'entityType', required: false, description: 'e.g. case, user_account' })
  @ApiQuery({ name: 'entityId', required: false })
  @ApiQuery({ name: 'from', required: false, description: 'ISO date or time (inclusive)' })
  @ApiQuery({ name: 'to', required: false, description: 'ISO date or time (exclusive)' })
  @ApiQuery({ name: 'page', required: false })
  @ApiQuery({ name: 'pageSize', required: false })
  @ApiOkResponse({ description: '{ total, page, pageSize, items: [{ seq, at, actor: { name, role }, action, entityType, entityId, before, after, ip, hash }] }' })
  async list(@Query() query: Record<string, unknown>) {
    const { page, pageSize } = parsePaging(query);
    const q = parseAuditFilter(query);
    const r = await this.audit.list({ ...q, limit: pageSize, offset: (page - 1) * pageSize });
    return { total: r.total, page, pageSize, items: r.items };
  }

  @Get('verify')
  @ApiOperation({ summary: 'Recompute the hash chain: the first altered, inserted or deleted entry, or that the chain holds' })
  @ApiQuery({ name: 'anchor', required: false, description: 'SEQ:HASH published earlier; proves the chain still reaches it unchanged' })
  async verify(@Query('anchor') anchor?: string) {
    return this.audit.verify(anchor ? parseAnchor(anchor, 'anchor') : undefined);
  }
}

/** The filter of an audit listing from query parameters (API and console); bad values name the parameter. */
export function parseAuditFilter(query: Record<string, unknown>): Omit<AuditQuery, 'limit' | 'offset'> {
  const errors: FieldError[] = [];
  const text = (name: string, max: number): string | undefined => {
    const v = query[name];
    if (v === undefined || v === '') return undefined;
    if (typeof v !== 'string' || v.length > max) {
      errors.push({ path: name, reason: `must be text of at most ${max} characters` });
      return undefined;
    }
    return v;
  };
  const time = (name: string): Date | undefined => {
    const v = text(name, 40);
    if (v === undefined) return undefined;
    const d = new Date(/^\d{4}-\d{2}-\d{2}$/.test(v) ? `${v}T00:00:00+08:00` : v);
    if (Number.isNaN(d.getTime())) {
      errors.push({ path: name, reason: 'must be an ISO date (YYYY-MM-DD, Beijing time) or date-time' });
      return undefined;
    }
    return d;
  };
  const q = { actor: text('actor', 128), action: text('action', 64), entityType: text('entityType', 64), entityId: text('entityId', 128), from: time('from'), to: time('to') };
  if (errors.length) throw new DomainException(DomainErrorCode.InvalidInput, 'invalid audit filter', errors);
  return q;
}

/** SEQ:HASH → the anchor of a verification. */
export function parseAnchor(s: string, path: string): { seq: string; hash: string } {
  const m = /^(\d+):([0-9a-f]{64})$/.exec(s.trim());
  if (!m) throw new DomainException(DomainErrorCode.InvalidInput, 'invalid anchor', [{ path, reason: 'must be SEQ:HASH, e.g. 1042:<64 hex digits>, as printed by `fundguard audit verify`' }]);
  // 007 and 7 are the same entry: the chain compares sequence numbers as canonical decimal text.
  return { seq: BigInt(m[1]!).toString(), hash: m[2]! };
}
