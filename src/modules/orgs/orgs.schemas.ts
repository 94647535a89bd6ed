import { Type, type Static } from '@sinclair/typebox';
import type { OrgRow } from './orgs.repository.ts';
import type { DepartmentKind, OrgLevel } from './orgs.tables.ts';

export const ORG_LEVELS: readonly OrgLevel[] = ['province', 'city', 'county', 'township', 'village', 'department'];
export const DEPARTMENT_KINDS: readonly DepartmentKind[] = [
  'health',
  'public_security',
  'medical_security',
  'human_resources',
  'civil_affairs',
  'bank',
  'hospital',
];

export const OrgLevelSchema = Type.Union(
  ORG_LEVELS.map((l) => Type.Literal(l)),
  { description: '省 province · 市 city · 县 county · 乡镇 township · 村 village · 部门 department' },
);
export const DepartmentKindSchema = Type.Union(
  DEPARTMENT_KINDS.map((k) => Type.Literal(k)),
  {
    description:
      '卫健 health · 公安 public_security · 医保 medical_security · 人社 human_resources · 民政 civil_affairs · 银行 bank · 医院 hospital',
  },
);

/** A division code (2/4/6/9/12 digits) or a unified social credit code (18 characters). */
export const OrgCode = Type.String({ pattern: '^[0-9A-Za-z]{2,18}$', description: '行政区划代码或统一社会信用代码' });

export const OrgDto = Type.Object(
  {
    code: Type.String(),
    level: OrgLevelSchema,
    name: Type.String(),
    parentCode: Type.Union([Type.String(), Type.Null()]),
    path: Type.String({ description: '从省级起的代码，以点号连接 · codes from the province down, dot-joined' }),
    depth: Type.Integer({ minimum: 0 }),
    divisionCode: Type.String({ description: '12 位统计用区划代码 · 12-digit statistical division code' }),
    departmentKind: Type.Union([DepartmentKindSchema, Type.Null()]),
  },
  { additionalProperties: false, $id: 'Org', title: 'Org' },
);
export type OrgDto = Static<typeof OrgDto>;

export const CreateDepartmentBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 100 }),
    kind: DepartmentKindSchema,
    creditCode: Type.String({ minLength: 1, maxLength: 40, description: '统一社会信用代码（GB 32100）' }),
    parentCode: Type.String({ pattern: '^\\d{2,12}$', description: '所属行政区划代码' }),
  },
  { additionalProperties: false, $id: 'CreateDepartmentBody', title: 'CreateDepartmentBody' },
);
export type CreateDepartmentBody = Static<typeof CreateDepartmentBody>;

export function toOrgDto(org: OrgRow): OrgDto {
  return {
    code: org.code,
    level: org.level,
    name: org.name,
    parentCode: org.parentCode,
    path: org.path,
    depth: org.depth,
    divisionCode: org.divisionCode,
    departmentKind: org.departmentKind,
  };
}
