import { Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { mayRead, ownInstitution } from '../accounts/institution-scope';
import { Actor, CurrentActor, Roles, ROLES } from '../accounts/roles';
import { DomainErrorCode, DomainException } from '../common/domain.exception';
import { isUuid, parsePaging } from '../common/query';
import { RuleLibraryService } from '../rules-engine/rules-engine.module';
import { CompiledRule } from '../rules-engine/rule-compiler';
import { FindingsService, RuleHitStats } from './findings.service';
import { ScreeningService } from './screening.service';

@ApiTags('screening')
@Controller('api/findings')
export class FindingsController {
  constructor(private readonly findings: FindingsService) {}

  @Get()
  @Roles('admin', 'supervisor', 'auditor', 'institution')
  @ApiOperation({ summary: 'Findings (疑点), newest month first; each names its rule, amount at risk and why (paged); institution logins see only their own' })
  @ApiQuery({ name: 'institution', required: false, description: 'institution code' })
  @ApiQuery({ name: 'category', required: false, description: 'e.g. PRICE_CEILING' })
  @ApiQuery({ name: 'rule', required: false, description: 'rule id, e.g. price-ceiling' })
  @ApiQuery({ name: 'period', required: false, description: 'settlement month YYYY-MM' })
  @ApiQuery({ name: 'status', required: false, enum: ['open', 'retired', 'confirmed', 'dismissed'] })
  @ApiQuery({ name: 'claim', required: false, description: 'claim id' })
  @ApiQuery({ name: 'page', required: false })
  @ApiQuery({ name: 'pageSize', required: false })
  @ApiOkResponse({ description: '{ total, page, pageSize, items: [{ id, claimId, itemSeq, ruleId, ruleVersion, category, amountAtRisk, why: { zh, en }, evidence, status, … }] }' })
  async list(@Query() query: Record<string, unknown>, @CurrentActor() actor?: Actor) {
    const filter = FindingsService.parseFilter(query, parsePaging(query));
    const own = ownInstitution(actor, filter.institution, 'institution');
    return this.findings.list(own ? { ...filter, institution: own } : filter);
  }

  @Get(':id')
  @Roles('admin', 'supervisor', 'auditor', 'institution')
  @ApiOperation({ summary: 'One finding with its evidence (the fact values that made the rule fire)' })
  async get(@Param('id') id: string, @CurrentActor() actor?: Actor) {
    const finding = await this.findings.get(id);
    // Another institution's finding does not exist as far as an institution login can tell.
    if (!mayRead(actor, finding.institutionCode)) throw new DomainException(DomainErrorCode.NotFound, `finding ${id} does not exist`);
    return finding;
  }
}

function ruleView(r: CompiledRule, stats: RuleHitStats | undefined) {
  const s = r.spec;
  const reviewed = (stats?.confirmed ?? 0) + (stats?.dismissed ?? 0);
  return {
    id: r.id,
    version: r.version,
    hash: r.hash,
    title: s.title,
    category: s.category,
    group: s.group,
    result: s.result,
    scope: s.scope,
    severity: s.severity,
    legalBasis: s.legal_basis,
    appliesTo: s.applies_to ?? null,
    parameters: s.parameters ?? {},
    hits: {
      open: stats?.open ?? 0,
      retired: stats?.retired ?? 0,
      confirmed: stats?.confirmed ?? 0,
      dismissed: stats?.dismissed ?? 0,
      precision: reviewed ? (stats!.confirmed / reviewed) : null,
      amountAtRisk: stats?.amountAtRisk ?? '0.00',
      institutions: stats?.institutions ?? 0,
    },
  };
}

@ApiTags('screening')
@Roles(...ROLES)
@Controller('api/rules')
export class RulesController {
  constructor(
    private readonly rules: RuleLibraryService,
    private readonly findings: FindingsService,
  ) {}

  @Get()
  @ApiOperation({ summary: 'The rule library with hit counts and precision per rule' })
  async list() {
    const stats = await this.findings.ruleStats();
    return { libraryHash: this.rules.library.hash, rules: this.rules.library.rules.map((r) => ruleView(r, stats.get(r.id))) };
  }

  @Get(':id')
  @ApiOperation({ summary: 'One rule: its definition (conditions, amount, explanation, examples) and hit counts' })
  async get(@Param('id') id: string) {
    const rule = this.rules.library.byId.get(id);
    if (!rule) throw new DomainException(DomainErrorCode.NotFound, `rule ${id} does not exist`);
    const stats = await this.findings.ruleStats(id);
    return { ...ruleView(rule, stats.get(id)), description: rule.spec.description ?? null, when: rule.spec.when, amount: rule.spec.amount, why: rule.spec.why, examples: rule.spec.examples };
  }
}

@ApiTags('screening')
@Controller('api/screening-runs')
export class ScreeningRunsController {
  constructor(private readonly screening: ScreeningService) {}

  @Post()
  @HttpCode(202)
  @Roles('admin', 'supervisor')
  @ApiOperation({ summary: 'Screen every import not yet screened, or everything again with ?all=true; returns the runs started' })
  @ApiQuery({ name: 'all', required: false, description: 'true: re-screen every current claim with the library as it is now' })
  async start(@CurrentActor() actor: Actor, @Query('all') all?: string) {
    if (all !== undefined && all !== 'true' && all !== 'false') {
      throw new DomainException(DomainErrorCode.InvalidInput, 'invalid parameter', [{ path: 'all', reason: 'must be true or false' }]);
    }
    if (all === 'true') return { runs: [await this.screening.requestFull(actor)] };
    const runs = [];
    for (const importId of await this.screening.unscreenedImports()) runs.push(await this.screening.requestForImport(importId));
    return { runs };
  }

  @Get()
  @Roles('admin', 'supervisor', 'auditor')
  @ApiOperation({ summary: 'Recent screening runs' })
  async list() {
    return { runs: await this.screening.listRuns() };
  }

  @Get(':id')
  @Roles('admin', 'supervisor', 'auditor')
  @ApiOperation({ summary: 'A screening run: status, batches, hits per category, findings inserted, updated and retired' })
  async get(@Param('id') id: string) {
    if (!isUuid(id)) throw new DomainException(DomainErrorCode.InvalidInput, 'invalid run id', [{ path: 'id', reason: 'must be a UUID' }]);
    return this.screening.getRun(id);
  }
}
