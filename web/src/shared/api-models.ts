/**
 * Names for the API's types as the pages use them. Every one is taken from the generated
 * api-types.ts (docs/openapi.json, from the server's TypeBox schemas): none is written by hand, so
 * a changed schema is a type error in the page that reads it.
 */
import type { components, paths } from './api-types.ts';

type Schemas = components['schemas'];

export type Bilingual = { zh: string; en: string };
export type Page<T> = { items: T[]; next: string | null };

export type PlatformInfo = Schemas['PlatformInfo'];
export type Role = Schemas['Role'];
export type StaffRole = Role['role'];
export type LoginResult = Schemas['LoginResult'];
/** A staff action of the server's policy (policy.ts), as the account's capabilities name it. */
export type StaffAction = keyof Schemas['Capabilities'];
export type Me = Schemas['Me'];
export type StaffMember = Schemas['StaffMember'];
export type Delegation = Schemas['Delegation'];
export type Org = Schemas['Org'];

export type ServiceItem = Schemas['ServiceItem'];
export type FormField = ServiceItem['formFields'][number];

/** The one view of a case (applications.schemas.ts's CaseViewSchema on the server). */
export type CaseView = Schemas['CaseView'];
export type CaseState = CaseView['state'];
export type CaseDetail = Schemas['CaseDetail'];

/** The case's SLA clock (办理时限) with its pauses and escalation steps. */
export type CaseSla = CaseDetail['sla'];
/** 催办 / 督办: an escalation step addressed to the staff member's org (sla-reminders.ts). */
export type Reminder = Schemas['Reminder'];
export type SlaLadder = Schemas['SlaLadder'];
export type LadderStep = SlaLadder['steps'][number];

/** A notice in the resident's inbox (inbox.schemas.ts's InboxMessage). */
export type InboxMessage = Schemas['InboxMessage'];
export type CaseAction = Schemas['CaseActionBody']['action'];
export type BatchDecideResult = Schemas['BatchDecideResult'];
export type BatchOutcome = BatchDecideResult['results'][number]['outcome'];

export type Certificate = Schemas['Certificate'];
export type CrossProvinceCase = Schemas['CrossProvinceCase'];
export type Share = Schemas['Share'];
export type OrgSeal = Schemas['OrgSeal'];
export type SealKey = Schemas['SealKey'];
export type RegisteredSignature = Schemas['RegisteredSignature'];

export type Overview = Schemas['Overview'];
export type OverviewRow = Overview['children'][number];
export type HelperAct = Schemas['HelperAct'];
export type DashboardView = Schemas['DashboardView'];
export type DashboardFigures = DashboardView['figures'];

export type Dataset = Schemas['Dataset'];
export type DatasetField = Schemas['DatasetField'];
export type Sensitivity = DatasetField['sensitivity'];
export type Grant = Schemas['Grant'];
export type GrantBody = Schemas['GrantBody'];
/** An entry of the legal-basis catalogue a waived-consent grant cites. */
export type LegalBasis = Schemas['LegalBasis'];
export type Exchange = Schemas['Exchange'];

export type BundleDefinition = Schemas['BundleDefinition'];
export type BundlePreview = Schemas['BundlePreview'];
export type BundleProgress = Schemas['BundleProgress'];
export type DeadLetter = Schemas['DeadLetter'];
export type TaskState = BundleProgress['tasks'][number]['state'];
export type Burden = Schemas['Burden'];

export type Rule = Schemas['Rule'];
export type RuleVersion = Schemas['RuleVersion'];
export type RuleBody = Schemas['RuleBody'];
export type RuleDryRun = Schemas['RuleDryRun'];
export type ProposeRuleBody = Schemas['ProposeRuleBody'];

/** A benefit decision as the resident sees it (the benefits schemas carry no component name, so taken from the path). */
export type BenefitGrant = paths['/api/me/benefits/{id}']['get']['responses'][200]['content']['application/json'];
export type BenefitStatus = BenefitGrant['status'];
export type BenefitMode = BenefitGrant['mode'];
export type BenefitFigures = paths['/api/benefits/figures']['get']['responses'][200]['content']['application/json'][number];

/** 医保窗口 (insurance/window.schemas.ts): a hospital's insurance window. */
export type WindowHospital = Schemas['WindowHospital'];
export type WindowCoverage = Schemas['WindowCoverage'];
export type WindowEncounter = Schemas['WindowEncounter'];
export type WindowPresettlement = Schemas['WindowPresettlement'];
export type WindowSettlement = Schemas['WindowSettlement'];
export type WindowStatement = Schemas['WindowStatement'];
export type WindowMedType = WindowEncounter['medType'];
export type WindowFilingBody = paths['/api/insurance/window/{code}/filings']['post']['requestBody']['content']['application/json'];
export type WindowFeeLineBody =
  paths['/api/insurance/window/{code}/encounters/{mdtrtId}/fees']['post']['requestBody']['content']['application/json']['lines'][number];
/** Evidence from another province (跨省调取), as its resident previews it. */
export type CrossProvinceEvidence = Schemas['CrossProvinceEvidence'];
/** A federation member as the hub's operator reviews it (成员审批). */
export type FederationMember = paths['/api/federation/members']['get']['responses'][200]['content']['application/json']['items'][number];
