import { ApiToken, UserAccount, UserSession } from '../accounts/account.entities';
import { AuditEntry } from '../audit/audit-entry.entity';
import { CaseAppeal, CaseDecision, CaseFinding, Recovery, RecoveryPayment, SupervisionCase } from '../cases/case.entities';
import { CasePublication } from '../cases/case-publication.entity';
import { Claim, ClaimHead, ClaimItem } from '../claims/claim.entity';
import { ImportRun, RejectedRecord } from '../imports/import-run.entity';
import { RiskModel } from '../scoring/risk-model.entity';
import { RiskScore } from '../scoring/risk-score.entity';
import { CreditCycle, CreditEntry, CreditPolicyVersion, CreditRequest, CreditStanding } from '../credit/credit.entities';
import { ClaimDigestRow, Finding, ScreeningBatch, ScreeningRun } from '../screening/screening.entities';
import { CatalogItem, FundLedgerEntry, Inspector, Institution, Person, Physician } from '../reference/reference.entities';
import { PhysicianPointEntry, PhysicianSanction } from '../physician-record/physician-record.entities';
import { INSPECTION_ENTITIES } from '../inspections/inspection.entities';
import { TIP_ENTITIES } from '../tips/tip.entities';

/** Every entity of the service: the drift test compares these with the migrations. */
export const ENTITIES = [Institution, Physician, CatalogItem, Person, Inspector, FundLedgerEntry, Claim, ClaimItem, ClaimHead, ImportRun, RejectedRecord, Finding, ScreeningRun, ScreeningBatch, ClaimDigestRow, RiskScore, RiskModel, UserAccount, UserSession, ApiToken, AuditEntry, SupervisionCase, CaseFinding, CaseDecision, CaseAppeal, Recovery, RecoveryPayment, CasePublication, PhysicianPointEntry, PhysicianSanction, CreditPolicyVersion, CreditEntry, CreditStanding, CreditCycle, CreditRequest, ...INSPECTION_ENTITIES, ...TIP_ENTITIES];
