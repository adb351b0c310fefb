import { screenAll } from './engine';
import { Row, modelFromRows } from './from-rows';
import { CompiledRule } from './rule-compiler';
import { ExampleClaim, RuleExample } from './rule-spec';
import { fenText } from './values';

export interface ExampleResult {
  rule: string;
  example: string;
  ok: boolean;
  /** What differed, when not ok. */
  problems: string[];
}

const money = (fen: number) => fenText(fen);
const toFen = (v: number | string): number => Math.round(Number(v) * 100);

/** An example claim with the defaults filled in, as interchange rows. */
function exampleRows(c: ExampleClaim): { claim: Row; items: Row[] } {
  const admission = c.admission_date ?? '2025-03-10';
  const discharge = c.discharge_date ?? admission;
  const items = (c.lines ?? []).map((l, i): Row => {
    const qty = l.quantity ?? 1;
    const amountFen = l.amount !== undefined ? toFen(l.amount) : Math.round(toFen(l.unit_price) * Number(qty));
    return {
      claim_id: c.claim_id,
      item_seq: l.item_seq ?? i + 1,
      item_code: l.item_code,
      item_name: l.item_name,
      service_date: l.service_date ?? admission,
      unit_price: String(l.unit_price),
      quantity: String(qty),
      amount: money(amountFen),
      days_supply: l.days_supply,
    };
  });
  const totalFen = items.reduce((s, l) => s + toFen(l.amount as string), 0);
  const fundFen = c.fund_paid !== undefined ? toFen(c.fund_paid) : Math.round(totalFen * 0.7);
  const visit = c.visit_type ?? 'outpatient';
  return {
    claim: {
      claim_id: c.claim_id,
      institution_code: c.institution_code ?? 'H001',
      physician_code: c.physician_code,
      patient_id: c.patient_id ?? 'P001',
      patient_gender: c.patient_gender ?? 'M',
      patient_birth_date: c.patient_birth_date ?? '1980-06-15',
      insurance_type: c.insurance_type ?? 'employee',
      visit_type: visit,
      admission_date: admission,
      discharge_date: discharge,
      primary_diagnosis: c.primary_diagnosis ?? (visit === 'pharmacy' ? undefined : 'J06.9'),
      secondary_diagnoses: c.secondary_diagnoses,
      discharge_status: c.discharge_status ?? (visit === 'inpatient' ? 'normal' : undefined),
      total_amount: money(totalFen),
      fund_paid: money(fundFen),
      self_paid: money(totalFen - fundFen),
      settled_at: c.settled_at ?? `${discharge}T18:00:00+08:00`,
    },
    items,
  };
}

/** Runs one example against its rule alone: a hit must produce exactly its findings, a miss none. */
export function runExample(rule: CompiledRule, ex: RuleExample): ExampleResult {
  const rows = ex.claims.map(exampleRows);
  const { claims, kb } = modelFromRows({
    claims: rows.map((r) => r.claim),
    items: rows.flatMap((r) => r.items),
    catalog: (ex.catalog ?? []) as Row[],
    institutions: (ex.institutions ?? []) as Row[],
    persons: ex.persons,
    physicianSanctions: ex.physician_sanctions,
  });
  const hits = screenAll(claims, kb, [rule]);
  const got = hits.map((h) => `${h.claim.claimId}|${h.itemSeq ?? ''}|${money(h.amountFen)}`).sort();
  const problems: string[] = [];
  if (ex.expect === 'miss') {
    if (got.length > 0) problems.push(`expected no finding, got ${got.join('; ')}`);
  } else {
    const want = (ex.findings ?? []).map((f) => `${f.claim_id.toUpperCase()}|${f.item_seq ?? ''}|${money(toFen(f.amount))}`).sort();
    if (want.length === 0) problems.push('a hit example must list the findings it expects');
    if (got.join(';') !== want.join(';')) problems.push(`expected ${want.join('; ') || 'findings'}, got ${got.join('; ') || 'none'}`);
  }
  return { rule: rule.id, example: ex.name, ok: problems.length === 0, problems };
}

export function runRuleExamples(rule: CompiledRule): ExampleResult[] {
  return rule.spec.examples.map((ex) => runExample(rule, ex));
}
