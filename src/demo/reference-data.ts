import type { Rng } from './random';

/**
 * Reference data ("knowledge base") for the demo: institutions, physicians, catalog, diagnoses,
 * inspectors and the fund ledger. The catalog templates are written so that every limit column of
 * catalog_items.csv is exercised, and so that for each limit there are "pure" items carrying only
 * that limit — the generator plants violations with those, so one planted line trips one rule.
 */

export type Gender = 'M' | 'F';
export type Setting = 'inpatient' | 'outpatient';
export type ItemKind = 'drug' | 'service' | 'consumable';
export type InstitutionKind = 'hospital' | 'primary_care' | 'clinic' | 'pharmacy';

export interface CatalogItem {
  code: string;
  name: string;
  kind: ItemKind;
  /** Standard unit price in fen used by compliant claims (never above the ceiling). */
  priceFen: number;
  ceilingFen: number | null;
  gender: Gender | null;
  minAge: number | null;
  maxAge: number | null;
  /** Whole units per patient, service date and claim. */
  maxDaily: number | null;
  maxDays: number | null;
  indications: string[] | null;
  setting: Setting | null;
  group: string | null;
  groupRole: 'bundle' | 'part' | null;
  /** Where compliant claims use the item: outpatient, pharmacy, inpatient. */
  useOp: boolean;
  usePh: boolean;
  useIp: boolean;
  /** Inpatient per-stay line (bed, nursing, ward round): quantity = length of stay, dated on admission. */
  perStay: boolean;
  /** Administered on site (no days of supply). */
  administered: boolean;
  /** Ordinary quantity choices in half-units (3 = 1.5). */
  qtyHalf: number[];
  /** Realism only: typical diagnoses (ICD prefixes); compliant claims use the item only for them. */
  hint: string[] | null;
}

export interface Institution {
  code: string;
  name: string;
  kind: InstitutionKind;
  level: number;
  ownership: 'public' | 'private';
  region: string;
  /** Multiplier on catalog prices (never raises a price above its ceiling). */
  priceFactor: number;
  /** Relative share of visits. */
  weight: number;
  hasBeds: boolean;
  /** How the institution behaves (profiles.ts); every institution starts `normal`. */
  profile: InstitutionProfile;
  /**
   * Case mix and intensity of care, 0 (primary care) … about 1 (tertiary): weight of severe
   * diagnoses, longer stays, more lines. Honest: the same for every claim of the kind of case.
   */
  severity: number;
  /** ICD prefixes a specialised hospital attracts (its case mix), or null. */
  focus: string[] | null;
  /** Ordinary practice differs a little between honest peers too. */
  style: InstitutionStyle;
  /** Abusive behaviours with their intensities in (0, 1]; null for honest institutions. */
  abuse: Abuse | null;
  /** Relative chance of receiving a planted violation, per visit (1 = ordinary). */
  plantBoost: number;
}

export type InstitutionProfile = 'normal' | 'honest_expensive' | 'abusive';

export interface InstitutionStyle {
  /** Chance of one more line on a claim. */
  extraLine: number;
  /** Multiplier on the drug share of drawn lines. */
  drugTilt: number;
  /** Chance of one more day in a stay. */
  extraDay: number;
}

/** The abusive behaviours (see docs/demo-data.md); an abusive institution has a few of them. */
export const ABUSE_BEHAVIOURS = ['padding', 'nearCeiling', 'longStay', 'revisits', 'drugs', 'consumables', 'upcoding', 'violations'] as const;
export type AbuseBehaviour = (typeof ABUSE_BEHAVIOURS)[number];
export type Abuse = Partial<Record<AbuseBehaviour, number>>;

export interface Physician {
  code: string;
  name: string;
  institutionCode: string;
  specialty: string;
}

export interface Inspector {
  code: string;
  name: string;
  unit: string;
  region: string;
  conflicts: string[];
}

export interface LedgerRow {
  period: string;
  insuranceType: 'employee' | 'resident';
  incomeFen: number;
  expenditureFen: number;
  balanceFen: number;
}

export interface Diagnosis {
  code: string;
  weight: number;
  op: boolean;
  ip: boolean;
  ph: boolean;
  gender: Gender | null;
  minAge: number;
  maxAge: number;
  chronic: boolean;
  /** A severe case (cancer, infarction, stroke, fracture, organ failure …): longer stays, more lines, more weight at hospitals treating severe cases. */
  severe: boolean;
  /** A severe case treated with expensive procedures (stents, joint replacement, chemotherapy): mostly at tertiary hospitals. */
  complex: boolean;
}

// ---------------------------------------------------------------------------------------------
// Regions (宁夏银川市)

export const REGIONS: readonly { code: string; name: string; weight: number; places: string[] }[] = [
  { code: '640104', name: '兴庆区', weight: 26, places: ['胜利街', '解放街', '文化街', '富宁街', '中山南街', '大新镇', '掌政镇', '月牙湖乡'] },
  { code: '640105', name: '西夏区', weight: 18, places: ['朔方路', '贺兰山西路', '文昌路', '北京西路', '宁华路', '兴泾镇', '镇北堡镇'] },
  { code: '640106', name: '金凤区', weight: 22, places: ['满城北街', '黄河东路', '长城中路', '北京中路', '丰登镇', '良田镇'] },
  { code: '640121', name: '永宁县', weight: 11, places: ['杨和镇', '李俊镇', '望远镇', '望洪镇', '闽宁镇', '胜利乡'] },
  { code: '640122', name: '贺兰县', weight: 11, places: ['习岗镇', '金贵镇', '立岗镇', '洪广镇', '常信乡'] },
  { code: '640181', name: '灵武市', weight: 12, places: ['城区街道', '东塔镇', '宁东镇', '临河镇', '梧桐树乡', '郝家桥镇'] },
];

/** Insured elsewhere (异地就医): other Ningxia cities and neighbouring provinces. */
export const OTHER_INSURED_REGIONS = ['640302', '640202', '640402', '640502', '610113', '150102'];

// ---------------------------------------------------------------------------------------------
// Names

export const SURNAMES = [
  '王', '李', '张', '刘', '陈', '杨', '赵', '黄', '周', '吴', '徐', '孙', '胡', '朱', '高', '林', '何', '郭', '马', '罗',
  '梁', '宋', '郑', '谢', '韩', '唐', '冯', '于', '董', '程', '曹', '袁', '邓', '许', '沈', '曾', '彭', '吕', '苏', '蒋',
  '蔡', '贾', '丁', '魏', '薛', '叶', '余', '杜', '田', '任', '姜', '范', '方', '石', '姚', '金', '海', '纳', '白', '虎',
];
const GIVEN = [
  '伟', '芳', '娜', '敏', '静', '丽', '强', '磊', '军', '洋', '勇', '艳', '杰', '娟', '涛', '明', '超', '秀', '霞', '平',
  '刚', '桂', '英', '华', '玉', '兰', '建', '国', '宁', '海', '燕', '鹏', '辉', '琳', '梅', '晨', '思', '雪', '峰', '博',
];

export function personName(rng: Rng): string {
  const given = rng.chance(0.6) ? rng.pick(GIVEN) + rng.pick(GIVEN) : rng.pick(GIVEN);
  return rng.pick(SURNAMES) + given;
}

// ---------------------------------------------------------------------------------------------
// Catalog templates

interface Limits {
  ceil?: number | 'eq';
  gender?: Gender;
  minAge?: number;
  maxAge?: number;
  daily?: number;
  days?: number;
  ind?: string;
  setting?: Setting;
  group?: string;
  role?: 'bundle' | 'part';
  hint?: string;
}

interface DrugTemplate extends Limits {
  atc: string;
  name: string;
  specs: [string, number][];
  /** Injection / infusion: administered on site, outpatient (in clinic) and inpatient, never dispensed. */
  inj?: boolean;
  qty?: number[];
}

interface ServiceTemplate extends Limits {
  prefix: string;
  name: string;
  price: number;
  op?: boolean;
  ip?: boolean;
  perStay?: boolean;
  qty?: number[];
}

// Western drugs (西药): code X + ATC-like class, 23 characters.
const WESTERN: DrugTemplate[] = [
  { atc: 'J01CA', name: '阿莫西林胶囊', specs: [['0.25g×24粒', 9.8], ['0.5g×24粒,盒', 16.5]], days: 7 },
  { atc: 'J01DC', name: '头孢呋辛酯片', specs: [['0.25g×12片', 18.6], ['0.125g×12片', 11.2]], days: 7 },
  { atc: 'J01DD', name: '注射用头孢曲松钠', specs: [['1g', 12.5], ['0.5g', 7.8]], inj: true, daily: 4, ceil: 15, qty: [2, 4] },
  { atc: 'J01MA', name: '左氧氟沙星片', specs: [['0.5g×6片', 21]], minAge: 18, days: 7 },
  { atc: 'J01MA', name: '盐酸环丙沙星片', specs: [['0.25g×12片', 8.6]], minAge: 18, days: 7 },
  { atc: 'J01FA', name: '阿奇霉素干混悬剂', specs: [['0.1g×6袋', 15.2]], days: 5 },
  { atc: 'R05XA', name: '小儿氨酚黄那敏颗粒', specs: [['6g×10袋', 12]], maxAge: 14, days: 7 },
  { atc: 'N02BE', name: '对乙酰氨基酚混悬滴剂', specs: [['15ml:1.5g', 11.8]], maxAge: 3, days: 5 },
  { atc: 'N02BE', name: '对乙酰氨基酚片', specs: [['0.5g×12片', 3.5]], days: 5 },
  { atc: 'C08CA', name: '苯磺酸氨氯地平片', specs: [['5mg×28片', 26.4], ['5mg×7片', 7.2]], days: 30, hint: 'I10;I11;I25' },
  { atc: 'A10BA', name: '盐酸二甲双胍片', specs: [['0.5g×48片', 12], ['0.25g×48片', 7.6]], days: 30, hint: 'E11;R73' },
  { atc: 'A10AB', name: '门冬胰岛素注射液', specs: [['3ml:300单位', 45.8]], ceil: 46, ind: 'E10;E11;E13;E14', days: 30 },
  { atc: 'A10AE', name: '甘精胰岛素注射液', specs: [['3ml:300单位', 98]], ceil: 'eq', ind: 'E10;E11', days: 30 },
  { atc: 'C10AA', name: '阿托伐他汀钙片', specs: [['20mg×7片', 19.7], ['10mg×7片', 11.5]], ind: 'E78;I20;I21;I25;I63', days: 30 },
  { atc: 'B01AC', name: '硫酸氢氯吡格雷片', specs: [['75mg×7片', 16.8]], ind: 'I20;I21;I25;I63;I70', days: 30 },
  { atc: 'J05AH', name: '磷酸奥司他韦胶囊', specs: [['75mg×10粒', 58], ['30mg×10粒', 36]], ind: 'J09;J10;J11', days: 5 },
  { atc: 'B05AA', name: '人血白蛋白', specs: [['10g:50ml', 398], ['5g:25ml', 210]], inj: true, ceil: 420, ind: 'K72;K74;E88;R57;T30', setting: 'inpatient', daily: 4, qty: [2, 4] },
  { atc: 'G03DA', name: '黄体酮胶囊', specs: [['100mg×20粒', 68]], gender: 'F', days: 30, hint: 'N9;O2' },
  { atc: 'G04CB', name: '非那雄胺片', specs: [['5mg×10片', 36.5]], gender: 'M', days: 30, hint: 'N40' },
  { atc: 'G03CA', name: '戊酸雌二醇片', specs: [['1mg×21片', 32]], gender: 'F', days: 30, hint: 'N95' },
  { atc: 'G04CA', name: '盐酸坦索罗辛缓释胶囊', specs: [['0.2mg×10粒', 32.5]], gender: 'M', ind: 'N40', days: 30 },
  { atc: 'L02BB', name: '比卡鲁胺片', specs: [['50mg×28片', 380]], ceil: 390, gender: 'M', ind: 'C61', days: 30 },
  { atc: 'A11CC', name: '维生素D滴剂', specs: [['400单位×24粒', 23]], maxAge: 6, days: 30 },
  { atc: 'N02AX', name: '盐酸曲马多缓释片', specs: [['0.1g×10片', 22]], minAge: 18, days: 7 },
  { atc: 'A02BC', name: '奥美拉唑肠溶胶囊', specs: [['20mg×14粒', 9.9]], days: 14 },
  { atc: 'A02BC', name: '注射用泮托拉唑钠', specs: [['40mg', 18.5]], inj: true, ceil: 20, setting: 'inpatient', daily: 2, qty: [2] },
  { atc: 'R05CB', name: '盐酸氨溴索口服溶液', specs: [['100ml:0.6g', 14.2]], days: 7 },
  { atc: 'R03AC', name: '硫酸沙丁胺醇吸入气雾剂', specs: [['100μg×200揿', 24.5]], days: 30 },
  { atc: 'M01AE', name: '布洛芬缓释胶囊', specs: [['0.3g×20粒', 12.6]], days: 7 },
  { atc: 'C09CA', name: '氯沙坦钾片', specs: [['50mg×7片', 18.2]], days: 30, hint: 'I10;I11;N18' },
  { atc: 'C07AB', name: '酒石酸美托洛尔片', specs: [['25mg×20片', 7.4]], days: 30, hint: 'I10;I20;I25;I50' },
  { atc: 'N05CF', name: '佐匹克隆片', specs: [['7.5mg×12片', 13.3]], days: 7 },
  { atc: 'B01AB', name: '依诺肝素钠注射液', specs: [['0.4ml:4000AXa单位', 45]], inj: true, ceil: 48, setting: 'inpatient', daily: 2, qty: [2] },
  { atc: 'B05BB', name: '葡萄糖氯化钠注射液', specs: [['500ml', 4.2]], inj: true, daily: 6, qty: [2, 4] },
  { atc: 'B05XA', name: '0.9%氯化钠注射液', specs: [['250ml', 3.1], ['100ml', 2.6]], inj: true, daily: 8, qty: [2, 4, 6] },
  { atc: 'L01FA', name: '利妥昔单抗注射液', specs: [['100mg/10ml', 1278]], inj: true, ceil: 1300, ind: 'C82;C83;C85;C91', setting: 'inpatient', daily: 8, qty: [2, 4, 6] },
  { atc: 'H02AB', name: '注射用甲泼尼龙琥珀酸钠', specs: [['40mg', 19.8]], inj: true, daily: 6, qty: [2, 4] },
  { atc: 'S01AA', name: '妥布霉素滴眼液', specs: [['5ml:15mg', 16.8]], days: 14 },
  { atc: 'D07AC', name: '卤米松乳膏', specs: [['10g', 28.5]], days: 14 },
  { atc: 'C01DA', name: '硝酸甘油片', specs: [['0.5mg×100片', 18]], ind: 'I20;I21;I25', days: 30 },
  { atc: 'A10BF', name: '阿卡波糖片', specs: [['50mg×30片', 35.7]], ind: 'E11;E13;R73', days: 30 },
  { atc: 'N03AX', name: '普瑞巴林胶囊', specs: [['75mg×8粒', 36]], ind: 'G62;G63;B02;M79', days: 30 },
  { atc: 'H01BB', name: '缩宫素注射液', specs: [['1ml:10单位', 2.4]], inj: true, gender: 'F', ind: 'O', setting: 'inpatient', daily: 6, qty: [2, 4] },
  { atc: 'J01XD', name: '甲硝唑氯化钠注射液', specs: [['100ml:0.5g', 6.8]], inj: true, daily: 3, qty: [2, 4] },
  { atc: 'C03CA', name: '呋塞米片', specs: [['20mg×100片', 7.8]], days: 30, hint: 'I50;N18;I10' },
  { atc: 'H03AA', name: '左甲状腺素钠片', specs: [['50μg×100片', 26.5]], ind: 'E01;E02;E03;E89;C73', days: 30 },
  { atc: 'M05BA', name: '阿仑膦酸钠片', specs: [['70mg×4片', 42]], ind: 'M80;M81', days: 28 },
  { atc: 'R06AE', name: '盐酸西替利嗪片', specs: [['10mg×12片', 15]], days: 14 },
  { atc: 'N05AH', name: '富马酸喹硫平片', specs: [['25mg×30片', 38]], ind: 'F20;F25;F31', days: 30 },
  { atc: 'N06DA', name: '盐酸多奈哌齐片', specs: [['5mg×7片', 58]], ind: 'F00;F01;F03;G30', days: 30 },
  { atc: 'B01AF', name: '利伐沙班片', specs: [['10mg×5片', 45]], ceil: 'eq', ind: 'I26;I48;I80;Z96', days: 30 },
  { atc: 'B01AC', name: '阿司匹林肠溶片', specs: [['100mg×30片', 15.5]], days: 30, hint: 'I20;I21;I25;I63;E11' },
  { atc: 'J01DB', name: '头孢氨苄胶囊', specs: [['0.25g×24粒', 6.3]], days: 7 },
  { atc: 'R06AX', name: '氯雷他定片', specs: [['10mg×6片', 18.2]], days: 14 },
  { atc: 'A07BC', name: '蒙脱石散', specs: [['3g×10袋', 13.8]], days: 5 },
  { atc: 'A12AX', name: '碳酸钙D3片', specs: [['600mg×60片', 29]], days: 30 },
  { atc: 'N06AB', name: '盐酸舍曲林片', specs: [['50mg×14片', 56]], ind: 'F32;F33;F41;F42', days: 30 },
  { atc: 'A03FA', name: '多潘立酮片', specs: [['10mg×30片', 16]], days: 7 },
  { atc: 'C09AA', name: '马来酸依那普利片', specs: [['10mg×16片', 9]], days: 30, hint: 'I10;I50' },
];

// Chinese patent medicines (中成药): code Z…, 20 characters.
const CHINESE: DrugTemplate[] = [
  { atc: 'A01AA', name: '连花清瘟胶囊', specs: [['0.35g×24粒', 14.8]], days: 7 },
  { atc: 'A01AB', name: '小儿肺热咳喘颗粒', specs: [['4g×10袋', 29.8]], maxAge: 14, days: 7 },
  { atc: 'A06AA', name: '复方丹参滴丸', specs: [['27mg×180丸', 26.8]], ind: 'I20;I25', days: 30 },
  { atc: 'A06AB', name: '血塞通软胶囊', specs: [['60mg×24粒', 31]], ind: 'I63;I69;I20', days: 30 },
  { atc: 'A12AA', name: '六味地黄丸', specs: [['浓缩丸200丸', 18]], days: 30 },
  { atc: 'A01AC', name: '蒲地蓝消炎口服液', specs: [['10ml×10支', 38]], days: 7 },
  { atc: 'A06AC', name: '银杏叶片', specs: [['9.6mg×24片', 25]], days: 30 },
  { atc: 'A10AA', name: '前列舒通胶囊', specs: [['0.4g×36粒', 42]], gender: 'M', ind: 'N40;N41' },
  { atc: 'A11AA', name: '益母草颗粒', specs: [['15g×10袋', 16]], gender: 'F', hint: 'N9;O' },
  { atc: 'A11AB', name: '桂枝茯苓胶囊', specs: [['0.31g×60粒', 39]], gender: 'F', days: 30, hint: 'N7;N8;N9;D25' },
  { atc: 'A06AD', name: '注射用血栓通(冻干)', specs: [['150mg', 26]], inj: true, ceil: 28, setting: 'inpatient', daily: 4, qty: [2, 4] },
  { atc: 'A01AD', name: '疏风解毒胶囊', specs: [['0.52g×36粒', 33]], days: 7 },
  { atc: 'A04AA', name: '藿香正气口服液', specs: [['10ml×10支', 12.5]], days: 5 },
  { atc: 'A12AB', name: '金水宝胶囊', specs: [['0.33g×72粒', 46]], ind: 'N18;J44;J45', days: 30 },
];

// Medical service items (医疗服务项目): 15 digits. `prefix` is 11 digits; 4 more are drawn.
const SERVICES: ServiceTemplate[] = [
  { prefix: '00110100001', name: '普通门诊诊查费', price: 10, ceil: 'eq', setting: 'outpatient', daily: 1, op: true },
  { prefix: '00110100002', name: '副主任医师门诊诊查费', price: 25, ceil: 'eq', setting: 'outpatient', daily: 1, op: true },
  { prefix: '00110100003', name: '主任医师门诊诊查费', price: 35, ceil: 'eq', setting: 'outpatient', daily: 1, op: true },
  { prefix: '00110100004', name: '急诊诊查费', price: 12, ceil: 'eq', daily: 2, op: true },
  { prefix: '00110100005', name: '家庭医生签约服务费', price: 12, setting: 'outpatient', daily: 1, op: true },
  { prefix: '00110100006', name: '门诊慢特病管理服务', price: 20, setting: 'outpatient', op: true, hint: 'I10;E11;N18;I25' },
  { prefix: '00110200001', name: '住院诊查费', price: 15, ceil: 15, setting: 'inpatient', ip: true, perStay: true },
  { prefix: '00110300001', name: '床位费(三人间)', price: 30, ceil: 35, setting: 'inpatient', ip: true, perStay: true },
  { prefix: '00110300002', name: '床位费(双人间)', price: 45, ceil: 50, setting: 'inpatient', ip: true, perStay: true },
  { prefix: '00110300003', name: '新生儿床位费', price: 20, ceil: 25, setting: 'inpatient', maxAge: 0, ip: true, perStay: true },
  { prefix: '00120100001', name: '一级护理', price: 22, ceil: 26, setting: 'inpatient', ip: true, perStay: true },
  { prefix: '00120100002', name: '二级护理', price: 15, ceil: 16, setting: 'inpatient', ip: true, perStay: true },
  { prefix: '00120100003', name: '新生儿护理', price: 30, ceil: 'eq', setting: 'inpatient', maxAge: 0, ip: true, perStay: true },
  { prefix: '00120300001', name: '静脉输液(首组)', price: 8, ceil: 'eq', daily: 4, op: true, ip: true, qty: [2, 4] },
  { prefix: '00120400001', name: '肌肉注射', price: 3, ceil: 3.5, daily: 4, op: true, ip: true, qty: [2, 4] },
  { prefix: '00120500001', name: '氧气吸入(每小时)', price: 3, ceil: 'eq', daily: 24, ip: true, qty: [8, 16, 24, 48] },
  { prefix: '25030200001', name: '末梢血糖测定', price: 4, ceil: 5, daily: 8, op: true, ip: true, qty: [2, 4, 6, 8] },
  { prefix: '25010100001', name: '血常规(全血细胞计数+五分类)', price: 20, ceil: 22, group: 'CBC', role: 'bundle', op: true, ip: true },
  { prefix: '25010100002', name: '血红蛋白测定', price: 3, group: 'CBC', role: 'part', op: true, ip: true },
  { prefix: '25010100003', name: '白细胞计数', price: 3, group: 'CBC', role: 'part', op: true, ip: true },
  { prefix: '25030500001', name: '肝功能组合(ALT,AST,TBIL)', price: 40, ceil: 45, group: 'LFT', role: 'bundle', op: true, ip: true },
  { prefix: '25030500002', name: '丙氨酸氨基转移酶测定', price: 8, group: 'LFT', role: 'part', op: true, ip: true },
  { prefix: '25030500003', name: '天门冬氨酸氨基转移酶测定', price: 8, group: 'LFT', role: 'part', op: true, ip: true },
  { prefix: '25030500004', name: '总胆红素测定', price: 6, group: 'LFT', role: 'part', op: true, ip: true },
  { prefix: '25030700001', name: '肾功能组合(尿素+肌酐)', price: 35, group: 'RFT', role: 'bundle', op: true, ip: true },
  { prefix: '25030700002', name: '尿素测定', price: 5, group: 'RFT', role: 'part', op: true, ip: true },
  { prefix: '25030700003', name: '肌酐测定', price: 6, group: 'RFT', role: 'part', op: true, ip: true },
  { prefix: '25031000001', name: '糖化血红蛋白测定', price: 55, ceil: 60, ind: 'E10;E11;E13;E14;R73', daily: 1, op: true, ip: true },
  { prefix: '25040300001', name: '前列腺特异性抗原测定', price: 60, ceil: 65, gender: 'M', op: true, ip: true, hint: 'N40;N41;C61' },
  { prefix: '25040400001', name: '人绒毛膜促性腺激素测定', price: 35, gender: 'F', op: true, ip: true, hint: 'N9;O;R10' },
  { prefix: '25010200001', name: '尿常规', price: 10, ceil: 12, op: true, ip: true },
  { prefix: '25050100001', name: 'C反应蛋白测定', price: 15, ceil: 'eq', op: true, ip: true },
  { prefix: '27030000001', name: '宫颈细胞学检查(TCT)', price: 150, gender: 'F', op: true, hint: 'N7;N8;N9' },
  { prefix: '25070000001', name: '新生儿遗传代谢病筛查', price: 50, maxAge: 0, op: true, ip: true },
  { prefix: '21010200001', name: '胸部X线摄影(正位)', price: 45, ceil: 50, daily: 2, op: true, ip: true },
  { prefix: '21030000001', name: '头颅CT平扫', price: 180, ceil: 200, daily: 2, op: true, ip: true },
  { prefix: '22010000001', name: '腹部彩色多普勒超声', price: 120, ceil: 130, daily: 2, op: true, ip: true },
  { prefix: '22030200001', name: '产科彩色多普勒超声', price: 150, gender: 'F', op: true, ip: true, hint: 'O' },
  { prefix: '21060000001', name: '头颅磁共振平扫', price: 480, ceil: 500, daily: 1, op: true, ip: true },
  { prefix: '23010000001', name: '常规心电图', price: 25, ceil: 'eq', daily: 2, op: true, ip: true },
  { prefix: '31070100001', name: '动态心电图', price: 180, op: true, ip: true },
  { prefix: '31120100001', name: '雾化吸入', price: 10, ceil: 12, daily: 3, op: true, ip: true, qty: [2, 4] },
  { prefix: '41000000001', name: '针刺治疗', price: 25, daily: 2, op: true, ip: true },
  { prefix: '31150300001', name: '老年综合评估', price: 80, minAge: 65, op: true, ip: true },
  { prefix: '31150300002', name: '儿童生长发育评估', price: 50, maxAge: 17, op: true },
  { prefix: '33130300001', name: '阑尾切除术', price: 1200, ceil: 1300, setting: 'inpatient', ind: 'K35;K36;K37', ip: true },
  { prefix: '33130300002', name: '腹腔镜胆囊切除术', price: 2200, ceil: 2400, setting: 'inpatient', ind: 'K80;K81', ip: true },
  { prefix: '33100200001', name: '剖宫产术', price: 1500, setting: 'inpatient', gender: 'F', ind: 'O82;O32;O34', ip: true },
  { prefix: '33100100001', name: '经阴道分娩接生', price: 800, setting: 'inpatient', gender: 'F', ind: 'O80;O81', ip: true },
  { prefix: '33010000001', name: '全身麻醉', price: 600, ceil: 650, setting: 'inpatient', ip: true, hint: 'K35;K80;K81;O82;S72;M16;C34' },
  { prefix: '33080300001', name: '经皮冠状动脉支架置入术', price: 4500, ceil: 5000, setting: 'inpatient', ind: 'I20;I21;I25', ip: true },
  { prefix: '31140000001', name: '血液透析', price: 420, ceil: 450, ind: 'N18', daily: 1, op: true, ip: true },
  { prefix: '12010000001', name: '清创缝合术(小)', price: 120, group: 'DEBRIDE', role: 'bundle', op: true, ip: true },
  { prefix: '12010000002', name: '清创术', price: 50, group: 'DEBRIDE', role: 'part', op: true, ip: true },
  { prefix: '12010000003', name: '皮肤缝合术', price: 60, group: 'DEBRIDE', role: 'part', op: true, ip: true },
  { prefix: '34020000001', name: '康复评定', price: 40, ceil: 45, op: true, ip: true },
  { prefix: '33150000001', name: '人工股骨头置换术', price: 3800, setting: 'inpatient', ind: 'S72;M16;M87', ip: true },
];

// Medical consumables (医用耗材): code C…, 20 characters.
const CONSUMABLES: ServiceTemplate[] = [
  { prefix: '1401', name: '一次性使用输液器', price: 3.5, ceil: 4, daily: 6, op: true, ip: true, qty: [2, 4] },
  { prefix: '1402', name: '一次性使用无菌注射器(5ml)', price: 0.8, ceil: 1, daily: 10, op: true, ip: true, qty: [2, 4, 6] },
  { prefix: '1403', name: '医用纱布块', price: 2, op: true, ip: true, qty: [2, 4] },
  { prefix: '0201', name: '冠状动脉药物洗脱支架("集采"中选)', price: 780, ceil: 800, setting: 'inpatient', ind: 'I20;I21;I25', daily: 3, ip: true },
  { prefix: '0301', name: '人工髋关节假体(股骨柄,陶瓷头)', price: 7800, ceil: 8000, setting: 'inpatient', ind: 'M16;S72;M87', ip: true },
  { prefix: '1404', name: '一次性使用导尿包', price: 28, setting: 'inpatient', ip: true },
  { prefix: '1405', name: '胰岛素笔用针头', price: 1.5, ind: 'E10;E11;E13;E14', op: true, qty: [2, 4, 8] },
  { prefix: '1406', name: '一次性使用吸氧管', price: 5, setting: 'inpatient', ip: true },
  { prefix: '1407', name: '婴儿护理包', price: 15, maxAge: 0, op: true, ip: true },
  { prefix: '1408', name: '产妇护理垫', price: 12, gender: 'F', setting: 'inpatient', ip: true, hint: 'O' },
  { prefix: '1409', name: '一次性使用静脉留置针', price: 12, ceil: 15, daily: 2, op: true, ip: true },
  { prefix: '1410', name: '医用外用敷料', price: 8, op: true, ip: true, qty: [2, 4] },
  { prefix: '0401', name: '透析器', price: 180, ceil: 200, ind: 'N18', daily: 1, op: true, ip: true },
];

const yuanToFen = (y: number): number => Math.round(y * 100);
const splitCodes = (s: string | undefined): string[] | null => (s ? s.split(';') : null);

function digits(rng: Rng, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += String(rng.int(0, 9));
  return s;
}

function baseItem(
  code: string,
  name: string,
  kind: ItemKind,
  price: number,
  t: Limits,
  use: { op: boolean; ph: boolean; ip: boolean },
  extra: { perStay: boolean; administered: boolean; qtyHalf: number[] },
): CatalogItem {
  const priceFen = yuanToFen(price);
  const ceilingFen = t.ceil === undefined ? null : t.ceil === 'eq' ? priceFen : yuanToFen(t.ceil);
  if (ceilingFen !== null && ceilingFen < priceFen) throw new Error(`catalog template ${name}: price above ceiling`);
  return {
    code,
    name,
    kind,
    priceFen,
    ceilingFen,
    gender: t.gender ?? null,
    minAge: t.minAge ?? null,
    maxAge: t.maxAge ?? null,
    maxDaily: t.daily ?? null,
    maxDays: t.days ?? null,
    indications: splitCodes(t.ind),
    setting: t.setting ?? null,
    group: t.group ?? null,
    groupRole: t.role ?? null,
    useOp: use.op,
    usePh: use.ph,
    useIp: use.ip,
    perStay: extra.perStay,
    administered: extra.administered,
    qtyHalf: extra.qtyHalf,
    hint: splitCodes(t.hint),
  };
}

/** Builds the catalog (≈170 items) with fresh, unique codes drawn from `rng`. */
export function buildCatalog(rng: Rng): CatalogItem[] {
  const items: CatalogItem[] = [];
  const used = new Set<string>();
  const unique = (make: () => string): string => {
    for (;;) {
      const c = make();
      if (!used.has(c)) {
        used.add(c);
        return c;
      }
    }
  };
  const drug = (t: DrugTemplate, chinese: boolean): void => {
    for (const [spec, price] of t.specs) {
      const code = unique(() =>
        chinese ? `Z${t.atc}L${digits(rng, 13)}` : `X${t.atc}A${digits(rng, 3)}A${digits(rng, 12)}`,
      );
      const inj = t.inj === true;
      // Ceilings on drugs are per spec: scale the template's ceiling with the spec's price.
      const first = t.specs[0] as [string, number];
      const limits: Limits = { ...t };
      if (typeof t.ceil === 'number' && price !== first[1]) limits.ceil = Math.round(t.ceil * (price / first[1]) * 100) / 100;
      items.push(
        baseItem(code, `${t.name}(${spec})`, 'drug', price, limits, { op: true, ph: !inj && t.setting !== 'inpatient', ip: true }, {
          perStay: false,
          administered: inj,
          qtyHalf: t.qty ?? [2, 2, 2, 4, 4, 6, 1, 3],
        }),
      );
    }
  };
  for (const t of WESTERN) drug(t, false);
  for (const t of CHINESE) drug(t, true);
  for (const t of SERVICES) {
    const code = unique(() => `${t.prefix}${digits(rng, 4)}`);
    items.push(
      baseItem(code, t.name, 'service', t.price, t, { op: t.op === true, ph: false, ip: t.ip === true }, {
        perStay: t.perStay === true,
        administered: true,
        qtyHalf: t.qty ?? [2],
      }),
    );
  }
  for (const t of CONSUMABLES) {
    const code = unique(() => `C${t.prefix}${digits(rng, 15)}`);
    items.push(
      baseItem(code, t.name, 'consumable', t.price, t, { op: t.op === true, ph: false, ip: t.ip === true }, {
        perStay: false,
        administered: true,
        qtyHalf: t.qty ?? [2],
      }),
    );
  }
  // A few drug items sell at their ceiling (a natural "exactly at the ceiling" near miss).
  for (const it of items) {
    if (it.kind === 'drug' && it.ceilingFen === null && rng.chance(0.12)) it.ceilingFen = it.priceFen;
  }
  return items;
}

// ---------------------------------------------------------------------------------------------
// Diagnoses (ICD-10 医保版)

const COMPLEX_DX = new Set(['C34.9', 'C83.3', 'C61', 'I21.9', 'S72.0', 'M16.9']);
const SEVERE_DX = new Set([...COMPLEX_DX, 'I63.9', 'I50.9', 'K74.6', 'N18.5', 'S06.0', 'J44.1', 'P07.3']);

const D = (code: string, weight: number, where: string, minAge = 0, maxAge = 120, gender: Gender | null = null, chronic = false): Diagnosis => ({
  code,
  weight,
  op: where.includes('o'),
  ip: where.includes('i'),
  ph: where.includes('p'),
  gender,
  minAge,
  maxAge,
  chronic,
  severe: SEVERE_DX.has(code),
  complex: COMPLEX_DX.has(code),
});

export const DIAGNOSES: Diagnosis[] = [
  D('J06.9', 10, 'op'),
  D('J02.9', 4, 'o'),
  D('J20.9', 5, 'oi'),
  D('J18.9', 3, 'oi'),
  D('J18.0', 1, 'i', 40),
  D('J11.1', 2, 'op'),
  D('J45.9', 2, 'op', 3, 120, null, true),
  D('J44.1', 2, 'i', 40),
  D('I10', 10, 'op', 30, 120, null, true),
  D('E11.9', 8, 'op', 25, 120, null, true),
  D('E78.5', 4, 'op', 30, 120, null, true),
  D('I25.1', 3, 'op', 45, 120, null, true),
  D('K29.7', 4, 'o', 12),
  D('K21.9', 2, 'o', 18),
  D('M54.5', 4, 'o', 18),
  D('M17.9', 3, 'o', 45),
  D('L30.9', 3, 'o'),
  D('H10.9', 2, 'o'),
  D('N39.0', 3, 'o', 12),
  D('R51', 2, 'o', 6),
  D('F51.0', 2, 'op', 18, 120, null, true),
  D('E03.9', 1.5, 'op', 15, 120, null, true),
  D('G62.9', 1, 'o', 40),
  D('M81.9', 1.5, 'op', 50, 120, null, true),
  D('B02.9', 1, 'o', 20),
  D('N40', 2, 'op', 45, 120, 'M', true),
  D('N76.0', 1.5, 'o', 16, 120, 'F'),
  D('N95.1', 1, 'o', 45, 60, 'F'),
  D('N18.5', 1, 'oip', 30, 120, null, true),
  D('F20.9', 0.5, 'op', 18, 120, null, true),
  D('F32.9', 1, 'op', 18, 120, null, true),
  D('K80.2', 1, 'o', 30),
  D('C61', 0.3, 'opi', 55, 120, 'M', true),
  D('C34.9', 0.5, 'i', 45),
  D('C83.3', 0.3, 'i', 20),
  D('A09', 2, 'oi', 0, 14),
  D('S01.8', 1.5, 'o', 3),
  D('I63.9', 5, 'i', 45),
  D('I21.9', 3, 'i', 40),
  D('I20.0', 3, 'i', 40),
  D('I50.9', 3, 'i', 55),
  D('K35.8', 3, 'i', 6, 70),
  D('K80.1', 2, 'i', 30),
  D('O80', 3, 'i', 20, 42, 'F'),
  D('O82', 2, 'i', 20, 42, 'F'),
  D('S72.0', 2, 'i', 60),
  D('M16.9', 1, 'i', 55),
  D('E11.6', 1, 'i', 30),
  D('K74.6', 1, 'i', 40),
  D('P07.3', 1, 'i', 0, 0),
  D('P59.9', 1.5, 'oi', 0, 0),
  D('J21.9', 2, 'i', 0, 3),
  D('S06.0', 1, 'i', 5),
];

// ---------------------------------------------------------------------------------------------
// Institutions (定点医药机构)

// Ordered so that even the smallest data set (12 hospitals) has every level and both ownerships, and
// the default one (17) has at least four hospitals of each level (peer groups for risk scoring).
const HOSPITALS: [string, number, 'public' | 'private', string][] = [
  ['宁夏医科大学总医院', 3, 'public', '640104'],
  ['宁夏回族自治区人民医院', 3, 'public', '640105'],
  ['银川市第一人民医院', 3, 'public', '640104'],
  ['银川市中医医院', 3, 'public', '640104'],
  ['永宁县人民医院', 2, 'public', '640121'],
  ['贺兰县人民医院', 2, 'public', '640122'],
  ['灵武市人民医院', 2, 'public', '640181'],
  ['银川仁爱医院', 2, 'private', '640106'],
  ['宁夏东方骨科医院', 2, 'private', '640105'],
  ['西夏区人民医院', 2, 'public', '640105'],
  ['银川和美医院', 1, 'private', '640104'],
  ['宁夏回族自治区妇幼保健院', 3, 'public', '640106'],
  ['银川德仁康复医院', 1, 'private', '640106'],
  ['银川市第二人民医院', 2, 'public', '640106'],
  ['宁夏博爱中西医结合医院', 1, 'private', '640104'],
  ['永宁民康医院', 1, 'private', '640121'],
  ['永宁县中医医院', 2, 'public', '640121'],
  ['灵武市中医医院', 2, 'public', '640181'],
  ['贺兰县中医医院', 2, 'public', '640122'],
];

const PHARMACY_CHAINS = ['宁夏国大药房连锁有限公司', '宁夏众友健康医药股份有限公司', '银川美康大药房', '宁夏仁和堂药店连锁有限公司'];

export function buildInstitutions(rng: Rng, total: number): Institution[] {
  const out: Institution[] = [];
  const seq = new Map<string, number>();
  const codeFor = (prefix: 'H' | 'P', region: string): string => {
    const key = prefix + region;
    const n = (seq.get(key) ?? rng.int(1, 40)) + rng.int(1, 9);
    seq.set(key, n);
    return `${prefix}${region}${String(n).padStart(5, '0')}`;
  };
  const regionWeights = REGIONS.map((r) => r.weight);
  const nHosp = Math.max(12, Math.round(total * 0.3));
  const nPrimary = Math.round(total * 0.28);
  const nClinic = Math.round(total * 0.18);
  const nPharm = Math.max(4, total - nHosp - nPrimary - nClinic);
  for (let i = 0; i < nHosp; i++) {
    let name: string;
    let level: number;
    let own: 'public' | 'private';
    let region: string;
    const fixed = HOSPITALS[i];
    if (fixed) {
      [name, level, own, region] = fixed;
    } else {
      const r = REGIONS[rng.weightedIndex(regionWeights)] as (typeof REGIONS)[number];
      region = r.code;
      level = 1;
      own = 'private';
      name = `${r.name}${rng.pick(r.places)}${rng.pick(['康复医院', '骨科医院', '中西医结合医院', '眼科医院', '肛肠医院'])}`;
    }
    out.push({
      code: codeFor('H', region),
      name,
      kind: 'hospital',
      level,
      ownership: own,
      region,
      priceFactor: level === 3 ? 1 : level === 2 ? 0.97 : 0.93,
      weight: level === 3 ? 14 : level === 2 ? 7 : 3,
      hasBeds: true,
      ...honest(level === 3 ? 1 : level === 2 ? 0.45 : 0.2),
    });
  }
  const usedNames = new Set(out.map((i) => i.name));
  const uniqueName = (make: () => string): string => {
    for (let k = 0; ; k++) {
      const n = make();
      const candidate = k < 20 ? n : `${n}${k}`;
      if (!usedNames.has(candidate)) {
        usedNames.add(candidate);
        return candidate;
      }
    }
  };
  for (let i = 0; i < nPrimary; i++) {
    const r = REGIONS[i % REGIONS.length] as (typeof REGIONS)[number];
    const place = rng.pick(r.places);
    const town = /[镇乡]$/.test(place);
    const name = uniqueName(() => (town ? `${r.name}${place}卫生院` : `${r.name}${place}社区卫生服务中心`));
    out.push({
      code: codeFor('H', r.code),
      name,
      kind: 'primary_care',
      level: town ? 1 : 0,
      ownership: 'public',
      region: r.code,
      priceFactor: 0.93,
      weight: 4,
      hasBeds: town,
      ...honest(town ? 0.1 : 0),
    });
  }
  for (let i = 0; i < nClinic; i++) {
    const r = REGIONS[rng.weightedIndex(regionWeights)] as (typeof REGIONS)[number];
    const name = uniqueName(() =>
      rng.chance(0.15)
        ? `${r.name}"${rng.pick(['济民', '仁心', '康宁', '杏林'])}"诊所`
        : `${r.name}${rng.pick(SURNAMES)}氏${rng.pick(['中医诊所', '诊所', '口腔诊所', '内科诊所'])}`,
    );
    out.push({
      code: codeFor('H', r.code),
      name,
      kind: 'clinic',
      level: 0,
      ownership: 'private',
      region: r.code,
      priceFactor: 0.93,
      weight: 3,
      hasBeds: false,
      ...honest(0),
    });
  }
  for (let i = 0; i < nPharm; i++) {
    const r = REGIONS[rng.weightedIndex(regionWeights)] as (typeof REGIONS)[number];
    const name = uniqueName(() => `${rng.pick(PHARMACY_CHAINS)}${r.name}${rng.pick(r.places)}店`);
    out.push({
      code: codeFor('P', r.code),
      name,
      kind: 'pharmacy',
      level: 0,
      ownership: 'private',
      region: r.code,
      priceFactor: 1,
      weight: 3,
      hasBeds: false,
      ...honest(0),
    });
  }
  return out;
}

/** The behaviour fields of an ordinary institution; profiles.ts assigns the real ones. */
function honest(severity: number): Pick<Institution, 'profile' | 'severity' | 'focus' | 'style' | 'abuse' | 'plantBoost'> {
  return { profile: 'normal', severity, focus: null, style: { extraLine: 0, drugTilt: 1, extraDay: 0 }, abuse: null, plantBoost: 1 };
}

const SPECIALTIES: Record<InstitutionKind, string[]> = {
  hospital: ['内科', '外科', '儿科', '妇产科', '急诊科', '骨科', '心血管内科', '呼吸内科', '神经内科', '肾内科', '肿瘤科', '眼科', '皮肤科', '中医科'],
  primary_care: ['全科', '内科', '中医科', '儿科'],
  clinic: ['全科', '中医科', '内科'],
  pharmacy: [],
};

export function buildPhysicians(rng: Rng, institutions: Institution[]): Physician[] {
  const out: Physician[] = [];
  const used = new Set<string>();
  for (const inst of institutions) {
    if (inst.kind === 'pharmacy') continue;
    const n =
      inst.kind === 'hospital'
        ? inst.level === 3
          ? rng.int(8, 14)
          : inst.level === 2
            ? rng.int(5, 9)
            : rng.int(3, 5)
        : inst.kind === 'primary_care'
          ? rng.int(2, 5)
          : rng.int(1, 3);
    const specs = SPECIALTIES[inst.kind];
    for (let i = 0; i < n; i++) {
      let code: string;
      do code = `D${inst.region}${digits(rng, 6)}`;
      while (used.has(code));
      used.add(code);
      // Make sure the first few cover the core specialties so children and mothers find one.
      const specialty = i < specs.length && i < 4 ? (specs[i] as string) : rng.pick(specs);
      out.push({ code, name: personName(rng), institutionCode: inst.code, specialty });
    }
  }
  return out;
}

const UNITS: [string, number][] = [
  ['医保局', 60],
  ['卫健局', 25],
  ['市场监管局', 15],
];

export function buildInspectors(rng: Rng, total: number, institutions: Institution[]): Inspector[] {
  const out: Inspector[] = [];
  const regions = ['640100', ...REGIONS.map((r) => r.code)];
  const counters = new Map<string, number>();
  for (let i = 0; i < total; i++) {
    const region = regions[i % regions.length] as string;
    const n = (counters.get(region) ?? 0) + 1;
    counters.set(region, n);
    const unit = rng.weighted(
      UNITS.map((u) => u[0]),
      UNITS.map((u) => u[1]),
    );
    const conflicts: string[] = [];
    // Every sixth inspector has a conflict of interest (回避), every twelfth two of them.
    if (i % 6 === 2) {
      const local = institutions.filter((x) => region === '640100' || x.region === region);
      const k = i % 12 === 2 ? 2 : 1;
      for (const inst of rng.shuffle([...local]).slice(0, k)) conflicts.push(inst.code);
    }
    out.push({ code: `JC${region}${String(n).padStart(3, '0')}`, name: personName(rng), unit, region, conflicts });
  }
  return out;
}

/**
 * Monthly pooled-fund accounts for Yinchuan-sized funds: employee fund covering ~9 months of
 * spending, resident fund near the 3–4-month low-balance warning. balance = previous + income − expenditure.
 */
export function buildLedger(rng: Rng, periods: string[]): LedgerRow[] {
  const out: LedgerRow[] = [];
  let emp = 2_650_000_000_00 + rng.int(0, 99_999_999);
  let res = 560_000_000_00 + rng.int(0, 99_999_999);
  for (const period of periods) {
    const empIn = Math.round(318_000_000_00 * (0.92 + rng.float() * 0.16));
    const empOut = Math.round(287_000_000_00 * (0.9 + rng.float() * 0.2));
    emp += empIn - empOut;
    out.push({ period, insuranceType: 'employee', incomeFen: empIn, expenditureFen: empOut, balanceFen: emp });
    const resIn = Math.round(150_000_000_00 * (0.6 + rng.float() * 0.8));
    const resOut = Math.round(158_000_000_00 * (0.9 + rng.float() * 0.2));
    res += resIn - resOut;
    out.push({ period, insuranceType: 'resident', incomeFen: resIn, expenditureFen: resOut, balanceFen: res });
  }
  return out;
}
