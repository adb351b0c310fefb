import { Body, Controller, Get, Inject, Ip, Param, Post, Query, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { Actor, CurrentActor, Public, Roles } from '../accounts/roles';
import { acting } from '../cases/cases.controller';
import { domainStatus } from '../common/domain-exception.filter';
import { DomainErrorCode, DomainException, FieldError } from '../common/domain.exception';
import { parsePaging } from '../common/query';
import { AppConfig } from '../config/config';
import { APP_CONFIG } from '../config/config.module';
import { FormFailure, runForm } from '../console/form-action';
import { pager } from '../console/format';
import { ViewRenderer } from '../console/view-renderer.service';
import { LIVE_SITE } from '../disclosure/public-site';
import { TIP_STATUSES } from './tip-workflow';
import { TIP_CATEGORIES } from './tip.entities';
import { formToSubmission, parseAssign, parseClose, parseLevel, parseNote, parseOpenCase, parsePayment, parseTipFilter, parseTipSubmission, parseTrackBody } from './tips.dto';
import { TipRewardPolicyService } from './tip-reward-policy.service';
import { TipsService } from './tips.service';

/** A refusal shown on the form itself (400, 404, 429) rather than on an error page. */
interface PublicFailure {
  message: string;
  errors: (FieldError & { label?: string })[];
  values: Record<string, unknown>;
}

const SHOWN_ON_FORM = [DomainErrorCode.InvalidInput, DomainErrorCode.NotFound, DomainErrorCode.TooManyRequests];

/** Texts the public sends back when a form is shown again: never the challenge (a new one is asked) nor the CSRF field. */
function typedValues(body: unknown): Record<string, unknown> {
  const o = body && typeof body === 'object' ? (body as Record<string, unknown>) : {};
  const { challenge_token: _t, challenge_answer: _a, _csrf: _c, ...rest } = o;
  return rest;
}

/**
 * The public tip pages (no login, the public site's layout): the form with the reward policy and the
 * privacy promise, the receipt that shows the tracking code once, and tracking by code (in the body).
 */
@ApiExcludeController()
@Controller('public/tips')
export class PublicTipsPagesController {
  constructor(
    private readonly views: ViewRenderer,
    private readonly tips: TipsService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  private label(res: Response, errors: FieldError[]) {
    const lang = this.views.langOf(res.req as Request);
    return errors.map((e) => {
      const key = `tips.field_${e.path.replace(/\./g, '_')}`;
      return { ...e, label: this.views.has(key) ? this.views.t(lang, key) : undefined };
    });
  }

  private render(res: Response, view: string, ctx: Record<string, unknown>, title: string, status = 200) {
    this.views.render(
      res,
      `tips/${view}`,
      { ...ctx, site: LIVE_SITE, section: 'tips', privacy: { minCell: this.config.disclosure.minCell } },
      { title, status, layout: 'disclosure/layout' },
    );
  }

  private renderForm(res: Response, failure?: PublicFailure, status = 200) {
    const v = failure?.values ?? {};
    this.render(
      res,
      'public-form',
      {
        challenge: this.tips.challenge(),
        policy: this.tips.policyView(),
        categories: TIP_CATEGORIES.map((c) => ({ code: c, selected: v.category === c })),
        form: { failed: failure ? { ...failure, errors: this.label(res, failure.errors) } : null, values: v },
      },
      'tips.publicTitle',
      status,
    );
  }

  @Get()
  @Public()
  form(@Res() res: Response) {
    this.renderForm(res);
  }

  @Post()
  @Public()
  async submit(@Body() body: Record<string, unknown>, @Res() res: Response, @Ip() ip?: string) {
    let r: Awaited<ReturnType<TipsService['submit']>>;
    try {
      r = await this.tips.submit(parseTipSubmission(formToSubmission(body ?? {})), ip ?? null);
    } catch (err) {
      if (err instanceof DomainException && SHOWN_ON_FORM.includes(err.code)) {
        this.renderForm(res, { message: err.message, errors: err.errors, values: typedValues(body) }, domainStatus(err.code));
        return;
      }
      throw err;
    }
    // The receipt is the only place the tracking code ever appears (the renderer sends no-store).
    this.render(res, 'public-submitted', { number: r.number, trackingCode: r.trackingCode, receivedAt: r.receivedAt }, 'tips.submittedTitle', 201);
  }

  private renderTrack(res: Response, ctx: Record<string, unknown>, status = 200) {
    this.render(res, 'public-track', ctx, 'tips.trackTitle', status);
  }

  @Get('track')
  @Public()
  trackForm(@Res() res: Response) {
    this.renderTrack(res, {});
  }

  @Post('track')
  @Public()
  async track(@Body() body: Record<string, unknown>, @Res() res: Response, @Ip() ip?: string) {
    try {
      const tip = await this.tips.track(parseTrackBody(body), ip ?? null);
      this.renderTrack(res, { tip });
    } catch (err) {
      if (err instanceof DomainException && SHOWN_ON_FORM.includes(err.code)) {
        const failed = { message: err.code === DomainErrorCode.NotFound ? null : err.message, notFound: err.code === DomainErrorCode.NotFound, errors: this.label(res, err.errors) };
        this.renderTrack(res, { failed }, domainStatus(err.code));
        return;
      }
      throw err;
    }
  }
}

const SUPERVISING = ['admin', 'supervisor'] as const;

/** The supervisors' tip pages (/console/tips…): the list, a tip with its timeline, the identity for its assignee, the workflow forms. */
@ApiExcludeController()
@Controller('console/tips')
@Roles(...SUPERVISING)
export class TipsPagesController {
  constructor(
    private readonly views: ViewRenderer,
    private readonly tips: TipsService,
    private readonly rewards: TipRewardPolicyService,
  ) {}

  private failed(res: Response, f?: FormFailure) {
    if (!f) return null;
    const lang = this.views.langOf(res.req as Request);
    return {
      ...f,
      errors: f.errors.map((e) => {
        const key = `tips.field_${e.path.replace(/\./g, '_')}`;
        return { ...e, label: this.views.has(key) ? this.views.t(lang, key) : undefined };
      }),
    };
  }

  @Get()
  async list(@Query() query: Record<string, unknown>, @Res() res: Response, @CurrentActor() actor?: Actor) {
    const r = await this.tips.list(parseTipFilter(query, parsePaging(query, 200)), acting(actor).actor);
    const f = Object.fromEntries(Object.entries(query).filter(([, v]) => typeof v === 'string'));
    this.views.render(
      res,
      'tips/list',
      { r, f, statuses: TIP_STATUSES.map((s) => ({ code: s, n: r.counts[s] ?? 0, selected: f.status === s })), pager: pager(r.total, r.page, r.pageSize) },
      { title: 'tips.listTitle' },
    );
  }

  private async renderDetail(res: Response, id: string, actor: Actor, extra: { failure?: FormFailure; identity?: unknown } = {}, status = 200) {
    const t = await this.tips.detail(id, actor);
    const can = (a: string) => t.allowedActions.includes(a as never);
    this.views.render(
      res,
      'tips/detail',
      {
        t,
        can: {
          assign: can('assign'),
          start: can('start_investigation'),
          note: can('note'),
          level: can('set_level'),
          openCase: can('open_case'),
          close: can('close'),
          payment: can('record_payment'),
        },
        supervisors: can('assign') ? (await this.tips.supervisors()).filter((s) => s.id !== t.assignee?.id) : [],
        levels: this.rewards.policy.levels.map((l) => ({ ...l, selected: l.level === t.rewardLevel })),
        identity: extra.identity ?? null,
        form: { failed: this.failed(res, extra.failure), values: extra.failure?.values ?? {} },
      },
      { title: 'tips.detailTitle', titleVars: { number: t.number }, status },
    );
  }

  @Get(':id')
  async detail(@Param('id') id: string, @Res() res: Response, @CurrentActor() actor?: Actor) {
    await this.renderDetail(res, id, acting(actor).actor);
  }

  /** "Show identity": a POST (an audited act, with the CSRF token), answered with the page itself, never a URL. */
  @Post(':id/identity')
  @Roles('supervisor')
  async identity(@Param('id') id: string, @Res() res: Response, @CurrentActor() actor?: Actor, @Ip() ip?: string) {
    const by = acting(actor, ip);
    const r = await this.tips.readIdentity(id, by);
    await this.renderDetail(res, id, by.actor, { identity: r });
  }

  /** One workflow form: redirect with a flash, or the page again with the error (400 / 409). */
  private async act(res: Response, id: string, actor: Actor, form: string, body: Record<string, unknown> | undefined, flash: string, run: () => Promise<unknown>) {
    await runForm(res, {
      form,
      body,
      flash,
      run,
      redirectTo: () => `/console/tips/${encodeURIComponent(id)}`,
      rerender: (failure, status) => this.renderDetail(res, id, actor, { failure }, status),
    });
  }

  @Post(':id/assign')
  async assign(@Param('id') id: string, @Body() body: Record<string, unknown>, @Res() res: Response, @CurrentActor() actor?: Actor, @Ip() ip?: string) {
    const by = acting(actor, ip);
    await this.act(res, id, by.actor, 'assign', body, 'tipAssigned', () => this.tips.assign(id, parseAssign(body), by));
  }

  @Post(':id/start-investigation')
  async start(@Param('id') id: string, @Body() body: Record<string, unknown>, @Res() res: Response, @CurrentActor() actor?: Actor, @Ip() ip?: string) {
    const by = acting(actor, ip);
    await this.act(res, id, by.actor, 'start', body, 'tipInvestigating', () => this.tips.startInvestigation(id, by));
  }

  @Post(':id/notes')
  async note(@Param('id') id: string, @Body() body: Record<string, unknown>, @Res() res: Response, @CurrentActor() actor?: Actor, @Ip() ip?: string) {
    const by = acting(actor, ip);
    await this.act(res, id, by.actor, 'note', body, 'tipNoted', () => this.tips.addNote(id, parseNote(body), by));
  }

  @Post(':id/reward-level')
  async level(@Param('id') id: string, @Body() body: Record<string, unknown>, @Res() res: Response, @CurrentActor() actor?: Actor, @Ip() ip?: string) {
    const by = acting(actor, ip);
    await this.act(res, id, by.actor, 'level', body, 'tipLevelSet', () => this.tips.setLevel(id, parseLevel(body, this.rewards.policy.levels.length), by));
  }

  @Post(':id/open-case')
  async openCase(@Param('id') id: string, @Body() body: Record<string, unknown>, @Res() res: Response, @CurrentActor() actor?: Actor, @Ip() ip?: string) {
    const by = acting(actor, ip);
    await this.act(res, id, by.actor, 'openCase', body, 'tipCaseOpened', () => this.tips.openCase(id, parseOpenCase(body), by));
  }

  @Post(':id/close')
  async close(@Param('id') id: string, @Body() body: Record<string, unknown>, @Res() res: Response, @CurrentActor() actor?: Actor, @Ip() ip?: string) {
    const by = acting(actor, ip);
    await this.act(res, id, by.actor, 'close', body, 'tipClosed', () => this.tips.close(id, parseClose(body), by));
  }

  @Post(':id/reward-payment')
  async payment(@Param('id') id: string, @Body() body: Record<string, unknown>, @Res() res: Response, @CurrentActor() actor?: Actor, @Ip() ip?: string) {
    const by = acting(actor, ip);
    await this.act(res, id, by.actor, 'payment', body, 'tipPaid', () => this.tips.recordPayment(id, parsePayment(body), by));
  }
}
