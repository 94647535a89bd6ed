/** The demo residents' records in the internal datasets (sharing.seed.ts loads them). */

export interface DemoPerson {
  residentId: string;
  name: string;
  gender: 'male' | 'female';
  birthDate: string;
}

const ADDRESS = '河北省石家庄市正定县正定镇塔元庄村';

type RecordOf = { residentId: string; data: Record<string, string> };

/** A household register entry at 塔元庄村. */
function householdRecord(p: DemoPerson, householdNo: string, head: string, relation: string): RecordOf {
  return {
    residentId: p.residentId,
    data: {
      name: p.name,
      gender: p.gender === 'male' ? '男' : '女',
      birthDate: p.birthDate,
      ethnicity: '汉族',
      householdNo,
      householdHead: head,
      relationToHead: relation,
      address: ADDRESS,
    },
  };
}

/** Basic medical insurance in 正定县 since 2016. */
function insuredRecord(p: Pick<DemoPerson, 'residentId' | 'name'>): RecordOf {
  return {
    residentId: p.residentId,
    data: {
      name: p.name,
      insuranceType: '城乡居民基本医疗保险',
      insuredRegion: '河北省石家庄市正定县',
      status: '正常参保',
      enrolledSince: '2016-01-01',
    },
  };
}

/**
 * When the demo's 张小宝 was born: seventeen days before the records are loaded, so that the demo
 * stays a recent birth (the maternity benefits' rules ask for a birth within the year), in China time.
 */
export function demoBirthTime(now: Date = new Date()): string {
  return `${new Date(now.getTime() + 8 * 3_600_000 - 17 * 86_400_000).toISOString().slice(0, 10)}T08:30:00+08:00`;
}

/** The hospital's delivery record of the newborn 张小宝, kept under the mother. */
function deliveryRecord(mother: Pick<DemoPerson, 'residentId'>): RecordOf {
  return {
    residentId: mother.residentId,
    data: {
      childName: '张小宝',
      childGender: '男',
      birthTime: demoBirthTime(),
      birthPlace: '河北省石家庄市正定县',
      hospital: '正定县人民医院',
      weightGrams: '3350',
      certificateNo: 'O130123001',
      deliveryMode: '顺产',
      babies: '1',
    },
  };
}

/** The mother's employer pays maternity insurance (生育保险) for her: the base of her maternity allowance. */
function maternityInsuranceRecord(mother: Pick<DemoPerson, 'residentId'>): RecordOf {
  return {
    residentId: mother.residentId,
    data: { employer: '石家庄正定塔元庄农业发展有限公司', status: '正常缴费', contributionWageFen: '560000', contributionMonths: '38' },
  };
}

/**
 * A birth bundle's mother as the demo's 王芳 (张伟's wife, in his household): her household
 * register entry, insurance and the delivery record, by dataset (the bundles' tests seed with it).
 */
export function motherRecords(mother: DemoPerson, husband = '张伟'): Record<string, RecordOf[]> {
  return {
    'ps.household_register': [householdRecord(mother, '130123100242001', husband, '配偶')],
    'medsec.insured_person': [insuredRecord(mother)],
    'health.birth_record': [deliveryRecord(mother)],
    'medsec.maternity_insurance': [maternityInsuranceRecord(mother)],
  };
}

/** The marriage record of one of a couple married at 正定县 in 2014. */
const marriageRecord = (p: DemoPerson, spouse: DemoPerson): RecordOf => ({
  residentId: p.residentId,
  data: {
    maritalStatus: '已婚',
    spouseName: spouse.name,
    registeredOn: '2014-10-01',
    certificateNo: '冀正结字第2014-0815号',
    registry: '正定县民政局婚姻登记处',
  },
});

/**
 * Records of the demo residents (张伟 and 王芳 married, 李娜, 刘洋): the household register for
 * all, the marriage record for the couple, insurance for the adults, the couple's newborn's
 * delivery record under the mother, vaccinations for the youngest. Made up; keyed by the residents' demo ID numbers.
 */
export function seedRecords(people: readonly [DemoPerson, DemoPerson, DemoPerson, DemoPerson]): Record<string, RecordOf[]> {
  const [zhang, wang, li, liu] = people;
  const household = householdRecord;
  return {
    'ps.household_register': [
      household(zhang, '130123100242001', zhang.name, '户主'),
      household(wang, '130123100242001', zhang.name, '配偶'),
      household(li, '130123100242002', li.name, '户主'),
      household(liu, '130123100242003', liu.name, '户主'),
    ],
    'civil.marriage_record': [marriageRecord(zhang, wang), marriageRecord(wang, zhang)],
    'medsec.insured_person': [zhang, wang, li].map((p) => insuredRecord(p)),
    // The hospital's delivery record is kept under the mother: 王芳 and 张伟's newborn.
    'health.birth_record': [deliveryRecord(wang)],
    'medsec.maternity_insurance': [maternityInsuranceRecord(wang)],
    'health.vaccination': [
      { residentId: liu.residentId, data: { vaccinationCardNo: 'YM1301232001', doses: '22', lastDoseDate: '2008-05-20' } },
    ],
  };
}
