import { INestApplicationContext } from '@nestjs/common';
import { getDataSourceToken } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AccountsService, actorOf } from '../accounts/accounts.service';
import { Actor } from '../accounts/roles';
import { CasePublicationService, suggestSummary } from '../cases/case-publication.service';
import { parseConfirm, parseDecision } from '../cases/cases.dto';
import { CasesService } from '../cases/cases.service';
import { ViewRenderer } from '../console/view-renderer.service';
import { InspectionsService } from '../inspections/inspections.service';
import { AppConfig } from '../config/config';
import { APP_CONFIG } from '../config/config.module';
import { challengeKey, challengeQuestion, newChallenge } from '../tips/tip-challenge';
import { TipsService } from '../tips/tips.service';
import { DemoDraw } from './demo-inspections';

export interface DemoDisclosure {
  /** Case numbers worked to a final decision and marked for the 曝光台. */
  exposed: string[];
  /** Inspection results recorded and published. */
  results: number;
  /** A tip the public sent (with identity, sealed), assigned to demo-supervisor, and its tracking code. */
  tip: { number: string; trackingCode: string };
}

/** A demo login as the actor it is (the audit trail then names it). */
async function loginActor(app: INestApplicationContext, name: string): Promise<Actor> {
  return actorOf(await app.get(AccountsService).findByName(name));
}

/**
 * Content for the public site, the way supervisors and inspectors would make it: demo-supervisor
 * decides the two findings cases with the most money at risk (art. 38, the institution waives its
 * appeal, so the decision is final) and marks them for the 曝光台; demo-inspector records the first
 * team's result (violations found) and the supervisor publishes it (一公开); a citizen sends a tip
 * with their identity (sealed at rest) and it is assigned to demo-supervisor.
 */
export async function demoDisclosure(app: INestApplicationContext, draw: DemoDraw): Promise<DemoDisclosure> {
  const ds = app.get<DataSource>(getDataSourceToken());
  const cases = app.get(CasesService);
  const publications = app.get(CasePublicationService);
  const views = app.get(ViewRenderer);
  const supervisor = { actor: await loginActor(app, 'demo-supervisor'), ip: null };

  const open: { id: string; number: string; amount_at_risk: string }[] = await ds.query(
    `SELECT c.id, c.number, c.amount_at_risk FROM supervision_case c
     WHERE c.kind = 'findings' AND c.status = 'open' AND c.amount_at_risk > 0
       AND NOT EXISTS (SELECT 1 FROM case_finding cf JOIN finding f ON f.id = cf.finding_id WHERE cf.case_id = c.id AND f.status = 'retired')
     ORDER BY c.amount_at_risk DESC, c.number LIMIT 2`,
  );
  const exposed: string[] = [];
  for (const c of open) {
    await cases.startReview(c.id, supervisor);
    await cases.confirm(c.id, parseConfirm({ reason: '演示：核查属实' }), supervisor);
    await cases.decide(
      c.id,
      parseDecision({ violationType: '违规收费', article: '38', clauseText: '第三十八条', amountToRecover: c.amount_at_risk, fineMultiple: '1.5', suspensionMonths: 0, agreementAction: 'rectify', reason: '演示处理决定' }),
      supervisor,
    );
    await cases.finalize(c.id, { waived: true }, supervisor);
    const categories: { category: string }[] = await ds.query(
      `SELECT DISTINCT f.category FROM case_finding cf JOIN finding f ON f.id = cf.finding_id WHERE cf.case_id = $1 AND cf.outcome = 'confirmed' ORDER BY 1`,
      [c.id],
    );
    const labels = (lang: 'zh' | 'en') => categories.map((r) => views.t(lang, `category.${r.category}`));
    await publications.mark(c.id, { summaryZh: suggestSummary('zh', '违规收费', labels('zh')), summaryEn: suggestSummary('en', null, labels('en')) || null }, supervisor);
    exposed.push(c.number);
  }

  let results = 0;
  if (draw.inspectorCode) {
    const inspections = app.get(InspectionsService);
    const inspector = { actor: await loginActor(app, 'demo-inspector'), ip: null };
    const [a]: { id: string }[] = await ds.query(
      `SELECT id FROM inspection_assignment WHERE draw_id = $1 AND team[1] = $2 AND status <> 'superseded' ORDER BY institution_code LIMIT 1`,
      [draw.drawId, draw.inspectorCode],
    );
    if (a) {
      await inspections.recordResult(a.id, { outcome: 'violations', amountFen: 1_280_000n, notes: '演示：现场检查发现串换项目收费' }, inspector);
      await inspections.publishResult(a.id, supervisor);
      results++;
    }
  }
  // A citizen's tip about the institution with the most at risk, answered challenge and all.
  const tips = app.get(TipsService);
  const key = challengeKey(app.get<AppConfig>(APP_CONFIG).tips.identityKey);
  const first = () => 1; // the citizen's arithmetic: a fixed question, answered right
  const challenge = newChallenge(key, new Date(), first);
  const [target]: { institution_code: string }[] = await ds.query(`SELECT institution_code FROM supervision_case ORDER BY amount_at_risk DESC, number LIMIT 1`);
  const tip = await tips.submit(
    {
      institutionCode: target?.institution_code ?? null,
      institutionName: null,
      category: 'fake_visits',
      description: '演示举报：该机构组织老年参保人免费体检后集中“住院”，病历记载的检查未实际进行，疑似虚假住院骗取医保基金。',
      occurredOn: null,
      anonymous: false,
      identity: { name: '演示举报人', phone: '13800000000' },
      challenge: { token: challenge.token, answer: challengeQuestion(first).answer },
    },
    null,
  );
  await tips.assign(tip.id, { assignee: supervisor.actor.userId! }, supervisor);
  return { exposed, results, tip: { number: tip.number, trackingCode: tip.trackingCode } };
}
