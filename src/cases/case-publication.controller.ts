import { Body, Controller, Get, HttpCode, Ip, Param, Post } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { Actor, CurrentActor, Roles } from '../accounts/roles';
import { CasePublicationService, parsePublication, parseWithdrawal, SUMMARY_MAX } from './case-publication.service';
import { acting } from './cases.controller';

export class PublicationBody {
  @ApiProperty({ description: `the behaviour in plain words for the public (at most ${SUMMARY_MAX} characters); never a patient, claim or physician`, maxLength: SUMMARY_MAX })
  summaryZh!: string;
  @ApiPropertyOptional({ description: 'the same in English', maxLength: SUMMARY_MAX })
  summaryEn?: string;
}

export class WithdrawPublicationBody {
  @ApiProperty({ description: 'why the case is taken off the exposure list' })
  reason!: string;
}

const ID_DOC = 'case id (UUID) or number (AJ-YYYY-NNNNNN)';

/** 曝光台, staff side: mark a final violation case for publication, withdraw it, see what the public reads. */
@ApiTags('cases')
@Controller('api/cases')
export class CasePublicationController {
  constructor(private readonly publication: CasePublicationService) {}

  @Get(':id/publication')
  @Roles('admin', 'supervisor', 'auditor')
  @ApiOperation({ summary: 'The case\'s exposure (曝光台) state: whether it may be marked (refusal naming the status), its marking, and exactly the public row it yields now (listed)', description: ID_DOC })
  async get(@Param('id') id: string, @CurrentActor() actor?: Actor) {
    return this.publication.forCase(id, acting(actor).actor);
  }

  @Post(':id/publication')
  @HttpCode(200)
  @Roles('admin', 'supervisor')
  @ApiOperation({ summary: 'Mark the case for publication, or replace its summary (final or closed cases with a violation decision in force; 409 otherwise)', description: ID_DOC })
  @ApiBody({ type: PublicationBody })
  async mark(@Param('id') id: string, @Body() body: unknown, @CurrentActor() actor?: Actor, @Ip() ip?: string) {
    const by = acting(actor, ip);
    const input = parsePublication(body);
    return this.publication.forCase(await this.publication.mark(id, input, by), by.actor);
  }

  @Post(':id/publication/withdraw')
  @HttpCode(200)
  @Roles('admin', 'supervisor')
  @ApiOperation({ summary: 'Take the case off the exposure list (reason required)', description: ID_DOC })
  @ApiBody({ type: WithdrawPublicationBody })
  async withdraw(@Param('id') id: string, @Body() body: unknown, @CurrentActor() actor?: Actor, @Ip() ip?: string) {
    const by = acting(actor, ip);
    const input = parseWithdrawal(body);
    return this.publication.forCase(await this.publication.withdraw(id, input, by), by.actor);
  }
}
