import { Body, Controller, Get, HttpCode, Ip, Param, Post, Query, Req } from '@nestjs/common';
import { ApiBody, ApiConsumes, ApiOkResponse, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { Actor, CurrentActor, Roles } from '../accounts/roles';
import { acting } from '../cases/cases.controller';
import { DomainErrorCode, DomainException, FieldError } from '../common/domain.exception';
import { parsePaging } from '../common/query';
import {
  BonusBody,
  CreditAppealDecisionBody,
  CreditReasonBody,
  parseBonus,
  parseCreditAppealDecision,
  parseCreditFilter,
  parseCreditReason,
  parseCycle,
  parseRepairDecision,
  parseRepairRequest,
  parseRequestFilter,
  RepairDecisionBody,
  RepairRequestBody,
} from './credit.dto';
import { CreditService } from './credit.service';

/** Largest draft policy accepted as a text body. */
const DRAFT_MAX_BYTES = 1024 * 1024;

/**
 * The body of a what-if request: JSON (parsed by the app: an object, or `{ policy: "<yaml>" }`) or
 * YAML / plain text, read here because the app parses only JSON and forms.
 */
async function draftBody(req: Request): Promise<unknown> {
  if (req.is('application/json') || req.is('application/x-www-form-urlencoded')) return req.body as unknown;
  if (!req.readable) return undefined;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > DRAFT_MAX_BYTES) throw new DomainException(DomainErrorCode.InvalidInput, 'the draft policy is too large', [{ path: 'body', reason: `must be at most ${DRAFT_MAX_BYTES} bytes` }]);
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  return text.trim() ? text : undefined;
}

@ApiTags('credit')
@Controller('api/credit')
export class CreditController {
  constructor(private readonly credit: CreditService) {}

  @Get()
  @Roles('admin', 'supervisor', 'auditor')
  @ApiOperation({ summary: 'Credit of every institution in a cycle (the current one by default): score, grade, sampling ratio; counts per grade; worst first' })
  @ApiQuery({ name: 'cycle', required: false, description: 'year YYYY' })
  @ApiQuery({ name: 'grade', required: false, description: 'a grade letter, e.g. C' })
  @ApiQuery({ name: 'kind', required: false, enum: ['hospital', 'primary_care', 'clinic', 'pharmacy'], description: 'institution kind' })
  @ApiQuery({ name: 'level', required: false, description: 'institution level' })
  @ApiQuery({ name: 'region', required: false, description: 'region code or prefix' })
  @ApiQuery({ name: 'q', required: false, description: 'code or name contains' })
  @ApiQuery({ name: 'sort', required: false, enum: ['score', 'code'] })
  @ApiQuery({ name: 'page', required: false })
  @ApiQuery({ name: 'pageSize', required: false })
  async list(@Query() query: Record<string, unknown>) {
    return this.credit.list(parseCreditFilter(query, parsePaging(query)));
  }

  @Get('policy')
  @Roles('admin', 'supervisor', 'inspector', 'auditor', 'institution')
  @ApiOperation({ summary: 'The credit policy in force: version, scale, cycle, deductions, bonuses, appeal and repair rules, and what each grade means (sampling ratio, review intensity)' })
  policy() {
    return this.credit.policyView();
  }

  @Get('requests')
  @Roles('admin', 'supervisor', 'auditor', 'institution')
  @ApiOperation({ summary: 'Appeals and repair requests (open ones by default, the oldest due first; overdue flagged); an institution sees its own' })
  @ApiQuery({ name: 'status', required: false, enum: ['open', 'decided', 'all'] })
  @ApiQuery({ name: 'type', required: false, enum: ['appeal', 'repair'] })
  @ApiQuery({ name: 'institution', required: false })
  @ApiQuery({ name: 'page', required: false })
  @ApiQuery({ name: 'pageSize', required: false })
  async requests(@Query() query: Record<string, unknown>, @CurrentActor() actor?: Actor) {
    return this.credit.requests(parseRequestFilter(query, parsePaging(query)), acting(actor).actor);
  }

  @Post('what-if')
  @HttpCode(200)
  @Roles('admin', 'supervisor')
  @ApiOperation({
    summary: 'Every institution\'s score and grade under a draft policy (entries priced again from their causes), against the policy in force; writes nothing',
    description: 'Body: the draft as YAML (Content-Type: application/yaml or text/plain), or JSON (the policy object, or { "policy": "<yaml>" }). A problem in the draft is a 400 naming its line.',
  })
  @ApiConsumes('application/yaml', 'text/plain', 'application/json')
  @ApiQuery({ name: 'cycle', required: false, description: 'year YYYY (default: the current cycle)' })
  async whatIf(@Req() req: Request, @Query('cycle') cycleRaw?: string) {
    const errors: FieldError[] = [];
    const cycle = parseCycle(typeof cycleRaw === 'string' && cycleRaw !== '' ? cycleRaw : undefined, errors);
    if (errors.length) throw new DomainException(DomainErrorCode.InvalidInput, 'invalid cycle', errors);
    return this.credit.whatIf(await draftBody(req), { cycle });
  }

  @Post('bonuses')
  @HttpCode(201)
  @Roles('admin', 'supervisor')
  @ApiOperation({ summary: 'Record a bonus: clean inspection, self-correction (自查自纠), pledge signed (信用承诺, once a cycle); one per kind and reference' })
  @ApiBody({ type: BonusBody })
  async bonus(@Body() body: unknown, @CurrentActor() actor?: Actor, @Ip() ip?: string) {
    return this.credit.recordBonus(parseBonus(body), acting(actor, ip));
  }

  @Post('entries/:id/appeal')
  @HttpCode(201)
  @Roles('institution')
  @ApiOperation({ summary: 'The institution appeals one of its deductions (within the policy\'s window; reason required; once per entry)' })
  @ApiBody({ type: CreditReasonBody })
  async appeal(@Param('id') id: string, @Body() body: unknown, @CurrentActor() actor?: Actor, @Ip() ip?: string) {
    return this.credit.appeal(id, parseCreditReason(body), acting(actor, ip));
  }

  @Post('appeals/:id/decision')
  @HttpCode(200)
  @Roles('admin', 'supervisor')
  @ApiOperation({ summary: 'Decide an appeal: upheld (the deduction stays) or reversed (a reversal entry restores its points)' })
  @ApiBody({ type: CreditAppealDecisionBody })
  async decideAppeal(@Param('id') id: string, @Body() body: unknown, @CurrentActor() actor?: Actor, @Ip() ip?: string) {
    return this.credit.decideAppeal(id, parseCreditAppealDecision(body), acting(actor, ip));
  }

  @Post('repairs')
  @HttpCode(201)
  @Roles('institution')
  @ApiOperation({ summary: 'The institution asks for repair (信用修复) of one of its violation deductions: N months after the decision with no newer violation' })
  @ApiBody({ type: RepairRequestBody })
  async repair(@Body() body: unknown, @CurrentActor() actor?: Actor, @Ip() ip?: string) {
    return this.credit.requestRepair(parseRepairRequest(body), acting(actor, ip));
  }

  @Post('repairs/:id/decision')
  @HttpCode(200)
  @Roles('admin', 'supervisor')
  @ApiOperation({ summary: 'Decide a repair: granted (rectified: true required; a repair entry restores the points) or refused' })
  @ApiBody({ type: RepairDecisionBody })
  async decideRepair(@Param('id') id: string, @Body() body: unknown, @CurrentActor() actor?: Actor, @Ip() ip?: string) {
    return this.credit.decideRepair(id, parseRepairDecision(body), acting(actor, ip));
  }

  @Get(':code')
  @Roles('admin', 'supervisor', 'auditor', 'institution')
  @ApiOperation({ summary: 'One institution\'s credit: standing and what its grade means, entries with causes and links, the score after each entry, requests, past cycles (an institution: its own only)' })
  @ApiQuery({ name: 'cycle', required: false, description: 'year YYYY (default: the current cycle)' })
  @ApiOkResponse({ description: '{ institution, cycle, standing: { score, grade, samplingRatio, meaning }, entries: [{ id, kind, points, scoreAfter, cause: { type, id, facts, link }, reason, policyVersion, appeal, repair }], history, cycles }' })
  async profile(@Param('code') code: string, @Query('cycle') cycleRaw: string | undefined, @CurrentActor() actor?: Actor) {
    const errors: FieldError[] = [];
    if (!/^[\w.-]{1,64}$/.test(code)) errors.push({ path: 'code', reason: 'must be an institution code' });
    const cycle = parseCycle(typeof cycleRaw === 'string' && cycleRaw !== '' ? cycleRaw : undefined, errors);
    if (errors.length) throw new DomainException(DomainErrorCode.InvalidInput, 'invalid request', errors);
    return this.credit.profile(code, acting(actor).actor, cycle);
  }
}
