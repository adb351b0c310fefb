import { Controller, Get, Query, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Response } from 'express';
import { Roles } from '../accounts/roles';
import { parseAuditFilter } from '../audit/audit.controller';
import { AuditService } from '../audit/audit.service';
import { DomainException } from '../common/domain.exception';
import { parsePaging } from '../common/query';
import { auditDiff } from './audit-diff';
import { pager } from './format';
import { ViewRenderer } from './view-renderer.service';

const FILTERS = ['actor', 'action', 'entityType', 'entityId', 'from', 'to'] as const;

/** The next calendar day of YYYY-MM-DD: the form's "to" date includes its whole day. */
function dayAfter(date: string): string {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + 1);
  return d.toISOString().slice(0, 10);
}

/** The audit trail for auditors and admins: filters, readable before/after, and the chain check. */
@ApiExcludeController()
@Controller('console/audit')
@Roles('auditor', 'admin')
export class AuditPagesController {
  constructor(
    private readonly views: ViewRenderer,
    private readonly audit: AuditService,
  ) {}

  @Get()
  async list(@Res() res: Response, @Query() query: Record<string, unknown>) {
    const values = Object.fromEntries(FILTERS.map((k) => [k, typeof query[k] === 'string' ? (query[k] as string) : '']));
    // Verifying re-reads and re-hashes the whole trail: only when asked (?verify=1), not on every view.
    const wantsVerify = query.verify === '1';
    const [chain, actions] = await Promise.all([wantsVerify ? this.audit.verify() : Promise.resolve(null), this.audit.actions()]);
    let errors: { path: string; reason: string }[] = [];
    let items: Awaited<ReturnType<AuditService['list']>>['items'] = [];
    let page = 1;
    let pageSize = 50;
    let total = 0;
    try {
      ({ page, pageSize } = parsePaging(query, 200));
      const to = typeof query.to === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(query.to) ? dayAfter(query.to) : query.to;
      const filter = parseAuditFilter({ ...query, to });
      const r = await this.audit.list({ ...filter, limit: pageSize, offset: (page - 1) * pageSize });
      total = r.total;
      items = r.items;
    } catch (err) {
      // A bad filter is shown next to the form (400), not as an error page that loses the form.
      if (!(err instanceof DomainException)) throw err;
      errors = err.errors;
    }
    this.views.render(
      res,
      'console/audit',
      {
        filters: values,
        actions,
        errors,
        chain,
        items: items.map((e) => ({ ...e, diff: auditDiff(e.before, e.after) })),
        pager: pager(total, page, pageSize),
      },
      { title: 'audit.title', status: errors.length ? 400 : 200 },
    );
  }
}
