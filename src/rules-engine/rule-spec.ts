/** A rule as written in its YAML file (validated against rules/screening-rule.schema.json). */

export type RuleScope = 'line' | 'claim' | 'history' | 'institution-period';
export type Literal = string | number | boolean | readonly (string | number)[];
export type Operand = Literal | { fact: string } | { param: string };

export type Condition =
  | { all: Condition[] }
  | { any: Condition[] }
  | { not: Condition }
  | { fact: string; operator: string; value?: Operand };

export interface ExampleLine {
  item_seq?: number;
  item_code: string;
  item_name?: string;
  service_date?: string;
  unit_price: number | string;
  quantity?: number | string;
  amount?: number | string;
  days_supply?: number;
}

export interface ExampleClaim {
  claim_id: string;
  institution_code?: string;
  physician_code?: string;
  patient_id?: string;
  patient_gender?: 'M' | 'F';
  patient_birth_date?: string;
  insurance_type?: string;
  visit_type?: 'outpatient' | 'inpatient' | 'pharmacy';
  admission_date?: string;
  discharge_date?: string;
  primary_diagnosis?: string;
  secondary_diagnoses?: string;
  discharge_status?: string;
  fund_paid?: number | string;
  settled_at?: string;
  lines?: ExampleLine[];
}

export interface RuleExample {
  name: string;
  expect: 'hit' | 'miss';
  catalog?: Record<string, unknown>[];
  institutions?: Record<string, unknown>[];
  persons?: { patient_id: string; death_date?: string }[];
  /** Sanctions from the physicians' points record: dates inclusive (`until` of a termination: the bar's last day). */
  physician_sanctions?: { physician_code: string; kind: 'suspension' | 'termination'; from: string; until: string }[];
  claims: ExampleClaim[];
  /** For a hit: exactly the findings of this rule over the example's claims. */
  findings?: { claim_id: string; item_seq?: number; amount: number | string }[];
}

export interface RuleSpec {
  id: string;
  version: number;
  title: { zh: string; en: string };
  description?: string;
  category: string;
  group: 'policy' | 'management' | 'medical';
  result: 'violation' | 'suspicious';
  scope: RuleScope;
  /** History rules: evaluate the conditions against each other current claim of the patient (`other.*`). */
  pair?: boolean;
  applies_to?: { visit_types?: string[]; institution_kinds?: string[]; institution_levels?: number[] };
  legal_basis: string;
  severity: 'low' | 'medium' | 'high';
  parameters?: Record<string, Literal>;
  when: Condition;
  amount: string;
  why: { zh: string; en?: string };
  examples: RuleExample[];
}
