import type { Db } from '../../db/database.ts';
import { insuranceCatalogue, insurancePolicies, insuranceRegions, type CatalogueKind } from './insurance.tables.ts';
import type { RegionPolicy } from './policies.ts';
import type { ItemClass } from './settlement.ts';

/**
 * Reference data every install loads: the policies of the demo's places of insurance (dated
 * versions, each citing its document), the places of treatment's catalogue (Guangxi and Hebei),
 * and the pooling regions with the bureau that runs each. The figures are published-style and
 * made up for the demo (each document names the real kind of document that sets them); a
 * province loads its own through the console (a new version) or its own seed.
 */

const GUIGANG_BASE = {
  region: '450800',
  deductibleFen: { employee: { 1: 20_000, 2: 50_000, 3: 80_000 }, resident: { 1: 20_000, 2: 50_000, 3: 80_000 } },
  laterStayDeductiblePermille: 500,
  ratioPermille: { employee: { 1: 900, 2: 850, 3: 800 }, resident: { 1: 900, 2: 800, 3: 700 } },
  yearCapFen: { employee: 40_000_000, resident: 20_000_000 },
  classBSelfPayPermille: 100,
} as const;

export const SEED_POLICIES: readonly RegionPolicy[] = [
  {
    ...GUIGANG_BASE,
    version: '2025',
    effectiveFrom: '2025-01-01',
    effectiveTo: '2026-06-30',
    legalBasis: '贵港市基本医疗保险市级统筹实施办法（2025 年版）；区内异地就医须备案，未备案者支付比例降低',
    awayReduction: { province: 150, otherProvinceFiled: 100, otherProvinceUnfiled: 200 },
  },
  {
    ...GUIGANG_BASE,
    version: '2026-07',
    effectiveFrom: '2026-07-01',
    effectiveTo: null,
    legalBasis:
      '广西壮族自治区医疗保障局：自治区内异地就医免备案，执行参保地同级别医疗机构支付比例（2026 年 7 月 1 日起）；医保发〔2022〕22 号',
    awayReduction: { province: 0, otherProvinceFiled: 100, otherProvinceUnfiled: 200 },
  },
  {
    region: '450100',
    version: '2026',
    effectiveFrom: '2026-01-01',
    effectiveTo: null,
    legalBasis: '南宁市基本医疗保险市级统筹实施办法（2026 年版）；医保发〔2022〕22 号',
    deductibleFen: { employee: { 1: 20_000, 2: 50_000, 3: 90_000 }, resident: { 1: 20_000, 2: 50_000, 3: 90_000 } },
    laterStayDeductiblePermille: 500,
    ratioPermille: { employee: { 1: 900, 2: 860, 3: 820 }, resident: { 1: 900, 2: 800, 3: 700 } },
    awayReduction: { province: 0, otherProvinceFiled: 100, otherProvinceUnfiled: 200 },
    yearCapFen: { employee: 45_000_000, resident: 22_000_000 },
    classBSelfPayPermille: 100,
  },
  {
    region: '130100',
    version: '2026',
    effectiveFrom: '2026-01-01',
    effectiveTo: null,
    legalBasis: '石家庄市基本医疗保险市级统筹办法（2026 年版）；医保发〔2022〕22 号',
    deductibleFen: { employee: { 1: 20_000, 2: 40_000, 3: 70_000 }, resident: { 1: 30_000, 2: 60_000, 3: 100_000 } },
    laterStayDeductiblePermille: 500,
    ratioPermille: { employee: { 1: 920, 2: 880, 3: 850 }, resident: { 1: 900, 2: 750, 3: 650 } },
    awayReduction: { province: 50, otherProvinceFiled: 100, otherProvinceUnfiled: 250 },
    yearCapFen: { employee: 50_000_000, resident: 25_000_000 },
    classBSelfPayPermille: 100,
  },
];

interface CatalogueSeed {
  code: string;
  kind: CatalogueKind;
  zh: string;
  en: string;
  unit: string;
  cls: ItemClass;
  /** 支付标准, yuan. */
  limit?: number;
  /** 最高限价, yuan. */
  max?: number;
}

/**
 * Service items carry the 15-character national code (医疗服务项目分类与代码), drugs the national
 * drug code (国家医保药品编码: X western, Z Chinese patent medicine), consumables the 20-character
 * national consumable code (C…). The entries are typical of an inpatient stay.
 */
export const SEED_CATALOGUE: readonly CatalogueSeed[] = [
  { code: '001102000010000', kind: 'service', zh: '床位费（三人间）', en: 'Bed, three-bed room', unit: '日', cls: 'A', max: 60 },
  { code: '001102000020000', kind: 'service', zh: '床位费（单人间）', en: 'Bed, single room', unit: '日', cls: 'B', limit: 60, max: 200 },
  { code: '001103000010000', kind: 'service', zh: '一级护理', en: 'First-level nursing care', unit: '日', cls: 'A', max: 40 },
  { code: '001103000020000', kind: 'service', zh: '二级护理', en: 'Second-level nursing care', unit: '日', cls: 'A', max: 25 },
  { code: '001101000010000', kind: 'service', zh: '住院诊查费', en: 'Inpatient examination fee', unit: '日', cls: 'A', max: 30 },
  { code: '001201000010000', kind: 'service', zh: '特需病房', en: 'VIP ward', unit: '日', cls: 'C' },
  { code: '002201000010000', kind: 'service', zh: '血细胞分析（血常规）', en: 'Complete blood count', unit: '次', cls: 'A', max: 25 },
  { code: '002202000010000', kind: 'service', zh: '肝功能检查', en: 'Liver function panel', unit: '次', cls: 'A', max: 80 },
  { code: '002202000020000', kind: 'service', zh: '肾功能检查', en: 'Kidney function panel', unit: '次', cls: 'A', max: 60 },
  { code: '002203000010000', kind: 'service', zh: '凝血功能检查', en: 'Coagulation panel', unit: '次', cls: 'A', max: 70 },
  { code: '002301000010000', kind: 'service', zh: '心电图检查', en: 'Electrocardiogram', unit: '次', cls: 'A', max: 30 },
  {
    code: '003303000010000',
    kind: 'service',
    zh: 'X 线计算机体层（CT）平扫',
    en: 'CT scan, plain',
    unit: '部位',
    cls: 'B',
    limit: 200,
    max: 260,
  },
  { code: '003305000010000', kind: 'service', zh: '磁共振成像（MRI）', en: 'MRI scan', unit: '部位', cls: 'B', limit: 450, max: 600 },
  { code: '003106000010000', kind: 'service', zh: '静脉输液', en: 'Intravenous infusion', unit: '次', cls: 'A', max: 15 },
  { code: '003311000010000', kind: 'service', zh: '人工全髋关节置换术', en: 'Total hip replacement', unit: '次', cls: 'A', max: 8_000 },
  {
    code: '003311000020000',
    kind: 'service',
    zh: '股骨颈骨折闭合复位内固定术',
    en: 'Femoral neck fracture fixation',
    unit: '次',
    cls: 'A',
    max: 5_000,
  },
  { code: '003312000010000', kind: 'service', zh: '腹腔镜下阑尾切除术', en: 'Laparoscopic appendectomy', unit: '次', cls: 'A', max: 3_000 },
  { code: '003201000010000', kind: 'service', zh: '全身麻醉', en: 'General anaesthesia', unit: '小时', cls: 'A', max: 500 },
  { code: '004001000010000', kind: 'service', zh: '运动疗法（康复）', en: 'Physiotherapy', unit: '次', cls: 'B', limit: 40, max: 60 },
  { code: '003102000010000', kind: 'service', zh: '氧气吸入', en: 'Oxygen therapy', unit: '小时', cls: 'A', max: 5 },
  {
    code: 'XJ01CRA040A001010100483',
    kind: 'drug',
    zh: '阿莫西林克拉维酸钾片',
    en: 'Amoxicillin and clavulanate tablets',
    unit: '盒',
    cls: 'A',
    max: 40,
  },
  { code: 'XJ01DDC013B002010101444', kind: 'drug', zh: '注射用头孢曲松钠', en: 'Ceftriaxone for injection', unit: '支', cls: 'A', max: 30 },
  {
    code: 'XB01ABE005B002010100732',
    kind: 'drug',
    zh: '依诺肝素钠注射液',
    en: 'Enoxaparin injection',
    unit: '支',
    cls: 'B',
    limit: 35,
    max: 45,
  },
  {
    code: 'XA02BCO001B002010101821',
    kind: 'drug',
    zh: '注射用奥美拉唑钠',
    en: 'Omeprazole for injection',
    unit: '支',
    cls: 'B',
    limit: 20,
    max: 28,
  },
  { code: 'XN02BEA011A001010102355', kind: 'drug', zh: '对乙酰氨基酚片', en: 'Paracetamol tablets', unit: '盒', cls: 'A', max: 15 },
  { code: 'XC10AAA013A001010103042', kind: 'drug', zh: '阿托伐他汀钙片', en: 'Atorvastatin tablets', unit: '盒', cls: 'A', max: 50 },
  { code: 'XA10BAA012A001010100231', kind: 'drug', zh: '二甲双胍片', en: 'Metformin tablets', unit: '盒', cls: 'A', max: 20 },
  {
    code: 'XB05BBA012B002010100119',
    kind: 'drug',
    zh: '0.9% 氯化钠注射液',
    en: 'Sodium chloride 0.9 % injection',
    unit: '袋',
    cls: 'A',
    max: 8,
  },
  {
    code: 'XL01XCT117B002010104567',
    kind: 'drug',
    zh: '注射用曲妥珠单抗',
    en: 'Trastuzumab for injection',
    unit: '支',
    cls: 'B',
    limit: 1_640,
    max: 2_000,
  },
  {
    code: 'XM05BAX005B002010102876',
    kind: 'drug',
    zh: '唑来膦酸注射液',
    en: 'Zoledronic acid injection',
    unit: '支',
    cls: 'B',
    limit: 300,
    max: 450,
  },
  { code: 'XN05CFZ017A001010101333', kind: 'drug', zh: '酒石酸唑吡坦片', en: 'Zolpidem tablets', unit: '盒', cls: 'C' },
  {
    code: 'ZA12BAX0021010203456',
    kind: 'drug',
    zh: '复方丹参滴丸',
    en: 'Compound Danshen dripping pills',
    unit: '盒',
    cls: 'B',
    limit: 30,
    max: 40,
  },
  { code: 'ZA04CAA0112010103212', kind: 'drug', zh: '血塞通注射液', en: 'Xuesaitong injection', unit: '支', cls: 'B', limit: 25, max: 35 },
  {
    code: 'C0311201000000107328',
    kind: 'consumable',
    zh: '人工髋关节假体（陶瓷-陶瓷）',
    en: 'Hip prosthesis, ceramic on ceramic',
    unit: '套',
    cls: 'B',
    limit: 7_000,
    max: 9_000,
  },
  {
    code: 'C0311202000000107550',
    kind: 'consumable',
    zh: '骨科内固定螺钉',
    en: 'Orthopaedic fixation screw',
    unit: '枚',
    cls: 'B',
    limit: 600,
    max: 800,
  },
  {
    code: 'C0101010000000100001',
    kind: 'consumable',
    zh: '一次性使用输液器',
    en: 'Disposable infusion set',
    unit: '套',
    cls: 'A',
    max: 10,
  },
  {
    code: 'C0201030000000100204',
    kind: 'consumable',
    zh: '冠状动脉药物洗脱支架',
    en: 'Drug-eluting coronary stent',
    unit: '个',
    cls: 'B',
    limit: 800,
    max: 800,
  },
  {
    code: 'C0105020000000100099',
    kind: 'consumable',
    zh: '一次性使用无菌注射器',
    en: 'Disposable sterile syringe',
    unit: '支',
    cls: 'A',
    max: 2,
  },
  { code: 'C0909000000000100045', kind: 'consumable', zh: '医用护理垫', en: 'Medical underpad', unit: '片', cls: 'C' },
];

/** The provinces whose catalogue the seed loads (the places of treatment of the demo). */
const CATALOGUE_PROVINCES = ['450000', '130000'] as const;

export interface InsuranceRegionSeed {
  region: string;
  nameZh: string;
  officeOrgCode: string;
}

/** Loads the policies, the catalogue and the pooling regions; what is there already is kept. Safe to run again. */
export async function seedInsurance(db: Db, regions: readonly InsuranceRegionSeed[]): Promise<void> {
  const now = new Date();
  await db
    .insert(insurancePolicies)
    .values(
      SEED_POLICIES.map((p) => ({
        region: p.region,
        version: p.version,
        effectiveFrom: p.effectiveFrom,
        effectiveTo: p.effectiveTo,
        legalBasis: p.legalBasis,
        data: p,
        createdAt: now,
        createdBy: 'seed',
      })),
    )
    .onConflictDoNothing();
  const yuanToFen = (y: number | undefined) => (y === undefined ? null : Math.round(y * 100));
  await db
    .insert(insuranceCatalogue)
    .values(
      CATALOGUE_PROVINCES.flatMap((region) =>
        SEED_CATALOGUE.map((c) => ({
          region,
          code: c.code,
          kind: c.kind,
          nameZh: c.zh,
          nameEn: c.en,
          unit: c.unit,
          itemClass: c.cls,
          priceLimitFen: yuanToFen(c.limit),
          maxPriceFen: yuanToFen(c.max),
          effectiveFrom: '2025-01-01',
          effectiveTo: null,
        })),
      ),
    )
    .onConflictDoNothing();
  if (regions.length > 0)
    await db
      .insert(insuranceRegions)
      .values([...regions])
      .onConflictDoNothing();
}
