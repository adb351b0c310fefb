import { Body, Controller, Get, HttpCode, Ip, Param, Post, Query } from '@nestjs/common';
import { ApiBody, ApiOkResponse, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { ownInstitution } from '../accounts/institution-scope';
import { Actor, CurrentActor, Roles } from '../accounts/roles';
import { DomainErrorCode, DomainException } from '../common/domain.exception';
import { parsePaging } from '../common/query';
import { CASE_STATUSES } from './case-workflow';
import {
  AppealDecisionBody,
  AssignCaseBody,
  ConfirmCaseBody,
  DecisionBody,
  FinalizeCaseBody,
  OptionalReasonBody,
  parseAppealDecision,
  parseAssign,
  parseCaseFilter,
  parseConfirm,
  parseDecision,
  parseFinalize,
  parsePayment,
  parseReason,
  parseRecoveryFilter,
  PaymentBody,
  ReasonBody,
} from './cases.dto';
import { Acting, CasesService } from './cases.service';

/** The guard sets the actor on every route that names roles; its absence is a wiring error, not a user's. */
export function acting(actor: Actor | undefined, ip?: string): Acting {
  if (!actor) throw new DomainException(DomainErrorCode.Unauthenticated, 'login required', [{ path: 'session', reason: 'not logged in' }]);
  return { actor, ip: ip ?? null };
}

const ID_DOC = 'case id (UUID) or number (AJ-YYYY-NNNNNN)';

@ApiTags('cases')
@Controller('api/cases')
export class CasesController {
  constructor(private readonly cases: CasesService) {}

  @Get()
  @Roles('admin', 'supervisor', 'auditor', 'institution')
  @ApiOperation({ summary: 'The case queue (案件), filtered and paged; an institution login sees only its own cases' })
  @ApiQuery({ name: 'institution', required: false, description: 'institution code (an institution login: its own or omitted, else 403)' })
  @ApiQuery({ name: 'category', required: false, description: 'a finding category present in the case, e.g. PRICE_CEILING' })
  @ApiQuery({ name: 'status', required: false, description: `one or more (comma-separated) of ${CASE_STATUSES.join(', ')}` })
  @ApiQuery({ name: 'assignee', required: false, description: 'user id, me, or none (unassigned)' })
  @ApiQuery({ name: 'minAmount', required: false, description: 'amount at risk ≥ (yuan)' })
  @ApiQuery({ name: 'maxAmount', required: false, description: 'amount at risk ≤ (yuan)' })
  @ApiQuery({ name: 'period', required: false, description: 'settlement month YYYY-MM' })
  @ApiQuery({ name: 'kind', required: false, enum: ['findings', 'risk', 'inspection', 'tip'] })
  @ApiQuery({ name: 'sort', required: false, enum: ['amount', 'opened'], description: 'default opened' })
  @ApiQuery({ name: 'order', required: false, enum: ['asc', 'desc'], description: 'default desc' })
  @ApiQuery({ name: 'page', required: false })
  @ApiQuery({ name: 'pageSize', required: false })
  @ApiOkResponse({ description: '{ total, page, pageSize, items: [{ id, number, kind, institutionCode, period, status, assigneeId, amountAtRisk, findingCount, categories, riskScore, openedAt, … }] }' })
  async list(@Query() query: Record<string, unknown>, @CurrentActor() actor?: Actor) {
    return this.cases.list(parseCaseFilter(query, parsePaging(query)), acting(actor).actor);
  }

  @Get('summary')
  @Roles('admin', 'supervisor', 'auditor', 'institution')
  @ApiOperation({ summary: 'Case counts by status, open amount at risk, overdue recoveries, active cases per assignee' })
  @ApiQuery({ name: 'institution', required: false })
  async summary(@Query('institution') institution: string | undefined, @CurrentActor() actor?: Actor) {
    const own = ownInstitution(acting(actor).actor, institution);
    return this.cases.summary({ institutionCode: own ?? (institution ? institution.toUpperCase() : undefined) });
  }

  @Get(':id')
  @Roles('admin', 'supervisor', 'auditor', 'institution')
  @ApiOperation({ summary: 'One case: findings with rule and why, claims and lines (patients pseudonymised), risk drivers against peers, decisions, appeals, recoveries, allowedActions' })
  async get(@Param('id') id: string, @CurrentActor() actor?: Actor) {
    return this.cases.detail(id, acting(actor).actor);
  }

  @Post(':id/assign')
  @HttpCode(200)
  @Roles('admin', 'supervisor')
  @ApiOperation({ summary: 'Assign the case to a supervisor or admin (open, in review or confirmed)', description: ID_DOC })
  @ApiBody({ type: AssignCaseBody })
  async assign(@Param('id') id: string, @Body() body: unknown, @CurrentActor() actor?: Actor, @Ip() ip?: string) {
    const by = acting(actor, ip);
    return this.cases.detail(await this.cases.assign(id, parseAssign(body).assigneeId, by), by.actor);
  }

  @Post(':id/start-review')
  @HttpCode(200)
  @Roles('admin', 'supervisor')
  @ApiOperation({ summary: 'open → in_review (an unassigned case is assigned to you)' })
  async startReview(@Param('id') id: string, @CurrentActor() actor?: Actor, @Ip() ip?: string) {
    const by = acting(actor, ip);
    return this.cases.detail(await this.cases.startReview(id, by), by.actor);
  }

  @Post(':id/confirm')
  @HttpCode(200)
  @Roles('admin', 'supervisor')
  @ApiOperation({ summary: 'in_review → confirmed, with an outcome per finding (default confirmed; at least one confirmed); outcomes go to the findings (rule precision, model labels)' })
  @ApiBody({ type: ConfirmCaseBody })
  async confirm(@Param('id') id: string, @Body() body: unknown, @CurrentActor() actor?: Actor, @Ip() ip?: string) {
    const by = acting(actor, ip);
    return this.cases.detail(await this.cases.confirm(id, parseConfirm(body), by), by.actor);
  }

  @Post(':id/dismiss')
  @HttpCode(200)
  @Roles('admin', 'supervisor')
  @ApiOperation({ summary: 'in_review → dismissed (reason required); every finding is dismissed' })
  @ApiBody({ type: ReasonBody })
  async dismiss(@Param('id') id: string, @Body() body: unknown, @CurrentActor() actor?: Actor, @Ip() ip?: string) {
    const by = acting(actor, ip);
    return this.cases.detail(await this.cases.dismiss(id, parseReason(body, true), by), by.actor);
  }

  @Post(':id/decision')
  @HttpCode(200)
  @Roles('admin', 'supervisor')
  @ApiOperation({ summary: 'confirmed → decided: violation, article 38/40 of 条例, amount to recover, fine multiple within the article\'s range, suspension, agreement action; creates the recoveries' })
  @ApiBody({ type: DecisionBody })
  async decide(@Param('id') id: string, @Body() body: unknown, @CurrentActor() actor?: Actor, @Ip() ip?: string) {
    const by = acting(actor, ip);
    return this.cases.detail(await this.cases.decide(id, parseDecision(body), by), by.actor);
  }

  @Post(':id/appeal')
  @HttpCode(200)
  @Roles('institution')
  @ApiOperation({ summary: 'decided → appealed (申诉): the institution contests the decision within CASE_APPEAL_DAYS days (own cases only)' })
  @ApiBody({ type: ReasonBody })
  async appeal(@Param('id') id: string, @Body() body: unknown, @CurrentActor() actor?: Actor, @Ip() ip?: string) {
    const by = acting(actor, ip);
    return this.cases.detail(await this.cases.appeal(id, parseReason(body, true), by), by.actor);
  }

  @Post(':id/appeal-decision')
  @HttpCode(200)
  @Roles('admin', 'supervisor')
  @ApiOperation({ summary: 'appealed → final (upheld; amended with a new decision) or dismissed (overturned)' })
  @ApiBody({ type: AppealDecisionBody })
  async appealDecision(@Param('id') id: string, @Body() body: unknown, @CurrentActor() actor?: Actor, @Ip() ip?: string) {
    const by = acting(actor, ip);
    return this.cases.detail(await this.cases.decideAppeal(id, parseAppealDecision(body), by), by.actor);
  }

  @Post(':id/finalize')
  @HttpCode(200)
  @Roles('admin', 'supervisor')
  @ApiOperation({ summary: 'decided → final, once the appeal window has passed or when the institution waived its appeal (waived: true)' })
  @ApiBody({ type: FinalizeCaseBody })
  async finalize(@Param('id') id: string, @Body() body: unknown, @CurrentActor() actor?: Actor, @Ip() ip?: string) {
    const by = acting(actor, ip);
    return this.cases.detail(await this.cases.finalize(id, parseFinalize(body), by), by.actor);
  }

  @Post(':id/close')
  @HttpCode(200)
  @Roles('admin', 'supervisor')
  @ApiOperation({ summary: 'final or dismissed → closed (reason required while recoveries are outstanding)' })
  @ApiBody({ type: OptionalReasonBody })
  async close(@Param('id') id: string, @Body() body: unknown, @CurrentActor() actor?: Actor, @Ip() ip?: string) {
    const by = acting(actor, ip);
    return this.cases.detail(await this.cases.close(id, parseReason(body, false), by), by.actor);
  }
}

@ApiTags('cases')
@Controller('api/recoveries')
export class RecoveriesController {
  constructor(private readonly cases: CasesService) {}

  @Get()
  @Roles('admin', 'supervisor', 'auditor', 'institution')
  @ApiOperation({ summary: 'Recoveries (refunds and fines ordered by decisions) with their payments; status open, paid, overdue or cancelled' })
  @ApiQuery({ name: 'case', required: false, description: 'case id' })
  @ApiQuery({ name: 'institution', required: false })
  @ApiQuery({ name: 'status', required: false, enum: ['open', 'paid', 'overdue', 'cancelled'] })
  @ApiQuery({ name: 'page', required: false })
  @ApiQuery({ name: 'pageSize', required: false })
  async list(@Query() query: Record<string, unknown>, @CurrentActor() actor?: Actor) {
    return this.cases.listRecoveries(parseRecoveryFilter(query, parsePaging(query)), acting(actor).actor);
  }

  @Post(':id/payments')
  @HttpCode(201)
  @Roles('admin', 'supervisor')
  @ApiOperation({ summary: 'Record a payment (never more than is outstanding); a final case closes when everything is paid' })
  @ApiBody({ type: PaymentBody })
  async pay(@Param('id') id: string, @Body() body: unknown, @CurrentActor() actor?: Actor, @Ip() ip?: string) {
    return this.cases.recordPayment(id, parsePayment(body), acting(actor, ip));
  }
}
