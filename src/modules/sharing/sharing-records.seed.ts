/** The demo residents' records in the internal datasets (sharing.seed.ts loads them). */

export interface DemoPerson {
  residentId: string;
  name: string;
  gender: 'male' | 'female';
  birthDate: string;
}

/**
 * Records of the demo residents (张伟 and 王芳 married, 李娜, 刘洋): the household register for
 * all, the marriage record for the couple, insurance for the adults, the couple's newborn's
 * delivery record under the mother, vaccinations for the youngest. Made up; keyed by the residents' demo ID numbers.
 */
export function seedRecords(
  people: readonly [DemoPerson, DemoPerson, DemoPerson, DemoPerson],
): Record<string, { residentId: string; data: Record<string, string> }[]> {
  const [zhang, wang, li, liu] = people;
  const address = '河北省石家庄市正定县正定镇塔元庄村';
  const household = (p: DemoPerson, householdNo: string, head: string, relation: string) => ({
    residentId: p.residentId,
    data: {
      name: p.name,
      gender: p.gender === 'male' ? '男' : '女',
      birthDate: p.birthDate,
      ethnicity: '汉族',
      householdNo,
      householdHead: head,
      relationToHead: relation,
      address,
    },
  });
  return {
    'ps.household_register': [
      household(zhang, '130123100242001', zhang.name, '户主'),
      household(wang, '130123100242001', zhang.name, '配偶'),
      household(li, '130123100242002', li.name, '户主'),
      household(liu, '130123100242003', liu.name, '户主'),
    ],
    'civil.marriage_record': [
      {
        residentId: zhang.residentId,
        data: {
          maritalStatus: '已婚',
          spouseName: wang.name,
          registeredOn: '2014-10-01',
          certificateNo: '冀正结字第2014-0815号',
          registry: '正定县民政局婚姻登记处',
        },
      },
      {
        residentId: wang.residentId,
        data: {
          maritalStatus: '已婚',
          spouseName: zhang.name,
          registeredOn: '2014-10-01',
          certificateNo: '冀正结字第2014-0815号',
          registry: '正定县民政局婚姻登记处',
        },
      },
    ],
    'medsec.insured_person': [zhang, wang, li].map((p) => ({
      residentId: p.residentId,
      data: {
        name: p.name,
        insuranceType: '城乡居民基本医疗保险',
        insuredRegion: '河北省石家庄市正定县',
        status: '正常参保',
        enrolledSince: '2016-01-01',
      },
    })),
    // The hospital's delivery record is kept under the mother: 王芳 and 张伟's newborn.
    'health.birth_record': [
      {
        residentId: wang.residentId,
        data: {
          childName: '张小宝',
          childGender: '男',
          birthTime: '2026-11-18T08:30:00+08:00',
          birthPlace: '河北省石家庄市正定县',
          hospital: '正定县人民医院',
          weightGrams: '3350',
          certificateNo: 'O130123001',
        },
      },
    ],
    'health.vaccination': [
      { residentId: liu.residentId, data: { vaccinationCardNo: 'YM1301232001', doses: '22', lastDoseDate: '2008-05-20' } },
    ],
  };
}
