/**
 * Names of common ICD-10 three-character categories (类目), for the public fee-structure tables: the
 * interchange carries diagnosis codes only. A category not listed is shown by its code alone.
 * Names follow the WHO ICD-10 titles and the Chinese national edition (疾病分类与代码).
 */
export const ICD10_CATEGORIES: Readonly<Record<string, { zh: string; en: string }>> = {
  A09: { zh: '感染性胃肠炎和结肠炎', en: 'Infectious gastroenteritis and colitis' },
  B02: { zh: '带状疱疹', en: 'Zoster (herpes zoster)' },
  C34: { zh: '支气管和肺恶性肿瘤', en: 'Malignant neoplasm of bronchus and lung' },
  C61: { zh: '前列腺恶性肿瘤', en: 'Malignant neoplasm of prostate' },
  C83: { zh: '非滤泡性淋巴瘤', en: 'Non-follicular lymphoma' },
  E03: { zh: '其他甲状腺功能减退症', en: 'Other hypothyroidism' },
  E11: { zh: '2型糖尿病', en: 'Type 2 diabetes mellitus' },
  E78: { zh: '脂蛋白代谢紊乱和其他脂血症', en: 'Disorders of lipoprotein metabolism and other lipidaemias' },
  F20: { zh: '精神分裂症', en: 'Schizophrenia' },
  F32: { zh: '抑郁发作', en: 'Depressive episode' },
  F51: { zh: '非器质性睡眠障碍', en: 'Nonorganic sleep disorders' },
  G62: { zh: '其他多神经病', en: 'Other polyneuropathies' },
  H10: { zh: '结膜炎', en: 'Conjunctivitis' },
  I10: { zh: '原发性高血压', en: 'Essential (primary) hypertension' },
  I20: { zh: '心绞痛', en: 'Angina pectoris' },
  I21: { zh: '急性心肌梗死', en: 'Acute myocardial infarction' },
  I25: { zh: '慢性缺血性心脏病', en: 'Chronic ischaemic heart disease' },
  I50: { zh: '心力衰竭', en: 'Heart failure' },
  I63: { zh: '脑梗死', en: 'Cerebral infarction' },
  J02: { zh: '急性咽炎', en: 'Acute pharyngitis' },
  J06: { zh: '急性上呼吸道感染', en: 'Acute upper respiratory infections' },
  J11: { zh: '流行性感冒（病毒未标明）', en: 'Influenza, virus not identified' },
  J18: { zh: '肺炎（病原体未特指）', en: 'Pneumonia, organism unspecified' },
  J20: { zh: '急性支气管炎', en: 'Acute bronchitis' },
  J21: { zh: '急性细支气管炎', en: 'Acute bronchiolitis' },
  J44: { zh: '慢性阻塞性肺病', en: 'Chronic obstructive pulmonary disease' },
  J45: { zh: '哮喘', en: 'Asthma' },
  K21: { zh: '胃-食管反流病', en: 'Gastro-oesophageal reflux disease' },
  K29: { zh: '胃炎和十二指肠炎', en: 'Gastritis and duodenitis' },
  K35: { zh: '急性阑尾炎', en: 'Acute appendicitis' },
  K74: { zh: '肝纤维化和肝硬化', en: 'Fibrosis and cirrhosis of liver' },
  K80: { zh: '胆石症', en: 'Cholelithiasis' },
  L30: { zh: '其他皮炎', en: 'Other dermatitis' },
  M16: { zh: '髋关节病', en: 'Coxarthrosis (arthrosis of hip)' },
  M17: { zh: '膝关节病', en: 'Gonarthrosis (arthrosis of knee)' },
  M54: { zh: '背痛', en: 'Dorsalgia' },
  M81: { zh: '骨质疏松不伴有病理性骨折', en: 'Osteoporosis without pathological fracture' },
  N18: { zh: '慢性肾脏病', en: 'Chronic kidney disease' },
  N39: { zh: '泌尿系统的其他疾患', en: 'Other disorders of urinary system' },
  N40: { zh: '前列腺增生', en: 'Hyperplasia of prostate' },
  N76: { zh: '阴道和外阴的其他炎症', en: 'Other inflammation of vagina and vulva' },
  N95: { zh: '绝经期和其他绝经周围期疾患', en: 'Menopausal and other perimenopausal disorders' },
  O80: { zh: '单胎顺产', en: 'Single spontaneous delivery' },
  O82: { zh: '经剖宫产术的单胎分娩', en: 'Single delivery by caesarean section' },
  P07: { zh: '与孕期短和低出生体重有关的疾患', en: 'Disorders related to short gestation and low birth weight' },
  P59: { zh: '新生儿黄疸', en: 'Neonatal jaundice from other and unspecified causes' },
  R51: { zh: '头痛', en: 'Headache' },
  S01: { zh: '头部开放性伤口', en: 'Open wound of head' },
  S06: { zh: '颅内损伤', en: 'Intracranial injury' },
  S72: { zh: '股骨骨折', en: 'Fracture of femur' },
};

/** The category's name in a language, or null when not listed. */
export function icd10CategoryName(code3: string, lang: 'zh' | 'en'): string | null {
  return ICD10_CATEGORIES[code3.toUpperCase()]?.[lang] ?? null;
}
