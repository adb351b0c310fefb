import { Claim, ClaimHead, ClaimItem } from '../claims/claim.entity';
import { ImportRun, RejectedRecord } from '../imports/import-run.entity';
import { RiskModel } from '../scoring/risk-model.entity';
import { RiskScore } from '../scoring/risk-score.entity';
import { ClaimDigestRow, Finding, ScreeningBatch, ScreeningRun } from '../screening/screening.entities';
import { CatalogItem, FundLedgerEntry, Inspector, Institution, Person, Physician } from '../reference/reference.entities';

/** Every entity of the service: the drift test compares these with the migrations. */
export const ENTITIES = [Institution, Physician, CatalogItem, Person, Inspector, FundLedgerEntry, Claim, ClaimItem, ClaimHead, ImportRun, RejectedRecord, Finding, ScreeningRun, ScreeningBatch, ClaimDigestRow, RiskScore, RiskModel];
