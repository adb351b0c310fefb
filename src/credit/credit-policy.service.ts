import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { systemActor } from '../accounts/roles';
import { AuditService } from '../audit/audit.service';
import { DomainErrorCode, DomainException, FieldError } from '../common/domain.exception';
import { AppConfig } from '../config/config';
import { APP_CONFIG } from '../config/config.module';
import { FINDING_CATEGORIES } from '../imports/interchange';
import { RuleLibraryService } from '../rules-engine/rules-engine.module';
import { defaultPolicyFile, LoadedPolicy, loadPolicyFile, parsePolicyObject, parsePolicyText } from './credit-policy';

/** Serialises the registration of policy versions (several processes may start at once). */
const CREDIT_POLICY_LOCK = 7270011;

export interface PolicyRegistration {
  version: number;
  /** This start stored the version (its content was never seen before). */
  isNew: boolean;
}

/**
 * The credit policy in force: read and checked when the process starts (a problem stops it, naming
 * the file and line), stored as a new version when its content is new.
 */
@Injectable()
export class CreditPolicyService {
  readonly file: string;
  readonly current: LoadedPolicy;
  /** Finding categories the policy may name: the rule library's and the interchange contract's. */
  readonly knownCategorySet: ReadonlySet<string>;
  private registration?: Promise<PolicyRegistration>;
  private registeredVersion?: number;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    @InjectDataSource() private readonly ds: DataSource,
    private readonly audit: AuditService,
    rules: RuleLibraryService,
  ) {
    this.file = config.credit.policyFile ?? defaultPolicyFile();
    // The policy may name any category a finding can have: the rule library's and the contract's.
    this.knownCategorySet = new Set([...FINDING_CATEGORIES, ...rules.library.rules.map((r) => r.spec.category)]);
    this.current = loadPolicyFile(this.file, { knownCategories: this.knownCategorySet });
  }

  get policy() {
    return this.current.policy;
  }

  /** The stored version of the policy in force (after register()). */
  get version(): number {
    if (this.registeredVersion === undefined) throw new Error('the credit policy version is not registered yet');
    return this.registeredVersion;
  }

  /** Stores the policy as a new version when its hash is new (once per process; audited). */
  register(): Promise<PolicyRegistration> {
    this.registration ??= this.ds.transaction(async (m) => {
      await m.query('SELECT pg_advisory_xact_lock($1)', [CREDIT_POLICY_LOCK]);
      const [found] = (await m.query(`SELECT version FROM credit_policy_version WHERE hash = $1`, [this.current.hash])) as { version: number }[];
      if (found) return { version: found.version, isNew: false };
      const [previous] = (await m.query(`SELECT version, hash, source FROM credit_policy_version ORDER BY version DESC LIMIT 1`)) as { version: number; hash: string; source: string }[];
      const next = (previous?.version ?? 0) + 1;
      await m.query(`INSERT INTO credit_policy_version (version, hash, content, source, first_seen_at) VALUES ($1, $2, $3, $4, now())`, [
        next,
        this.current.hash,
        JSON.stringify(this.current.content),
        this.file,
      ]);
      // The installation's first policy is recorded by its row like the schema's seed; every change
      // of policy after it is a change to audit, with the version it replaces.
      if (previous) {
        await this.audit.record(m, {
          actor: systemActor('credit.policy'),
          action: 'credit.policy_version',
          entityType: 'credit_policy_version',
          entityId: String(next),
          before: { version: previous.version, hash: previous.hash, source: previous.source },
          after: { version: next, hash: this.current.hash, source: this.file },
        });
      }
      new Logger('Credit').log(`credit policy version ${next} stored (${this.file})`);
      return { version: next, isNew: true };
    });
    return this.registration.then((r) => {
      this.registeredVersion = r.version;
      return r;
    });
  }

  /**
   * A draft policy for what-if: YAML or JSON text, or an object (a JSON body, or `{ policy: text }`).
   * Problems are a 400, each naming the line (text) or the path (object).
   */
  parseDraft(draft: unknown, shown = 'draft'): LoadedPolicy {
    let r: { loaded?: LoadedPolicy; problems: string[] };
    let fromText = true;
    if (typeof draft === 'string') r = parsePolicyText(draft, shown, { knownCategories: this.knownCategorySet });
    else if (draft && typeof draft === 'object' && !Array.isArray(draft) && Object.keys(draft).length === 1 && typeof (draft as { policy?: unknown }).policy === 'string') {
      r = parsePolicyText((draft as { policy: string }).policy, shown, { knownCategories: this.knownCategorySet });
    } else if (draft && typeof draft === 'object' && !Array.isArray(draft) && Object.keys(draft).length > 0) {
      fromText = false;
      const body = draft as { policy?: unknown };
      r = parsePolicyObject(body.policy && typeof body.policy === 'object' && Object.keys(draft).length === 1 ? body.policy : draft, { knownCategories: this.knownCategorySet });
    } else {
      throw new DomainException(DomainErrorCode.InvalidInput, 'a draft credit policy is required', [{ path: 'body', reason: 'send the policy as YAML (Content-Type: application/yaml) or JSON' }]);
    }
    if (r.loaded) return r.loaded;
    const errors: FieldError[] = r.problems.map((p) => {
      const m = fromText ? /^(.*?:\d+): (.*)$/s.exec(p) : /^(.*?): (.*)$/s.exec(p);
      if (!m) return { path: shown, reason: p };
      return { path: fromText ? m[1]! : m[1] === '(policy)' ? 'policy' : `policy.${m[1]}`, reason: m[2]! };
    });
    throw new DomainException(DomainErrorCode.InvalidInput, `the draft credit policy has ${errors.length} problem(s)`, errors);
  }
}
