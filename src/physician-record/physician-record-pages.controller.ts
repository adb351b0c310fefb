import { Controller, Get, Param, Query, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Response } from 'express';
import { Actor, CurrentActor, Roles } from '../accounts/roles';
import { DomainErrorCode, DomainException } from '../common/domain.exception';
import { parsePaging } from '../common/query';
import { pager } from '../console/format';
import { ViewRenderer } from '../console/view-renderer.service';
import { yearOf } from './physician-points';
import { PhysicianPointsPolicyService } from './physician-policy.module';
import { PhysicianRecordService } from './physician-record.service';

/** The physicians' points pages: who lost points this year and who is suspended or terminated; one physician's record. */
@ApiExcludeController()
@Controller('console/physicians')
export class PhysicianRecordPagesController {
  constructor(
    private readonly views: ViewRenderer,
    private readonly record: PhysicianRecordService,
    private readonly policy: PhysicianPointsPolicyService,
  ) {}

  @Get()
  @Roles('admin', 'supervisor', 'auditor', 'institution')
  async list(@Res() res: Response, @Query() query: Record<string, unknown>, @CurrentActor() actor: Actor) {
    const { page, pageSize } = parsePaging(query, 200);
    const thisYear = yearOf(this.record.today());
    let year = thisYear;
    if (query.year !== undefined && query.year !== '') {
      year = Number(query.year);
      if (!Number.isInteger(year) || year < 2000 || year > thisYear) {
        throw new DomainException(DomainErrorCode.InvalidInput, 'invalid year', [{ path: 'year', reason: `must be a year from 2000 to ${thisYear}` }]);
      }
    }
    const institution = typeof query.institution === 'string' && query.institution.trim() ? query.institution.trim() : undefined;
    if (institution !== undefined && !/^[\w.-]{1,64}$/.test(institution)) {
      throw new DomainException(DomainErrorCode.InvalidInput, 'invalid institution', [{ path: 'institution', reason: 'must be an institution code' }]);
    }
    const r = await this.record.physicians({ year, institution: institution?.toUpperCase(), page, pageSize }, actor);
    const p = this.policy.policy;
    this.views.render(
      res,
      'physician-record/list',
      {
        items: r.items,
        year,
        on: r.on,
        f: { institution: institution ?? '' },
        isInstitution: actor.role === 'institution',
        policy: { allowance: p.annualPoints, suspension: p.suspension.threshold, termination: p.termination.threshold },
        pager: pager(r.total, r.page, r.pageSize),
      },
      { title: 'physicians.title' },
    );
  }

  @Get(':code')
  @Roles('admin', 'supervisor', 'auditor', 'institution')
  async detail(@Param('code') code: string, @Res() res: Response, @CurrentActor() actor: Actor) {
    const r = await this.record.record(code, actor);
    const bands = this.policy.policy.bands;
    this.views.render(
      res,
      'physician-record/detail',
      { r, bands, months: [...this.policy.policy.suspension.monthsByTotal.entries()].map(([total, months]) => ({ total, months })), termination: this.policy.policy.termination },
      { title: 'physicians.detailTitle', titleVars: { code: r.physician.code } },
    );
  }
}
