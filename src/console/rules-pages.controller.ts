import { Controller, Get, Param, Query, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { Roles } from '../accounts/roles';
import { DomainErrorCode, DomainException } from '../common/domain.exception';
import { RuleLibraryService } from '../rules-engine/rules-engine.module';
import { FindingsService } from '../screening/findings.service';
import { RULE_SORTS, RuleSort, conditionTree, ruleRow, sortRules } from './rule-pages';
import { ViewRenderer } from './view-renderer.service';

/** The rule library with precision per rule (the learning loop), and one rule's definition. */
@ApiExcludeController()
@Controller('console/rules')
@Roles('admin', 'supervisor', 'auditor')
export class RulesPagesController {
  constructor(
    private readonly views: ViewRenderer,
    private readonly rules: RuleLibraryService,
    private readonly findings: FindingsService,
  ) {}

  @Get()
  async list(@Res() res: Response, @Query('sort') sortParam?: unknown) {
    if (sortParam !== undefined && sortParam !== '' && !RULE_SORTS.includes(sortParam as RuleSort)) {
      throw new DomainException(DomainErrorCode.InvalidInput, 'invalid sort', [{ path: 'sort', reason: `must be one of ${RULE_SORTS.join(', ')}` }]);
    }
    const sort = (sortParam || 'id') as RuleSort;
    const stats = await this.findings.ruleStats();
    const rows = sortRules(this.rules.library.rules.map((r) => ruleRow(r, stats.get(r.id))), sort);
    this.views.render(res, 'console/rules', { rules: rows, sort, libraryHash: this.rules.library.hash }, { title: 'rules.title' });
  }

  @Get(':id')
  async get(@Param('id') id: string, @Res() res: Response) {
    const rule = this.rules.library.byId.get(id);
    if (!rule) throw new DomainException(DomainErrorCode.NotFound, `rule ${id} does not exist`, [{ path: 'id', reason: 'no rule with this id' }]);
    const stats = await this.findings.ruleStats(id);
    const s = rule.spec;
    const file = join(this.rules.root, 'screening', `${id}.yaml`);
    this.views.render(
      res,
      'console/rule',
      {
        rule: ruleRow(rule, stats.get(id)),
        hash: rule.hash,
        description: s.description ?? null,
        legalBasis: s.legal_basis,
        appliesTo: s.applies_to ? Object.entries(s.applies_to).map(([k, v]) => ({ key: k, value: (v as unknown[]).join(', ') })) : [],
        parameters: Object.entries(s.parameters ?? {}).map(([name, value]) => ({ name, value: Array.isArray(value) ? value.join(', ') : String(value) })),
        conditions: conditionTree(s.when),
        amount: s.amount,
        why: s.why,
        examples: s.examples.map((e) => ({ name: e.name, expect: e.expect, claims: e.claims.length })),
        ruleFile: existsSync(file) ? relative(process.cwd(), file) || file : `rules/screening/${id}.yaml`,
        ruleFileName: `${id}.yaml`,
      },
      { title: this.views.langOf(res.req as Request) === 'en' ? s.title.en : s.title.zh },
    );
  }
}
