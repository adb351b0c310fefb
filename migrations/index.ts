import { Init1763800000000 } from './1763800000000-init';
import { Screening1763900000000 } from './1763900000000-screening';
import { RiskScores1764000000000 } from './1764000000000-risk-scores';
import { Accounts1764100000000 } from './1764100000000-accounts';
import { Audit1764100001000 } from './1764100001000-audit';
import { Cases1764100002000 } from './1764100002000-cases';
import { Credit1764200000000 } from './1764200000000-credit';
import { PhysicianRecord1764200001000 } from './1764200001000-physician-record';
import { Inspections1764300000000 } from './1764300000000-inspections';
import { CasePublication1764400000000 } from './1764400000000-case-publication';
import { Tips1764400001000 } from './1764400001000-tips';

/** Every migration, in order. Landed migrations are never edited: add a new one. */
export const MIGRATIONS = [Init1763800000000, Screening1763900000000, RiskScores1764000000000, Accounts1764100000000, Audit1764100001000, Cases1764100002000, Credit1764200000000, PhysicianRecord1764200001000, Inspections1764300000000, CasePublication1764400000000, Tips1764400001000];
