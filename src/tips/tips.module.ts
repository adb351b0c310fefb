import { Module } from '@nestjs/common';
import { CasesModule } from '../cases/cases.module';
import { TipRewardPolicyService } from './tip-reward-policy.service';
import { PublicTipsPagesController, TipsPagesController } from './tips-pages.controller';
import { PublicTipsController, TipsController } from './tips.controller';
import { TipsService } from './tips.service';

/** Tips from the public (举报): the form and tracking, the protected identity, the supervisors' workflow into cases, rewards. */
@Module({
  imports: [CasesModule],
  controllers: [PublicTipsController, TipsController, PublicTipsPagesController, TipsPagesController],
  providers: [TipRewardPolicyService, TipsService],
  exports: [TipsService, TipRewardPolicyService],
})
export class TipsModule {}
