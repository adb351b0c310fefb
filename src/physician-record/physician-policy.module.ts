import { Global, Inject, Injectable, Logger, Module } from '@nestjs/common';
import { AppConfig } from '../config/config';
import { APP_CONFIG } from '../config/config.module';
import { PhysicianPointsPolicy, SeverityBand, bandOf } from './physician-points';
import { loadPhysicianPointsPolicy, policyPath } from './physician-points.policy';

/** The physicians' points policy (rules/physician-points.yaml), loaded and checked once at start: a bad file stops the process. */
@Injectable()
export class PhysicianPointsPolicyService {
  readonly policy: PhysicianPointsPolicy;
  readonly file: string;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.file = policyPath(config.screening.rulesDir);
    this.policy = loadPhysicianPointsPolicy(this.file);
    new Logger('PhysicianPoints').log(`points policy v${this.policy.version} loaded from ${this.file} (${this.policy.hash})`);
  }

  /** The severity band of an incident's points (the decision derives its band from it). */
  bandOf(points: number): SeverityBand | null {
    return bandOf(this.policy, points);
  }
}

/**
 * Global, and separate from the physicians' record module: cases derive a decision's severity band
 * from the policy, while the record module depends on cases (its final-decision events).
 */
@Global()
@Module({ providers: [PhysicianPointsPolicyService], exports: [PhysicianPointsPolicyService] })
export class PhysicianPolicyModule {}
