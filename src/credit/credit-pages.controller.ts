import { Body, Controller, Get, Ip, Param, Post, Query, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { Actor, CurrentActor, Roles } from '../accounts/roles';
import { acting } from '../cases/cases.controller';
import { DomainErrorCode, DomainException, FieldError } from '../common/domain.exception';
import { parsePaging } from '../common/query';
import { pager } from '../console/format';
import { Lang } from '../console/i18n';
import { FormFailure, runForm } from '../console/form-action';
import { ViewRenderer } from '../console/view-renderer.service';
import { scoreChart } from './chart';
import { BONUS_KINDS } from './credit-policy';
import { CreditPolicyService } from './credit-policy.service';
import { parseBonus, parseCreditAppealDecision, parseCreditFilter, parseCreditReason, parseCycle, parseEntryId, parseRepairDecision, parseRepairRequest, parseRequestFilter } from './credit.dto';
import { CreditService } from './credit.service';
import { localDate } from './ledger';

/** A form that failed: which one, why, and what was typed. */

const SUPERVISING = ['admin', 'supervisor'];
const CODE = /^[\w.-]{1,64}$/;

/**
 * The credit pages: the list with counts per grade, an institution's profile (its score over the
 * cycle as an inline SVG chart with the numbers beside it, entries with their causes, the appeal and
 * repair forms for the institution's own login, the decision and bonus forms for supervisors), and
 * the queue of appeals and repairs with their due dates.
 */
@ApiExcludeController()
@Controller('console/credit')
export class CreditPagesController {
  constructor(
    private readonly views: ViewRenderer,
    private readonly credit: CreditService,
    private readonly policies: CreditPolicyService,
  ) {}

  @Get()
  @Roles('admin', 'supervisor', 'auditor', 'institution')
  async list(@Res() res: Response, @Query() query: Record<string, unknown>, @CurrentActor() actor?: Actor) {
    const who = acting(actor).actor;
    // An institution has one credit record: its own.
    if (who.role === 'institution' && who.institutionCode) return res.redirect(303, `/console/credit/${encodeURIComponent(who.institutionCode)}`);
    const f = parseCreditFilter(query, parsePaging(query, 200));
    const r = await this.credit.list(f);
    this.views.render(
      res,
      'credit/list',
      {
        r,
        policy: this.credit.policyView(),
        f: Object.fromEntries(Object.entries(query).filter(([, v]) => typeof v === 'string')),
        grades: this.policies.policy.grades.map((g) => g.grade),
        pager: pager(r.total, r.page, r.pageSize),
      },
      { title: 'credit.listTitle' },
    );
  }

  @Get('requests')
  @Roles('admin', 'supervisor', 'auditor', 'institution')
  async requests(@Res() res: Response, @Query() query: Record<string, unknown>, @CurrentActor() actor?: Actor) {
    const who = acting(actor).actor;
    const f = parseRequestFilter(query, parsePaging(query, 200));
    const r = await this.credit.requests(f, who);
    this.views.render(
      res,
      'credit/requests',
      { r, f: Object.fromEntries(Object.entries(query).filter(([, v]) => typeof v === 'string')), canDecide: SUPERVISING.includes(who.role), pager: pager(r.total, r.page, r.pageSize) },
      { title: 'credit.requestsTitle' },
    );
  }

  @Get(':code')
  @Roles('admin', 'supervisor', 'auditor', 'institution')
  async profile(@Param('code') code: string, @Res() res: Response, @Query('cycle') cycle: string | undefined, @CurrentActor() actor?: Actor) {
    const errors: FieldError[] = [];
    const c = parseCycle(typeof cycle === 'string' && cycle !== '' ? cycle : undefined, errors);
    if (!CODE.test(code)) errors.push({ path: 'code', reason: 'must be an institution code' });
    if (errors.length) throw new DomainException(DomainErrorCode.InvalidInput, 'invalid request', errors);
    await this.renderProfile(res, code, acting(actor).actor, c);
  }

  private fieldLabel(lang: Lang, path: string): string | undefined {
    const key = `credit.field_${path}`;
    return this.views.has(key) ? this.views.t(lang, key) : undefined;
  }

  private async renderProfile(res: Response, code: string, actor: Actor, cycle?: number, failure?: FormFailure, status = 200): Promise<void> {
    const d = await this.credit.profile(code, actor, cycle);
    const lang = this.views.langOf(res.req as Request);
    const p = this.policies.policy;
    const tz = p.cycle.timeZone;
    const today = localDate(new Date(), tz);
    const until = d.cycle < d.currentCycle ? `${d.cycle}-12-31` : today;
    const chart = scoreChart(
      d.cycle,
      d.history.map((h) => ({ date: h.at ? localDate(new Date(h.at), tz) : null, score: h.score })),
      p.scale,
      p.grades,
      until,
    );
    const supervising = SUPERVISING.includes(actor.role);
    const openRequests = d.entries.flatMap((e) => e.requests.filter((q) => q.status === 'open').map((q) => ({ ...q, entry: { id: e.id, kind: e.kind, points: e.points, reason: e.reason } })));
    const failed = failure ? { ...failure, errors: failure.errors.map((e) => ({ ...e, label: this.fieldLabel(lang, e.path) })) } : null;
    this.views.render(
      res,
      'credit/profile',
      {
        d,
        chart,
        supervising,
        isOwn: actor.role === 'institution',
        openRequests,
        bonusKinds: BONUS_KINDS.map((k) => ({ kind: k, points: p.bonuses[k].points, oncePerCycle: p.bonuses[k].oncePerCycle, selected: failure?.values.kind === k })),
        form: { failed, values: failure?.values ?? {} },
        windowDays: p.appeals.windowDays,
        waitingMonths: p.repair.waitingMonths,
        lang,
      },
      { title: 'credit.profileTitle', titleVars: { code: d.institution.code }, status },
    );
  }

  /** One POST: redirect with a flash, or show the profile again with the form's errors (400 / 409). */
  private async act(res: Response, code: string | null, actor: Actor, form: string, body: unknown, flash: string, run: () => Promise<string>, back?: string): Promise<void> {
    await runForm(res, {
      form,
      body,
      flash,
      run,
      redirectTo: (target) => back ?? `/console/credit/${encodeURIComponent(target)}`,
      // Without an institution to show, a refusal goes to the error page (it names the field too).
      rerender: code ? (failure, status) => this.renderProfile(res, code, actor, undefined, failure, status) : null,
    });
  }

  /** The local page a form asks to come back to (the requests queue), if any. */
  private back(body: unknown): string | undefined {
    const b = (body as Record<string, unknown> | undefined)?.back;
    return typeof b === 'string' && /^\/console\/credit(\/requests)?(\?[\w=&%.-]*)?$/.test(b) ? b : undefined;
  }

  private codeOf(body: unknown): string | null {
    const c = (body as Record<string, unknown> | undefined)?.code;
    return typeof c === 'string' && CODE.test(c) ? c.toUpperCase() : null;
  }

  @Post(':code/bonuses')
  @Roles('admin', 'supervisor')
  async bonus(@Param('code') code: string, @Body() body: Record<string, unknown>, @Res() res: Response, @CurrentActor() actor?: Actor, @Ip() ip?: string) {
    const by = acting(actor, ip);
    const inst = CODE.test(code) ? code.toUpperCase() : null;
    await this.act(res, inst, by.actor, 'bonus', body, 'creditBonusRecorded', async () => {
      const r = await this.credit.recordBonus(parseBonus({ ...(body ?? {}), institutionCode: inst ?? '' }), by);
      return r.institutionCode;
    });
  }

  @Post('entries/:id/appeal')
  @Roles('institution')
  async appeal(@Param('id') id: string, @Body() body: unknown, @Res() res: Response, @CurrentActor() actor?: Actor, @Ip() ip?: string) {
    const by = acting(actor, ip);
    await this.act(res, by.actor.institutionCode, by.actor, `appeal_${id}`, body, 'creditAppealFiled', async () => (await this.credit.appeal(parseEntryId(id), parseCreditReason(body), by)).institutionCode);
  }

  @Post('appeals/:id/decision')
  @Roles('admin', 'supervisor')
  async decideAppeal(@Param('id') id: string, @Body() body: unknown, @Res() res: Response, @CurrentActor() actor?: Actor, @Ip() ip?: string) {
    const by = acting(actor, ip);
    await this.act(
      res,
      this.codeOf(body),
      by.actor,
      `decide_${id}`,
      body,
      'creditAppealDecided',
      async () => (await this.credit.decideAppeal(id, parseCreditAppealDecision(body), by)).institutionCode,
      this.back(body),
    );
  }

  @Post('repairs')
  @Roles('institution')
  async repair(@Body() body: Record<string, unknown>, @Res() res: Response, @CurrentActor() actor?: Actor, @Ip() ip?: string) {
    const by = acting(actor, ip);
    const form = `repair_${typeof body?.entryId === 'string' ? body.entryId : ''}`;
    await this.act(res, by.actor.institutionCode, by.actor, form, body, 'creditRepairRequested', async () => (await this.credit.requestRepair(parseRepairRequest(body), by)).institutionCode);
  }

  @Post('repairs/:id/decision')
  @Roles('admin', 'supervisor')
  async decideRepair(@Param('id') id: string, @Body() body: unknown, @Res() res: Response, @CurrentActor() actor?: Actor, @Ip() ip?: string) {
    const by = acting(actor, ip);
    await this.act(
      res,
      this.codeOf(body),
      by.actor,
      `decide_${id}`,
      body,
      'creditRepairDecided',
      async () => (await this.credit.decideRepair(id, parseRepairDecision(body), by)).institutionCode,
      this.back(body),
    );
  }
}
