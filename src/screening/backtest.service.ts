import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { resolve } from 'node:path';
import { DataSource } from 'typeorm';
import { DomainErrorCode, DomainException } from '../common/domain.exception';
import { withPgClient } from '../database/pg-client';
import { RuleHit, byPatient, screenClaims, screenPatient, screenPeriod } from '../rules-engine/engine';
import { ScreenClaim } from '../rules-engine/model';
import { CompiledRule } from '../rules-engine/rule-compiler';
import { loadRuleFile } from '../rules-engine/rule-library';
import { RuleLibraryService } from '../rules-engine/rules-engine.module';
import { dayNumber, fenText } from '../rules-engine/values';
import { loadAllDeaths, loadKnowledgeBase, readClaimBatch, readClaimsWithDigests } from './screening.store';

export interface BacktestReport {
  rule: { id: string; version: number; hash: string; category: string; scope: string };
  window: { from: string | null; to: string | null };
  claimsScreened: number;
  hits: number;
  claimsHit: number;
  amountAtRisk: string;
  institutions: number;
  /** Top institutions by amount at risk. */
  topInstitutions: { code: string; hits: number; amountAtRisk: string }[];
  /** Against the stored findings of the same rule id. */
  versusStored: { open: number; newHits: number; noLongerHit: number; confirmedHit: number; dismissedHit: number; reviewed: number; precision: number | null };
  examples: { claimId: string; itemSeq: number | null; amountAtRisk: string; why: string }[];
}

const WINDOW = 20_000;

/** Evaluates a draft rule over the stored claims without writing anything. */
@Injectable()
export class BacktestService {
  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly rules: RuleLibraryService,
  ) {}

  /** Loads a rule file (it need not be in the library), or throws naming each problem with its line. */
  loadDraft(file: string): CompiledRule {
    const r = loadRuleFile(resolve(file), this.rules.root, process.cwd(), { draft: true });
    if (!r.rule) {
      throw new DomainException(
        DomainErrorCode.InvalidInput,
        `the rule file has ${r.problems.length} problem(s)`,
        r.problems.map((p) => ({ path: p.split(': ')[0] ?? file, reason: p.split(': ').slice(1).join(': ') })),
      );
    }
    return r.rule;
  }

  async run(rule: CompiledRule, opts: { from?: string; to?: string } = {}): Promise<BacktestReport> {
    const from = opts.from ? dayNumber(opts.from) : null;
    const to = opts.to ? dayNumber(opts.to) : null;
    const errors = [];
    if (opts.from && from === null) errors.push({ path: 'from', reason: 'must be a date YYYY-MM-DD' });
    if (opts.to && to === null) errors.push({ path: 'to', reason: 'must be a date YYYY-MM-DD' });
    if (errors.length) throw new DomainException(DomainErrorCode.InvalidInput, 'invalid backtest window', errors);
    const inWindow = (c: ScreenClaim) => (from === null || c.admissionDay >= from) && (to === null || c.admissionDay <= to);

    const hits: RuleHit[] = [];
    let screened = 0;
    return withPgClient(this.ds, async (client) => {
      const kb = await loadAllDeaths(client, await loadKnowledgeBase(client));
      const emit = (h: RuleHit) => {
        if (inWindow(h.claim)) hits.push(h);
      };
      if (rule.scope === 'line' || rule.scope === 'claim') {
        const b = (await client.query<{ lo: string | null; hi: string | null }>('SELECT min(id) AS lo, max(id) AS hi FROM claim WHERE is_current')).rows[0]!;
        if (b.lo !== null && b.hi !== null) {
          for (let lo = BigInt(b.lo); lo <= BigInt(b.hi); lo += BigInt(WINDOW)) {
            const claims = (await readClaimBatch(client, String(lo), String(lo + BigInt(WINDOW) - 1n), null)).filter(inWindow);
            screened += claims.length;
            screenClaims(claims, kb, [rule], emit);
          }
        }
      } else if (rule.scope === 'history') {
        for (const p of ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9', 'a', 'b', 'c', 'd', 'e', 'f', null]) {
          const where = p === null ? "c.patient_key < '0' OR c.patient_key >= 'g'" : `c.patient_key LIKE '${p}%'`;
          const claims = await readClaimsWithDigests(client, `(${where})`, []);
          screened += claims.filter(inWindow).length;
          for (const cs of byPatient(claims).values()) screenPatient(cs, kb, [rule], emit);
        }
      } else {
        const months = (await client.query<{ m: string }>('SELECT DISTINCT settle_month::text AS m FROM claim WHERE is_current ORDER BY 1')).rows;
        for (const { m } of months) {
          const claims = await readClaimsWithDigests(client, 'c.settle_month = $1::date', [m]);
          screened += claims.filter(inWindow).length;
          screenPeriod(claims, kb, [rule], emit);
        }
      }
      const stored = (
        await client.query<{ claim_pk: string; item_seq: number; status: string }>(
          `SELECT claim_pk, item_seq, status FROM finding WHERE rule_id = $1 AND status IN ('open', 'confirmed', 'dismissed')`,
          [rule.id],
        )
      ).rows;
      return report(rule, opts, screened, hits, stored);
    });
  }
}

function report(
  rule: CompiledRule,
  opts: { from?: string; to?: string },
  screened: number,
  hits: RuleHit[],
  stored: { claim_pk: string; item_seq: number; status: string }[],
): BacktestReport {
  const key = (pk: string, seq: number) => `${pk}|${seq}`;
  const hitKeys = new Set(hits.map((h) => key(h.claim.pk, h.itemSeq ?? 0)));
  const storedBy = new Map(stored.map((s) => [key(s.claim_pk, s.item_seq), s.status]));
  let newHits = 0;
  let confirmedHit = 0;
  let dismissedHit = 0;
  for (const k of hitKeys) {
    const s = storedBy.get(k);
    if (s === undefined) newHits++;
    else if (s === 'confirmed') confirmedHit++;
    else if (s === 'dismissed') dismissedHit++;
  }
  const open = stored.filter((s) => s.status === 'open').length;
  const noLongerHit = stored.filter((s) => !hitKeys.has(key(s.claim_pk, s.item_seq))).length;
  const byInst = new Map<string, { hits: number; fen: number }>();
  let fen = 0;
  for (const h of hits) {
    fen += h.amountFen;
    const e = byInst.get(h.claim.institutionCode) ?? { hits: 0, fen: 0 };
    e.hits++;
    e.fen += h.amountFen;
    byInst.set(h.claim.institutionCode, e);
  }
  const reviewed = confirmedHit + dismissedHit;
  return {
    rule: { id: rule.id, version: rule.version, hash: rule.hash, category: rule.spec.category, scope: rule.scope },
    window: { from: opts.from ?? null, to: opts.to ?? null },
    claimsScreened: screened,
    hits: hits.length,
    claimsHit: new Set(hits.map((h) => h.claim.pk)).size,
    amountAtRisk: fenText(fen),
    institutions: byInst.size,
    topInstitutions: [...byInst]
      .sort((a, b) => b[1].fen - a[1].fen || b[1].hits - a[1].hits)
      .slice(0, 10)
      .map(([code, e]) => ({ code, hits: e.hits, amountAtRisk: fenText(e.fen) })),
    versusStored: { open, newHits, noLongerHit, confirmedHit, dismissedHit, reviewed, precision: reviewed ? confirmedHit / reviewed : null },
    examples: hits.slice(0, 5).map((h) => ({ claimId: h.claim.claimId, itemSeq: h.itemSeq, amountAtRisk: fenText(h.amountFen), why: h.why.zh })),
  };
}
