import type { Channel, FormField, HandlerLevel, Material } from './catalog.tables.ts';

export interface ServiceItemDef {
  code: string;
  nameZh: string;
  nameEn: string;
  category: string;
  handlerLevel: HandlerLevel;
  departmentKind: string | null;
  materials: Material[];
  formFields: FormField[];
  timeLimitDays: number;
  channels: Channel[];
  feeCents: number;
  online: boolean;
  certificateType: string | null;
}

const ALL_CHANNELS: Channel[] = ['app', 'kiosk', 'window', 'helper'];

const idCard: Material = { code: 'id_card', nameZh: '居民身份证', nameEn: 'Resident ID card', required: true, proofFree: true };
const household: Material = {
  code: 'household_register',
  nameZh: '户口簿',
  nameEn: 'Household register',
  required: true,
  proofFree: true,
};

const purposeField: FormField = {
  name: 'purpose',
  labelZh: '用途',
  labelEn: 'Purpose',
  type: 'select',
  required: true,
  options: [
    { value: 'school', labelZh: '子女入学', labelEn: 'School enrolment' },
    { value: 'employment', labelZh: '就业', labelEn: 'Employment' },
    { value: 'social_security', labelZh: '社保医保办理', labelEn: 'Social or medical insurance' },
    { value: 'other', labelZh: '其他', labelEn: 'Other' },
  ],
};
const addressField: FormField = {
  name: 'address',
  labelZh: '现居住地址',
  labelEn: 'Current address',
  type: 'text',
  required: true,
  maxLength: 200,
};

/**
 * The certificate services of the grassroots e-certificate story and the items of the birth
 * bundle. Time limits are the promised working days; materials marked proofFree are fetched
 * by the platform instead of asked for.
 */
export const SEED_SERVICE_ITEMS: ServiceItemDef[] = [
  {
    code: 'cert.residence',
    nameZh: '居住证明',
    nameEn: 'Residence proof',
    category: 'certificates',
    handlerLevel: 'village',
    departmentKind: null,
    materials: [idCard, household],
    formFields: [
      addressField,
      { name: 'residentSince', labelZh: '居住起始日期', labelEn: 'Living there since', type: 'date', required: true },
      purposeField,
    ],
    timeLimitDays: 3,
    channels: ALL_CHANNELS,
    feeCents: 0,
    online: true,
    certificateType: 'residence',
  },
  {
    code: 'cert.no_criminal_record',
    nameZh: '无犯罪记录证明',
    nameEn: 'No-criminal-record proof',
    category: 'certificates',
    handlerLevel: 'department',
    departmentKind: 'public_security',
    materials: [idCard],
    formFields: [
      purposeField,
      { name: 'destination', labelZh: '使用单位', labelEn: 'Receiving organisation', type: 'text', required: false, maxLength: 100 },
    ],
    timeLimitDays: 3,
    channels: ALL_CHANNELS,
    feeCents: 0,
    online: true,
    certificateType: 'no_criminal_record',
  },
  {
    code: 'cert.family_economic_status',
    nameZh: '家庭经济状况证明',
    nameEn: 'Family economic status proof',
    category: 'certificates',
    handlerLevel: 'village',
    departmentKind: null,
    materials: [
      idCard,
      household,
      { code: 'income_statement', nameZh: '家庭收入情况说明', nameEn: 'Household income statement', required: true, proofFree: false },
    ],
    formFields: [
      { name: 'householdSize', labelZh: '家庭人口数', labelEn: 'Household size', type: 'text', required: true, maxLength: 3 },
      {
        name: 'annualIncome',
        labelZh: '家庭年收入（元）',
        labelEn: 'Household annual income (CNY)',
        type: 'text',
        required: true,
        maxLength: 12,
      },
      purposeField,
    ],
    timeLimitDays: 5,
    channels: ALL_CHANNELS,
    feeCents: 0,
    online: true,
    certificateType: 'family_economic_status',
  },
  {
    code: 'cert.kinship',
    nameZh: '亲属关系证明',
    nameEn: 'Kinship proof',
    category: 'certificates',
    handlerLevel: 'village',
    departmentKind: null,
    materials: [idCard, household],
    formFields: [
      { name: 'relativeName', labelZh: '亲属姓名', labelEn: "Relative's name", type: 'text', required: true, maxLength: 50 },
      {
        name: 'relation',
        labelZh: '关系',
        labelEn: 'Relation',
        type: 'select',
        required: true,
        options: [
          { value: 'parent', labelZh: '父母', labelEn: 'Parent' },
          { value: 'child', labelZh: '子女', labelEn: 'Child' },
          { value: 'spouse', labelZh: '配偶', labelEn: 'Spouse' },
          { value: 'sibling', labelZh: '兄弟姐妹', labelEn: 'Sibling' },
        ],
      },
      purposeField,
    ],
    timeLimitDays: 3,
    channels: ALL_CHANNELS,
    feeCents: 0,
    online: true,
    certificateType: 'kinship',
  },
  // 出生一件事: the five items of the birth bundle, each handled by its own department.
  {
    code: 'birth.medical_certificate',
    nameZh: '出生医学证明',
    nameEn: 'Birth medical certificate',
    category: 'birth',
    handlerLevel: 'department',
    departmentKind: 'health',
    materials: [
      { ...idCard, nameZh: '父母居民身份证', nameEn: "Parents' resident ID cards" },
      { code: 'marriage_certificate', nameZh: '结婚证', nameEn: 'Marriage certificate', required: true, proofFree: true },
      { code: 'birth_record', nameZh: '医院分娩记录', nameEn: 'Hospital delivery record', required: true, proofFree: true },
    ],
    formFields: [
      { name: 'childName', labelZh: '新生儿姓名', labelEn: "Child's name", type: 'text', required: true, maxLength: 50 },
      { name: 'birthDate', labelZh: '出生日期', labelEn: 'Date of birth', type: 'date', required: true },
      { name: 'hospital', labelZh: '出生医院', labelEn: 'Hospital', type: 'text', required: true, maxLength: 100 },
    ],
    timeLimitDays: 5,
    channels: ['app', 'window', 'helper'],
    feeCents: 0,
    online: true,
    certificateType: 'birth_medical',
  },
  {
    code: 'birth.vaccination',
    nameZh: '预防接种证办理',
    nameEn: 'Vaccination certificate',
    category: 'birth',
    handlerLevel: 'department',
    departmentKind: 'health',
    materials: [
      { code: 'birth_medical_certificate', nameZh: '出生医学证明', nameEn: 'Birth medical certificate', required: true, proofFree: true },
    ],
    formFields: [{ name: 'childName', labelZh: '新生儿姓名', labelEn: "Child's name", type: 'text', required: true, maxLength: 50 }],
    timeLimitDays: 5,
    channels: ['app', 'window', 'helper'],
    feeCents: 0,
    online: true,
    certificateType: 'vaccination',
  },
  {
    code: 'birth.household_registration',
    nameZh: '出生登记（户口登记）',
    nameEn: 'Birth household registration',
    category: 'birth',
    handlerLevel: 'department',
    departmentKind: 'public_security',
    materials: [
      { code: 'birth_medical_certificate', nameZh: '出生医学证明', nameEn: 'Birth medical certificate', required: true, proofFree: true },
      household,
      { ...idCard, nameZh: '父母居民身份证', nameEn: "Parents' resident ID cards" },
      { code: 'marriage_certificate', nameZh: '结婚证', nameEn: 'Marriage certificate', required: true, proofFree: true },
    ],
    formFields: [
      { name: 'childName', labelZh: '新生儿姓名', labelEn: "Child's name", type: 'text', required: true, maxLength: 50 },
      { name: 'householdHead', labelZh: '户主姓名', labelEn: 'Head of household', type: 'text', required: true, maxLength: 50 },
    ],
    timeLimitDays: 10,
    channels: ['app', 'window', 'helper'],
    feeCents: 0,
    online: true,
    certificateType: 'household_registration',
  },
  {
    code: 'birth.medical_insurance',
    nameZh: '城乡居民医保参保登记',
    nameEn: 'Medical insurance enrolment',
    category: 'birth',
    handlerLevel: 'department',
    departmentKind: 'medical_security',
    materials: [
      { code: 'household_registration', nameZh: '户口登记信息', nameEn: 'Household registration record', required: true, proofFree: true },
      { ...idCard, nameZh: '监护人居民身份证', nameEn: "Guardian's resident ID card" },
    ],
    formFields: [{ name: 'childName', labelZh: '新生儿姓名', labelEn: "Child's name", type: 'text', required: true, maxLength: 50 }],
    timeLimitDays: 5,
    channels: ['app', 'window', 'helper'],
    feeCents: 0,
    online: true,
    certificateType: 'medical_insurance_enrolment',
  },
  {
    code: 'birth.social_security_card',
    nameZh: '社会保障卡申领',
    nameEn: 'Social security card application',
    category: 'birth',
    handlerLevel: 'department',
    departmentKind: 'human_resources',
    materials: [
      { code: 'household_registration', nameZh: '户口登记信息', nameEn: 'Household registration record', required: true, proofFree: true },
      { code: 'photo', nameZh: '证件照片', nameEn: 'ID photo', required: true, proofFree: false },
      { ...idCard, nameZh: '监护人居民身份证', nameEn: "Guardian's resident ID card" },
    ],
    formFields: [
      { name: 'childName', labelZh: '新生儿姓名', labelEn: "Child's name", type: 'text', required: true, maxLength: 50 },
      { name: 'bankBranch', labelZh: '领卡银行网点', labelEn: 'Bank branch for the card', type: 'text', required: false, maxLength: 100 },
    ],
    timeLimitDays: 15,
    channels: ['app', 'window', 'helper'],
    feeCents: 0,
    online: true,
    certificateType: 'social_security_card',
  },
];
