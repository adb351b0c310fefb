import { Init1763800000000 } from './1763800000000-init';
import { Screening1763900000000 } from './1763900000000-screening';
import { RiskScores1764000000000 } from './1764000000000-risk-scores';

/** Every migration, in order. Landed migrations are never edited: add a new one. */
export const MIGRATIONS = [Init1763800000000, Screening1763900000000, RiskScores1764000000000];
