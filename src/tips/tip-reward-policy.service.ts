import { Inject, Injectable, Logger } from '@nestjs/common';
import { AppConfig } from '../config/config';
import { APP_CONFIG } from '../config/config.module';
import { defaultRewardPolicyFile, LoadedRewardPolicy, loadRewardPolicyFile, TipRewardPolicy } from './tip-reward-policy';

/**
 * The tip reward policy in force: read and checked when the process starts (a problem stops it,
 * naming the file and line); TIP_REWARD_POLICY_FILE overrides the shipped rules/tip-rewards.yaml.
 */
@Injectable()
export class TipRewardPolicyService {
  readonly file: string;
  readonly current: LoadedRewardPolicy;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.file = config.tips.rewardPolicyFile ?? defaultRewardPolicyFile();
    this.current = loadRewardPolicyFile(this.file);
    new Logger('Tips').log(`reward policy ${this.current.version.slice(0, 12)} loaded from ${this.file}`);
  }

  get policy(): TipRewardPolicy {
    return this.current.policy;
  }

  /** sha256 of the parsed policy: every reward records it. */
  get version(): string {
    return this.current.version;
  }
}
