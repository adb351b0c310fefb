import { Body, Controller, Get, Ip, Param, Post, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { Actor, CurrentActor, Public, Roles } from '../accounts/roles';
import { acting } from '../cases/cases.controller';
import { FormFailure, runForm } from '../console/form-action';
import { ViewRenderer, redirectWithFlash } from '../console/view-renderer.service';
import { parseReason, parseResultInput } from './inspection-plan.dto';
import { InspectionsService } from './inspections.service';

const SUPERVISING = ['admin', 'supervisor'];

/** The supervisors' plan pages and the inspectors' assignment page (/console/inspections…). */
@ApiExcludeController()
@Controller('console/inspections')
export class InspectionsPagesController {
  constructor(
    private readonly views: ViewRenderer,
    private readonly inspections: InspectionsService,
  ) {}

  private failed(res: Response, f?: FormFailure) {
    if (!f) return null;
    const lang = this.views.langOf(res.req as Request);
    return { ...f, errors: f.errors.map((e) => ({ ...e, label: this.views.has(`inspections.field_${e.path}`) ? this.views.t(lang, `inspections.field_${e.path}`) : undefined })) };
  }

  private async renderPlans(res: Response, actor: Actor, failure?: FormFailure, status = 200) {
    const plans = await this.inspections.listPlans();
    const late = await this.inspections.latePublications();
    const v = failure?.values ?? {};
    const chosen = Array.isArray(v.matters) ? v.matters : v.matters ? [v.matters] : [];
    this.views.render(
      res,
      'inspections/plans',
      {
        plans,
        late,
        canPlan: SUPERVISING.includes(actor.role),
        matters: this.inspections.matters.map((m) => ({ ...m, checked: chosen.includes(m.code) })),
        grades: this.inspections.gradeRatios().map((g) => ({ ...g, value: v[`ratio_${g.grade}`] ?? g.samplingRatio })),
        form: { failed: this.failed(res, failure), values: { teamSize: 2, loadCap: 5, minPerStratum: 1, ...v } },
      },
      { title: 'inspections.title', status },
    );
  }

  @Get()
  @Roles('admin', 'supervisor', 'auditor')
  async plans(@Res() res: Response, @CurrentActor() actor?: Actor) {
    await this.renderPlans(res, acting(actor).actor);
  }

  @Post()
  @Roles('admin', 'supervisor')
  async create(@Body() body: Record<string, unknown>, @Res() res: Response, @CurrentActor() actor?: Actor, @Ip() ip?: string) {
    const by = acting(actor, ip);
    await runForm(res, {
      form: 'plan',
      body,
      flash: 'inspectionPlanCreated',
      run: () => this.inspections.createPlan(this.inspections.parsePlan(body), by),
      redirectTo: (p) => `/console/inspections/${p.id}`,
      rerender: (failure, status) => this.renderPlans(res, by.actor, failure, status),
    });
  }

  @Get('mine')
  @Roles('inspector')
  async mine(@Res() res: Response, @CurrentActor() actor?: Actor) {
    await this.renderMine(res, acting(actor).actor);
  }

  private async renderMine(res: Response, actor: Actor, failure?: FormFailure, status = 200) {
    const r = await this.inspections.assignments({ mine: true }, actor);
    this.views.render(res, 'inspections/mine', { r, form: { failed: this.failed(res, failure), values: failure?.values ?? {} } }, { title: 'inspections.mineTitle', status });
  }

  @Post('assignments/:id/result')
  @Roles('inspector')
  async result(@Param('id') id: string, @Body() body: Record<string, unknown>, @Res() res: Response, @CurrentActor() actor?: Actor, @Ip() ip?: string) {
    const by = acting(actor, ip);
    await runForm(res, {
      form: `result_${id}`,
      body,
      flash: 'inspectionResultRecorded',
      run: () => this.inspections.recordResult(id, parseResultInput(body), by),
      redirectTo: () => '/console/inspections/mine',
      rerender: (failure, status) => this.renderMine(res, by.actor, failure, status),
    });
  }

  private async renderPlan(res: Response, id: string, actor: Actor, failure?: FormFailure, status = 200) {
    const p = await this.inspections.plan(id);
    const assignments = p.draws.length ? (await this.inspections.assignments({ mine: false, planId: p.id }, actor)).items : [];
    this.views.render(
      res,
      'inspections/plan',
      { p, assignments, canPlan: SUPERVISING.includes(actor.role), form: { failed: this.failed(res, failure), values: failure?.values ?? {} } },
      { title: p.name, status },
    );
  }

  @Get(':id')
  @Roles('admin', 'supervisor', 'auditor')
  async plan(@Param('id') id: string, @Res() res: Response, @CurrentActor() actor?: Actor) {
    await this.renderPlan(res, id, acting(actor).actor);
  }

  /** One plan action: redirect with a flash, or the plan page again with the error (400 / 409). */
  private async act(res: Response, id: string, actor: Actor, form: string, body: Record<string, unknown> | undefined, flash: string, run: () => Promise<unknown>) {
    await runForm(res, { form, body, flash, run, redirectTo: () => `/console/inspections/${encodeURIComponent(id)}`, rerender: (failure, status) => this.renderPlan(res, id, actor, failure, status) });
  }

  @Post(':id/commit')
  @Roles('admin', 'supervisor')
  async commit(@Param('id') id: string, @Body() body: Record<string, unknown>, @Res() res: Response, @CurrentActor() actor?: Actor, @Ip() ip?: string) {
    const by = acting(actor, ip);
    await this.act(res, id, by.actor, 'commit', body, 'inspectionCommitted', () => this.inspections.commit(id, by));
  }

  @Post(':id/draw')
  @Roles('admin', 'supervisor')
  async draw(@Param('id') id: string, @Body() body: Record<string, unknown>, @Res() res: Response, @CurrentActor() actor?: Actor, @Ip() ip?: string) {
    const by = acting(actor, ip);
    await this.act(res, id, by.actor, 'draw', body, 'inspectionDrawn', () => this.inspections.draw(id, by));
  }

  @Post(':id/redraw')
  @Roles('admin', 'supervisor')
  async redraw(@Param('id') id: string, @Body() body: Record<string, unknown>, @Res() res: Response, @CurrentActor() actor?: Actor, @Ip() ip?: string) {
    const by = acting(actor, ip);
    await this.act(res, id, by.actor, 'redraw', body, 'inspectionRedrawRequested', () => this.inspections.requestRedraw(id, parseReason(body), by));
  }

  @Post('assignments/:id/publish')
  @Roles('admin', 'supervisor')
  async publish(@Param('id') id: string, @Body() body: Record<string, unknown>, @Res() res: Response, @CurrentActor() actor?: Actor, @Ip() ip?: string) {
    const by = acting(actor, ip);
    const a = await this.inspections.publishResult(id, by);
    redirectWithFlash(res, `/console/inspections/${a.planId}`, 'inspectionResultPublished');
  }
}
