import { Body, Controller, Get, Ip, Param, Post, Query, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { Actor, CurrentActor, Roles } from '../accounts/roles';
import { DomainErrorCode, DomainException } from '../common/domain.exception';
import { isUuid, parsePaging } from '../common/query';
import { pager } from '../console/format';
import { Lang } from '../console/i18n';
import { FormFailure, runForm } from '../console/form-action';
import { ViewRenderer } from '../console/view-renderer.service';
import { RuleLibraryService } from '../rules-engine/rules-engine.module';
import { CASE_STATUSES, COLLECTING_STATUSES } from './case-workflow';
import { CasePublicationService, parsePublication, parseWithdrawal, suggestSummary } from './case-publication.service';
import { acting } from './cases.controller';
import { parseAppealDecision, parseAssign, parseCaseFilter, parseConfirm, parseDecision, parseFinalize, parsePayment, parseReason } from './cases.dto';
import { CasesService } from './cases.service';
import { AGREEMENT_ACTIONS, ARTICLE_RANGES, LEGAL_ARTICLES } from './penalties';

const SUPERVISING = ['admin', 'supervisor'];

/**
 * The case pages: the queue (filters, assign to me) and the detail (findings with why, claims and
 * lines with pseudonymised patients, risk drivers against peers, decisions, appeals, recoveries)
 * with the actions open to the actor as POST forms. Every POST redirects back to the detail with a
 * flash message; a refused one shows the detail again with the form's errors, each naming its field.
 */
@ApiExcludeController()
@Controller('console')
export class CasesPagesController {
  constructor(
    private readonly views: ViewRenderer,
    private readonly cases: CasesService,
    private readonly rules: RuleLibraryService,
    private readonly publication: CasePublicationService,
  ) {}

  @Get('cases')
  @Roles('admin', 'supervisor', 'auditor', 'institution')
  async queue(@Res() res: Response, @Query() query: Record<string, unknown>, @CurrentActor() actor?: Actor) {
    const who = acting(actor).actor;
    const paging = parsePaging(query, 200);
    const filter = parseCaseFilter(query, paging);
    const r = await this.cases.list(filter, who);
    const canAssign = SUPERVISING.includes(who.role);
    const categories = [...new Set(this.rules.library.rules.map((x) => x.spec.category))].sort();
    this.views.render(
      res,
      'cases/queue',
      {
        items: r.items.map((i) => ({ ...i, assignable: canAssign && (['open', 'in_review', 'confirmed'] as string[]).includes(i.status) && i.assigneeId !== who.userId })),
        f: { ...Object.fromEntries(Object.entries(query).filter(([, v]) => typeof v === 'string')) },
        statuses: CASE_STATUSES,
        categories,
        canAssign,
        isInstitution: who.role === 'institution',
        back: (res.req as Request).originalUrl,
        pager: pager(r.total, r.page, r.pageSize),
      },
      { title: 'cases.queueTitle' },
    );
  }

  @Get('cases/:id')
  @Roles('admin', 'supervisor', 'auditor', 'institution')
  async detail(@Param('id') id: string, @Res() res: Response, @CurrentActor() actor?: Actor) {
    await this.renderDetail(res, id, acting(actor).actor);
  }

  private fieldLabel(lang: Lang, path: string): string | undefined {
    const field = path.replace(/^decision\./, '');
    if (field.startsWith('outcomes.')) return `${this.views.t(lang, 'cases.outcome')} #${field.slice('outcomes.'.length)}`;
    const key = { amount: 'cases.paymentAmount', reason: 'cases.reason', assigneeId: 'cases.assignTo', outcome: 'cases.appealOutcome', waived: 'cases.waived', summaryZh: 'cases.publication.summaryZh', summaryEn: 'cases.publication.summaryEn' }[field] ?? `cases.${field}`;
    return this.views.has(key) ? this.views.t(lang, key) : undefined;
  }

  private async renderDetail(res: Response, id: string, actor: Actor, failure?: FormFailure, status = 200): Promise<void> {
    const d = await this.cases.detail(id, actor);
    const lang = this.views.langOf(res.req as Request);
    const can = Object.fromEntries(d.allowedActions.map((a) => [a, true]));
    const assignees = can.assign ? await this.cases.assignableUsers() : [];
    const failed = failure ? { ...failure, errors: failure.errors.map((e) => ({ ...e, label: this.fieldLabel(lang, e.path) })) } : null;
    const v = (name: string, dflt: unknown = '') => (failure?.values[name] as unknown) ?? dflt;
    const current = d.currentDecision;
    const pub = await this.publicationSection(d.id, actor, lang, failure);
    this.views.render(
      res,
      'cases/detail',
      {
        c: d,
        can,
        anyAction: d.allowedActions.length > 0 || d.paymentAllowed,
        assignees: assignees.map((u) => ({ ...u, selected: u.id === d.assigneeId })),
        collecting: COLLECTING_STATUSES.includes(d.status),
        activeFindings: d.findings.filter((f) => !f.retired).map((f) => ({ ...f, dismissed: v(`outcome_${f.id}`) === 'dismissed' })),
        articles: LEGAL_ARTICLES.map((a) => ({ value: a, range: ARTICLE_RANGES[a] })),
        agreementActions: AGREEMENT_ACTIONS,
        // Forms show what was typed after a refusal; the decision starts from the confirmed amount.
        form: {
          failed,
          decision: {
            violationType: v('violationType', v('decision.violationType', current?.violationType ?? '')),
            article: v('article', v('decision.article', current?.article ?? '38')),
            clauseText: v('clauseText', v('decision.clauseText', current?.clauseText ?? '')),
            amountToRecover: v('amountToRecover', v('decision.amountToRecover', current?.amountToRecover ?? d.amountAtRisk)),
            fineMultiple: v('fineMultiple', v('decision.fineMultiple', current?.fineMultiple ?? '1')),
            suspensionMonths: v('suspensionMonths', v('decision.suspensionMonths', current?.suspensionMonths ?? 0)),
            agreementAction: v('agreementAction', v('decision.agreementAction', current?.agreementAction ?? 'none')),
            responsiblePhysicianCode: v('responsiblePhysicianCode', v('decision.responsiblePhysicianCode', current?.responsiblePhysicianCode ?? '')),
            physicianPoints: v('physicianPoints', v('decision.physicianPoints', current?.physicianPoints ?? '')),
            reason: v('decision.reason', failure?.form === 'decide' ? v('reason') : ''),
          },
          reason: v('reason'),
        },
        pub,
        lang,
      },
      { title: 'cases.detailTitle', titleVars: { number: d.number }, status },
    );
  }

  /**
   * 曝光台 on the case page (staff only): for a final or closed violation case, the form to mark it
   * (first draft from the confirmed categories' labels) or, when marked, the summary, who and when,
   * what the public reads, and the withdraw form; a marked case that is no longer publishable still
   * shows its marking (and may be withdrawn).
   */
  private async publicationSection(caseId: string, actor: Actor, lang: Lang, failure?: FormFailure) {
    if (actor.role === 'institution') return null;
    const p = await this.publication.forCase(caseId, actor);
    if (p.refusal && !p.publication) return null;
    const supervising = SUPERVISING.includes(actor.role);
    const label = (l: Lang, c: string) => (this.views.has(`category.${c}`) ? this.views.t(l, `category.${c}`) : c);
    const suggestion = { zh: suggestSummary('zh', p.violationType, p.confirmedCategories.map((c) => label('zh', c))), en: suggestSummary('en', p.violationType, p.confirmedCategories.map((c) => label('en', c))) };
    const typed = failure?.form === 'publish' ? failure.values : null;
    const text = (k: 'summaryZh' | 'summaryEn', dflt: string) => (typed ? (typeof typed[k] === 'string' ? (typed[k] as string) : '') : dflt);
    return {
      ...p,
      live: p.publication?.state === 'published',
      canMark: supervising && !p.refusal,
      canWithdraw: supervising && p.publication?.state === 'published',
      suggested: !p.publication && !typed && !!suggestion.zh,
      form: {
        summaryZh: text('summaryZh', p.publication?.summaryZh ?? suggestion.zh),
        summaryEn: text('summaryEn', p.publication ? (p.publication.summaryEn ?? '') : suggestion.en),
        reason: failure?.form === 'withdraw_publication' && typeof failure.values.reason === 'string' ? failure.values.reason : '',
      },
    };
  }

  /** Runs one POST: redirect to the detail with a flash, or show the detail again with the form's errors. */
  private async act(res: Response, id: string, actor: Actor, form: string, body: unknown, flash: string, run: () => Promise<string>, back?: string): Promise<void> {
    await runForm(res, { form, body, flash, run, redirectTo: (caseId) => back ?? `/console/cases/${caseId}`, rerender: (failure, status) => this.renderDetail(res, id, actor, failure, status) });
  }

  @Post('cases/:id/assign')
  @Roles('admin', 'supervisor')
  async assign(@Param('id') id: string, @Body() body: Record<string, unknown>, @Res() res: Response, @CurrentActor() actor?: Actor, @Ip() ip?: string) {
    const by = acting(actor, ip);
    // "Assign to me" from the queue sends `me` and where to come back to (a local queue URL only).
    const back = typeof body?.back === 'string' && /^\/console\/cases(\?|$)/.test(body.back) ? body.back : undefined;
    const assigneeId = body?.assigneeId === 'me' ? by.actor.userId : body?.assigneeId;
    await this.act(res, id, by.actor, 'assign', body, 'assigned', async () => this.cases.assign(id, parseAssign({ assigneeId }).assigneeId, by), back);
  }

  @Post('cases/:id/start-review')
  @Roles('admin', 'supervisor')
  async startReview(@Param('id') id: string, @Body() body: unknown, @Res() res: Response, @CurrentActor() actor?: Actor, @Ip() ip?: string) {
    const by = acting(actor, ip);
    await this.act(res, id, by.actor, 'start_review', body, 'caseReviewStarted', () => this.cases.startReview(id, by));
  }

  @Post('cases/:id/confirm')
  @Roles('admin', 'supervisor')
  async confirm(@Param('id') id: string, @Body() body: unknown, @Res() res: Response, @CurrentActor() actor?: Actor, @Ip() ip?: string) {
    const by = acting(actor, ip);
    await this.act(res, id, by.actor, 'confirm', body, 'confirmed', async () => this.cases.confirm(id, parseConfirm(withoutCsrf(body)), by));
  }

  @Post('cases/:id/dismiss')
  @Roles('admin', 'supervisor')
  async dismiss(@Param('id') id: string, @Body() body: unknown, @Res() res: Response, @CurrentActor() actor?: Actor, @Ip() ip?: string) {
    const by = acting(actor, ip);
    await this.act(res, id, by.actor, 'dismiss', body, 'dismissed', async () => this.cases.dismiss(id, parseReason(body, true), by));
  }

  @Post('cases/:id/decision')
  @Roles('admin', 'supervisor')
  async decide(@Param('id') id: string, @Body() body: unknown, @Res() res: Response, @CurrentActor() actor?: Actor, @Ip() ip?: string) {
    const by = acting(actor, ip);
    await this.act(res, id, by.actor, 'decide', body, 'decided', async () => this.cases.decide(id, parseDecision(body), by));
  }

  @Post('cases/:id/appeal')
  @Roles('institution')
  async appeal(@Param('id') id: string, @Body() body: unknown, @Res() res: Response, @CurrentActor() actor?: Actor, @Ip() ip?: string) {
    const by = acting(actor, ip);
    await this.act(res, id, by.actor, 'appeal', body, 'appealed', async () => this.cases.appeal(id, parseReason(body, true), by));
  }

  @Post('cases/:id/appeal-decision')
  @Roles('admin', 'supervisor')
  async appealDecision(@Param('id') id: string, @Body() body: unknown, @Res() res: Response, @CurrentActor() actor?: Actor, @Ip() ip?: string) {
    const by = acting(actor, ip);
    await this.act(res, id, by.actor, 'decide_appeal', body, 'caseAppealDecided', async () => this.cases.decideAppeal(id, parseAppealDecision(withoutCsrf(body)), by));
  }

  @Post('cases/:id/finalize')
  @Roles('admin', 'supervisor')
  async finalize(@Param('id') id: string, @Body() body: unknown, @Res() res: Response, @CurrentActor() actor?: Actor, @Ip() ip?: string) {
    const by = acting(actor, ip);
    await this.act(res, id, by.actor, 'finalize', body, 'caseFinalized', async () => this.cases.finalize(id, parseFinalize(body), by));
  }

  @Post('cases/:id/close')
  @Roles('admin', 'supervisor')
  async close(@Param('id') id: string, @Body() body: unknown, @Res() res: Response, @CurrentActor() actor?: Actor, @Ip() ip?: string) {
    const by = acting(actor, ip);
    await this.act(res, id, by.actor, 'close', body, 'closed', async () => this.cases.close(id, parseReason(body, false), by));
  }

  @Post('cases/:id/publication')
  @Roles('admin', 'supervisor')
  async markPublication(@Param('id') id: string, @Body() body: unknown, @Res() res: Response, @CurrentActor() actor?: Actor, @Ip() ip?: string) {
    const by = acting(actor, ip);
    await this.act(res, id, by.actor, 'publish', body, 'casePublished', async () => this.publication.mark(id, parsePublication(body), by));
  }

  @Post('cases/:id/publication/withdraw')
  @Roles('admin', 'supervisor')
  async withdrawPublication(@Param('id') id: string, @Body() body: unknown, @Res() res: Response, @CurrentActor() actor?: Actor, @Ip() ip?: string) {
    const by = acting(actor, ip);
    await this.act(res, id, by.actor, 'withdraw_publication', body, 'casePublicationWithdrawn', async () => this.publication.withdraw(id, parseWithdrawal(body), by));
  }

  @Post('recoveries/:id/payments')
  @Roles('admin', 'supervisor')
  async pay(@Param('id') recoveryId: string, @Body() body: Record<string, unknown>, @Res() res: Response, @CurrentActor() actor?: Actor, @Ip() ip?: string) {
    const by = acting(actor, ip);
    // The form names its case, to show it again on an error (the service checks the recovery itself).
    const caseId = isUuid(body?.caseId) ? (body.caseId as string) : null;
    if (!caseId) throw new DomainException(DomainErrorCode.InvalidInput, 'invalid payment form', [{ path: 'caseId', reason: 'must be the case id' }]);
    await this.act(res, caseId, by.actor, `pay_${recoveryId}`, body, 'casePaymentRecorded', async () => (await this.cases.recordPayment(recoveryId, parsePayment(body), by)).caseId);
  }
}

/** Form bodies carry the CSRF field; parsers that read every field (outcome_*, decision.*) must not see it. */
function withoutCsrf(body: unknown): unknown {
  if (!body || typeof body !== 'object') return body;
  const { _csrf: _ignored, ...rest } = body as Record<string, unknown>;
  return rest;
}
