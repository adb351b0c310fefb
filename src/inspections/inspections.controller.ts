import { Body, Controller, Get, HttpCode, Ip, Param, Post, Query } from '@nestjs/common';
import { ApiBody, ApiOkResponse, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { Actor, CurrentActor, Public, Roles } from '../accounts/roles';
import { acting } from '../cases/cases.controller';
import { DomainErrorCode, DomainException } from '../common/domain.exception';
import { parseReason, parseResultInput } from './inspection-plan.dto';
import { InspectionsService } from './inspections.service';

const SUPERVISING = ['admin', 'supervisor'] as const;
const READING = ['admin', 'supervisor', 'auditor'] as const;

@ApiTags('inspections')
@Controller('api')
export class InspectionsController {
  constructor(private readonly inspections: InspectionsService) {}

  @Get('inspection-matters')
  @Roles(...READING, 'inspector')
  @ApiOperation({ summary: 'The list of inspection matters (一单): code, matter, legal basis, method; and the credit grades with their default sampling ratios' })
  matters() {
    return { matters: this.inspections.matters, grades: this.inspections.gradeRatios() };
  }

  @Post('inspection-plans')
  @Roles(...SUPERVISING)
  @ApiOperation({ summary: 'Create a plan (抽查细则, status draft). teamSize defaults to 2 and is never below 2; samplingRatio per grade defaults to the credit policy' })
  @ApiBody({
    schema: {
      example: {
        name: '2026年第一季度定点医疗机构双随机检查',
        period: '2026-Q1',
        matters: ['fund-use', 'charges'],
        objectFilter: { kind: 'hospital', level: null, region: '6401' },
        samplingRatio: { A: 0.05, E: 1 },
        minPerStratum: 1,
        teamSize: 2,
        loadCap: 5,
        avoidSameRegion: false,
        avoidPrevious: true,
      },
    },
  })
  async create(@Body() body: unknown, @CurrentActor() actor?: Actor, @Ip() ip?: string) {
    return this.inspections.createPlan(this.inspections.parsePlan(body), acting(actor, ip));
  }

  @Get('inspection-plans')
  @Roles(...READING)
  @ApiOperation({ summary: 'Plans, newest first, with their draws (never the secret seed of a committed plan)' })
  list() {
    return this.inspections.listPlans();
  }

  @Get('inspection-plans/:id')
  @Roles(...READING)
  @ApiOperation({ summary: 'One plan with its commitment and its draws' })
  one(@Param('id') id: string) {
    return this.inspections.plan(id);
  }

  @Post('inspection-plans/:id/commit')
  @HttpCode(200)
  @Roles(...SUPERVISING)
  @ApiOperation({ summary: 'Publish the commitment (SHA-256 of a secret seed) of the plan\'s draw; the seed stays secret until the draw' })
  commit(@Param('id') id: string, @CurrentActor() actor?: Actor, @Ip() ip?: string) {
    return this.inspections.commit(id, acting(actor, ip));
  }

  @Post('inspection-plans/:id/draw')
  @HttpCode(200)
  @Roles(...SUPERVISING)
  @ApiOperation({ summary: 'Draw: snapshot objects (with credit grades) and inspectors, run the documented algorithm, publish the result and reveal the seed; create the assignments' })
  draw(@Param('id') id: string, @CurrentActor() actor?: Actor, @Ip() ip?: string) {
    return this.inspections.draw(id, acting(actor, ip));
  }

  @Post('inspection-plans/:id/redraw')
  @HttpCode(200)
  @Roles(...SUPERVISING)
  @ApiOperation({ summary: 'Ask for a redraw (a reason is required): publishes a new commitment; the next draw appends a new draw replacing the current one, which stays published' })
  @ApiBody({ schema: { example: { reason: '检查人员名录更新后重新抽取' } } })
  redraw(@Param('id') id: string, @Body() body: unknown, @CurrentActor() actor?: Actor, @Ip() ip?: string) {
    return this.inspections.requestRedraw(id, parseReason(body), acting(actor, ip));
  }

  @Get('inspection-draws/:id')
  @Roles(...READING)
  @ApiOperation({ summary: 'A draw as published: plan, commitment and its time, seed, input hashes, strata, assignments with teams, published results, verification' })
  drawOne(@Param('id') id: string) {
    return this.inspections.drawView(id);
  }

  @Post('inspectors/:code/link')
  @HttpCode(200)
  @Roles('admin')
  @ApiOperation({ summary: 'Link a login (role inspector; by name or id) to an inspector of the directory' })
  @ApiBody({ schema: { example: { user: 'li.inspector' } } })
  link(@Param('code') code: string, @Body() body: { user?: unknown }, @CurrentActor() actor?: Actor, @Ip() ip?: string) {
    if (typeof body?.user !== 'string' || !body.user.trim()) throw new DomainException(DomainErrorCode.InvalidInput, 'invalid link', [{ path: 'user', reason: 'is required (login name or id)' }]);
    return this.inspections.linkInspector({ user: body.user, inspectorCode: code }, acting(actor, ip));
  }

  @Get('assignments')
  @Roles(...READING, 'inspector')
  @ApiOperation({ summary: 'Assignments (drawn institution, matters, team, due date, result); an inspector sees only its own teams\'' })
  @ApiQuery({ name: 'mine', required: false, enum: ['true', 'false'] })
  @ApiQuery({ name: 'plan', required: false, description: 'plan id' })
  assignments(@Query('mine') mine: string | undefined, @Query('plan') plan: string | undefined, @CurrentActor() actor?: Actor) {
    if (mine !== undefined && mine !== 'true' && mine !== 'false') throw new DomainException(DomainErrorCode.InvalidInput, 'invalid filter', [{ path: 'mine', reason: 'must be true or false' }]);
    return this.inspections.assignments({ mine: mine === 'true', planId: typeof plan === 'string' && plan ? plan : undefined }, acting(actor).actor);
  }

  @Post('assignments/:id/result')
  @HttpCode(200)
  @Roles('inspector')
  @ApiOperation({ summary: 'Record the result (once) of an assignment of one\'s team: compliant | violations (amountFound, yuan) | referred, with notes; opens a case (not compliant) and records credit' })
  @ApiBody({ schema: { example: { outcome: 'violations', amountFound: '12345.60', notes: '串换项目收费 23 例' } } })
  result(@Param('id') id: string, @Body() body: unknown, @CurrentActor() actor?: Actor, @Ip() ip?: string) {
    return this.inspections.recordResult(id, parseResultInput(body), acting(actor, ip));
  }

  @Post('assignments/:id/publish')
  @HttpCode(200)
  @Roles(...SUPERVISING)
  @ApiOperation({ summary: 'Make an assignment\'s result public (due within 20 working days of the result)' })
  publish(@Param('id') id: string, @CurrentActor() actor?: Actor, @Ip() ip?: string) {
    return this.inspections.publishResult(id, acting(actor, ip));
  }

  @Get('inspection-results/late')
  @Roles(...READING)
  @ApiOperation({ summary: 'Results not public 20 working days after they were recorded' })
  late() {
    return this.inspections.latePublications();
  }

  @Get('public/draws/:id/verify')
  @Public()
  @ApiOperation({ summary: 'Public: recompute a published draw from its published data; { ok, problems }' })
  @ApiOkResponse({ description: '{ drawId, planId, number, ok, problems }' })
  verify(@Param('id') id: string) {
    return this.inspections.verify(id);
  }
}
