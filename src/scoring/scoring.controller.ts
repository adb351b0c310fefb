import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { ownInstitution } from '../accounts/institution-scope';
import { Actor, CurrentActor, Roles } from '../accounts/roles';
import { DomainErrorCode, DomainException } from '../common/domain.exception';
import { parsePaging } from '../common/query';
import { ScoringService } from './scoring.service';

function checkPeriod(period: unknown): string | undefined {
  if (period === undefined || period === '') return undefined;
  if (typeof period !== 'string' || !/^\d{4}-(0[1-9]|1[0-2])$/.test(period)) {
    throw new DomainException(DomainErrorCode.InvalidInput, 'invalid filter', [{ path: 'period', reason: 'must be a month YYYY-MM' }]);
  }
  return period;
}

@ApiTags('risk')
@Controller('api')
export class ScoringController {
  constructor(private readonly scoring: ScoringService) {}

  @Get('risk')
  @Roles('admin', 'supervisor', 'auditor')
  @ApiOperation({ summary: 'Risk scores of a period (latest when omitted), riskiest first, each with the features that drive it against its peers' })
  @ApiQuery({ name: 'period', required: false, description: 'YYYY-MM' })
  @ApiQuery({ name: 'entity', required: false, enum: ['institution', 'physician'] })
  @ApiQuery({ name: 'page', required: false })
  @ApiQuery({ name: 'pageSize', required: false })
  async list(@Query() query: Record<string, unknown>) {
    const entity = query.entity ?? 'institution';
    if (entity !== 'institution' && entity !== 'physician') {
      throw new DomainException(DomainErrorCode.InvalidInput, 'invalid filter', [{ path: 'entity', reason: 'must be institution or physician' }]);
    }
    return this.scoring.list({ entityType: entity, period: checkPeriod(query.period), ...parsePaging(query) });
  }

  @Get('risk/models')
  @Roles('admin', 'supervisor', 'auditor')
  @ApiOperation({ summary: 'Versions of the supervised risk model: reviewed rows, cross-validated ROC-AUC and PR-AUC, feature importance' })
  async models() {
    return { models: await this.scoring.models() };
  }

  @Get('institutions/:code/risk')
  @Roles('admin', 'supervisor', 'auditor', 'institution')
  @ApiOperation({ summary: "An institution's risk score in every period, with explanations (e.g. 次均住院费用为同级同类机构中位数的 2.1 倍); institution logins: their own only" })
  async institution(@Param('code') code: string, @CurrentActor() actor?: Actor) {
    ownInstitution(actor, code, 'code');
    return this.scoring.history('institution', code);
  }

  @Get('physicians/:code/risk')
  @Roles('admin', 'supervisor', 'auditor')
  @ApiOperation({ summary: "A physician's risk score in every period, against physicians of the same specialty" })
  async physician(@Param('code') code: string) {
    return this.scoring.history('physician', code);
  }
}
