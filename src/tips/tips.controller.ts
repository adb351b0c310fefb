import { Body, Controller, Get, HttpCode, Ip, Param, Post, Query, Res } from '@nestjs/common';
import { ApiBody, ApiOkResponse, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { Actor, CurrentActor, Public, Roles } from '../accounts/roles';
import { acting } from '../cases/cases.controller';
import { parsePaging } from '../common/query';
import {
  parseAssign,
  parseClose,
  parseLevel,
  parseNote,
  parseOpenCase,
  parsePayment,
  parseTipFilter,
  parseTipSubmission,
  parseTrackBody,
  TipAssignBody,
  TipCloseBody,
  TipLevelBody,
  TipNoteBody,
  TipOpenCaseBody,
  TipPaymentBody,
  TipSubmissionBody,
  TipTrackBody,
} from './tips.dto';
import { TipRewardPolicyService } from './tip-reward-policy.service';
import { TipsService } from './tips.service';

const ID_DOC = 'tip id (UUID) or number (JB-YYYY-NNNNNN)';

/** The public's side of tips (举报), without a login: the challenge, submitting, tracking. */
@ApiTags('tips')
@Controller('api/public/tips')
export class PublicTipsController {
  constructor(private readonly tips: TipsService) {}

  @Get('challenge')
  @Public()
  @ApiOperation({ summary: 'A question to answer with the tip (valid 10 minutes, answers one tip), and the reward policy' })
  @ApiOkResponse({ description: '{ token, question: { zh, en }, expiresAt, rewardPolicy }' })
  challenge(@Res({ passthrough: true }) res: Response) {
    res.setHeader('Cache-Control', 'no-store');
    return { ...this.tips.challenge(), rewardPolicy: this.tips.policyView() };
  }

  @Post()
  @Public()
  @HttpCode(201)
  @ApiOperation({
    summary: 'Report suspected fraud, anonymously or with an identity (encrypted; only the assigned supervisor reads it)',
    description: 'Rate-limited per client address (TIP_RATE_PER_HOUR, 429 beyond). The tracking code in the answer is shown once: keep it.',
  })
  @ApiBody({ type: TipSubmissionBody })
  @ApiOkResponse({ description: '{ number, trackingCode, status, receivedAt }' })
  async submit(@Body() body: unknown, @Res({ passthrough: true }) res: Response, @Ip() ip?: string) {
    res.setHeader('Cache-Control', 'no-store');
    const r = await this.tips.submit(parseTipSubmission(body), ip ?? null);
    return { number: r.number, trackingCode: r.trackingCode, status: r.status, receivedAt: r.receivedAt };
  }

  @Post('track')
  @Public()
  @HttpCode(200)
  @ApiOperation({ summary: 'A tip\'s status, public timeline and granted reward, by its tracking code (in the body, never the URL)' })
  @ApiBody({ type: TipTrackBody })
  async track(@Body() body: unknown, @Res({ passthrough: true }) res: Response, @Ip() ip?: string) {
    res.setHeader('Cache-Control', 'no-store');
    return this.tips.track(parseTrackBody(body), ip ?? null);
  }
}

/** The supervisors' side of tips: list, detail, the identity (assigned supervisor only) and the workflow. */
@ApiTags('tips')
@Controller('api/tips')
@Roles('admin', 'supervisor')
export class TipsController {
  constructor(
    private readonly tips: TipsService,
    private readonly rewards: TipRewardPolicyService,
  ) {}

  @Get()
  @ApiOperation({ summary: 'Tips, newest first, with counts per status' })
  @ApiQuery({ name: 'status', required: false, enum: ['received', 'assigned', 'investigating', 'case_opened', 'substantiated', 'unsubstantiated', 'rewarded'] })
  @ApiQuery({ name: 'mine', required: false, description: 'true: those assigned to me' })
  @ApiQuery({ name: 'page', required: false })
  @ApiQuery({ name: 'pageSize', required: false })
  async list(@Query() query: Record<string, unknown>, @CurrentActor() actor?: Actor) {
    return this.tips.list(parseTipFilter(query, parsePaging(query)), acting(actor).actor);
  }

  @Get(':id')
  @ApiOperation({ summary: 'A tip with its timeline (internal notes too), case, reward and allowed actions; never the identity', description: ID_DOC })
  async detail(@Param('id') id: string, @CurrentActor() actor?: Actor) {
    return this.tips.detail(id, acting(actor).actor);
  }

  // A POST, not a GET: reading is an audited act, so a link elsewhere must not trigger it under a
  // supervisor's session (a cookie session's POST needs the CSRF token; bearer tokens need none).
  @Post(':id/identity')
  @HttpCode(200)
  @Roles('supervisor')
  @ApiOperation({ summary: 'The tipster\'s identity: only for the supervisor the tip is assigned to (everyone else 403); every read is audited' })
  async identity(@Param('id') id: string, @Res({ passthrough: true }) res: Response, @CurrentActor() actor?: Actor, @Ip() ip?: string) {
    res.setHeader('Cache-Control', 'no-store');
    return this.tips.readIdentity(id, acting(actor, ip));
  }

  @Post(':id/assign')
  @HttpCode(200)
  @ApiOperation({ summary: 'Assign (or reassign) the tip to a supervisor' })
  @ApiBody({ type: TipAssignBody })
  async assign(@Param('id') id: string, @Body() body: unknown, @CurrentActor() actor?: Actor, @Ip() ip?: string) {
    return this.tips.assign(id, parseAssign(body), acting(actor, ip));
  }

  @Post(':id/start-investigation')
  @HttpCode(200)
  @ApiOperation({ summary: 'Start investigating an assigned tip' })
  async start(@Param('id') id: string, @CurrentActor() actor?: Actor, @Ip() ip?: string) {
    return this.tips.startInvestigation(id, acting(actor, ip));
  }

  @Post(':id/notes')
  @HttpCode(200)
  @ApiOperation({ summary: 'Add a note: public (shown to the tipster) or internal' })
  @ApiBody({ type: TipNoteBody })
  async note(@Param('id') id: string, @Body() body: unknown, @CurrentActor() actor?: Actor, @Ip() ip?: string) {
    return this.tips.addNote(id, parseNote(body), acting(actor, ip));
  }

  @Post(':id/reward-level')
  @HttpCode(200)
  @ApiOperation({ summary: 'Set the reward level (1 = best supported) used when the case becomes final' })
  @ApiBody({ type: TipLevelBody })
  async level(@Param('id') id: string, @Body() body: unknown, @CurrentActor() actor?: Actor, @Ip() ip?: string) {
    return this.tips.setLevel(id, parseLevel(body, this.rewards.policy.levels.length), acting(actor, ip));
  }

  @Post(':id/open-case')
  @HttpCode(200)
  @ApiOperation({ summary: 'Open a case (kind tip) from an investigated tip' })
  @ApiBody({ type: TipOpenCaseBody })
  async openCase(@Param('id') id: string, @Body() body: unknown, @CurrentActor() actor?: Actor, @Ip() ip?: string) {
    return this.tips.openCase(id, parseOpenCase(body), acting(actor, ip));
  }

  @Post(':id/close')
  @HttpCode(200)
  @ApiOperation({ summary: 'Close the tip as unsubstantiated (with a reason; the case, if any, must have been dismissed)' })
  @ApiBody({ type: TipCloseBody })
  async close(@Param('id') id: string, @Body() body: unknown, @CurrentActor() actor?: Actor, @Ip() ip?: string) {
    return this.tips.close(id, parseClose(body), acting(actor, ip));
  }

  @Post(':id/reward-payment')
  @HttpCode(200)
  @ApiOperation({ summary: 'Record the date the granted reward was paid (the tip becomes rewarded)' })
  @ApiBody({ type: TipPaymentBody })
  async payment(@Param('id') id: string, @Body() body: unknown, @CurrentActor() actor?: Actor, @Ip() ip?: string) {
    return this.tips.recordPayment(id, parsePayment(body), acting(actor, ip));
  }
}
