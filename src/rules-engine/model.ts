/**
 * What the engine screens: claims (current versions) with their lines, and the knowledge base, in
 * canonical form — codes upper case, dates as day numbers, money in yuan from exact decimals.
 * The screening module reads these from PostgreSQL; rule examples and tests build them directly.
 */

export type VisitType = 'outpatient' | 'inpatient' | 'pharmacy';

export interface ScreenLine {
  seq: number;
  code: string;
  name: string | null;
  serviceDay: number;
  unitPrice: number;
  quantity: number;
  amount: number;
  daysSupply: number | null;
}

export interface ScreenClaim {
  /** The claim version's primary key (string: bigint). */
  pk: string;
  claimId: string;
  institutionCode: string;
  physicianCode: string | null;
  patientKey: string;
  gender: 'M' | 'F';
  birthDay: number;
  insuranceType: string;
  visitType: VisitType;
  admissionDay: number;
  dischargeDay: number;
  primaryDiagnosis: string | null;
  secondaryDiagnoses: string[];
  dischargeStatus: string | null;
  totalAmount: number;
  fundPaid: number;
  selfPaid: number;
  settledAt: number;
  /** 'YYYY-MM-01' */
  settleMonth: string;
  insuredRegion: string | null;
  serviceRegion: string | null;
  /** Lines by item_seq. Empty when only claim-level data was read (history and period passes). */
  lines: ScreenLine[];
  /** Summary of the lines, present even when the lines themselves were not read. */
  digest: ClaimDigest;
}

/** Per claim version: what cross-claim rules need of its lines. */
export interface ClaimDigest {
  lineCount: number;
  /** Canonical text of the multiset of (item_code, unit_price, quantity). */
  itemsSignature: string;
  firstServiceDay: number | null;
  lastServiceDay: number | null;
}

export interface CatalogEntry {
  code: string;
  name: string;
  kind: 'drug' | 'service' | 'consumable';
  priceCeiling: number | null;
  genderLimit: 'M' | 'F' | null;
  minAge: number | null;
  maxAge: number | null;
  maxDailyQty: number | null;
  maxDaysSupply: number | null;
  indications: string[] | null;
  settingLimit: 'inpatient' | 'outpatient' | null;
  exclusiveGroup: string | null;
}

export interface InstitutionEntry {
  code: string;
  kind: string;
  level: number | null;
  region: string;
}

/**
 * 暂停 / 终止医保支付资格: a physician's insurance-payment qualification suspended or terminated
 * from `fromDay` to `toDay`, both inclusive (a termination until the end of its re-registration bar).
 */
export interface PhysicianSanctionWindow {
  kind: 'suspension' | 'termination';
  fromDay: number;
  toDay: number;
}

/** The knowledge base and registries a screening reads, loaded once per job. */
export interface KnowledgeBase {
  catalog: ReadonlyMap<string, CatalogEntry>;
  institutions: ReadonlyMap<string, InstitutionEntry>;
  /** Registry death dates by patient key. */
  deaths: ReadonlyMap<string, number>;
  /** Sanction windows by physician code (the physicians' points record); absent: none known. */
  physicianSanctions?: ReadonlyMap<string, readonly PhysicianSanctionWindow[]>;
}

export function computeDigest(lines: readonly ScreenLine[]): ClaimDigest {
  let first: number | null = null;
  let last: number | null = null;
  const parts: string[] = [];
  for (const l of lines) {
    if (first === null || l.serviceDay < first) first = l.serviceDay;
    if (last === null || l.serviceDay > last) last = l.serviceDay;
    parts.push(`${l.code}|${l.unitPrice}|${l.quantity}`);
  }
  parts.sort();
  return { lineCount: lines.length, itemsSignature: parts.join(','), firstServiceDay: first, lastServiceDay: last };
}
