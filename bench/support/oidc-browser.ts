/**
 * A browser for the login benchmark, played by fetch: cookies kept per origin (the hub and the
 * province node are two sites), redirects followed by hand, forms posted with their Origin as a
 * browser does. One instance is one fresh browser: no hub session, no province session.
 */
const MAX_HOPS = 12;

interface Page {
  status: number;
  url: string;
  location: string | null;
  body: string;
}

class OidcBrowser {
  private readonly cookies = new Map<string, Map<string, string>>();

  async request(url: string, form?: Record<string, string>): Promise<Page> {
    const target = new URL(url);
    const jar = this.cookies.get(target.origin) ?? new Map<string, string>();
    this.cookies.set(target.origin, jar);
    const headers: Record<string, string> = {};
    if (jar.size > 0) headers.cookie = Array.from(jar, ([name, value]) => `${name}=${value}`).join('; ');
    if (form) Object.assign(headers, { 'content-type': 'application/x-www-form-urlencoded', origin: target.origin });
    const response = await fetch(target, {
      method: form ? 'POST' : 'GET',
      headers,
      redirect: 'manual',
      ...(form ? { body: new URLSearchParams(form).toString() } : {}),
    });
    for (const header of response.headers.getSetCookie()) {
      const first = header.split(';', 1)[0] ?? '';
      const at = first.indexOf('=');
      const [name, value] = [first.slice(0, at).trim(), first.slice(at + 1).trim()];
      if (value === '' || /max-age=0|expires=thu, 01 jan 1970/i.test(header)) jar.delete(name);
      else jar.set(name, value);
    }
    const location = response.headers.get('location');
    return { status: response.status, url, location: location ? new URL(location, target).href : null, body: await response.text() };
  }

  /** Follows redirects while they stay on the same site; returns the page, or the redirect that leaves it. */
  async follow(url: string): Promise<Page> {
    let page = await this.request(url);
    for (let hop = 0; hop < MAX_HOPS; hop++) {
      if (!page.location || new URL(page.location).origin !== new URL(page.url).origin) return page;
      page = await this.request(page.location);
    }
    throw new Error(`more than ${MAX_HOPS} redirects from ${url}`);
  }
}

/**
 * One full login of a resident at a province node through the hub, as the browser does it: the
 * province's button (authorization request), the hub's login page and its password form, the
 * consent page when the hub asks, the code back to the province's callback (which exchanges it at
 * the hub's token endpoint), and the province's session answering /api/me. Throws on any other turn.
 */
export async function loginThroughHub(
  province: string,
  hub: string,
  resident: { residentId: string; password: string },
): Promise<{ accountId: string }> {
  const browser = new OidcBrowser();
  const start = await browser.request(`${province}/api/auth/oidc/start`);
  if (start.status !== 303 || !start.location?.startsWith(`${hub}/`)) throw new Error(`the province's start answered ${start.status}`);
  let page = await browser.follow(start.location);
  let steps = 0;
  while (!page.location?.startsWith(`${province}/`)) {
    if (page.status !== 200 || ++steps > 3) throw new Error(`the hub answered ${page.status} at ${page.url}: ${page.body.slice(0, 200)}`);
    const interaction = `${hub}${new URL(page.url).pathname}`;
    const sent = page.body.includes('name="password"')
      ? await browser.request(`${interaction}/login`, { residentIdOrPhone: resident.residentId, password: resident.password })
      : await browser.request(`${interaction}/confirm`, {});
    if (sent.status !== 303 || !sent.location) throw new Error(`the hub's form answered ${sent.status}: ${sent.body.slice(0, 200)}`);
    page = await browser.follow(sent.location);
  }
  const landed = await browser.request(page.location);
  if (landed.status !== 303 || !landed.location?.includes('oidc=1'))
    throw new Error(`the callback answered ${landed.status}: ${landed.body}`);
  const me = await browser.request(`${province}/api/me`);
  if (me.status !== 200) throw new Error(`the province's session answered ${me.status}`);
  return { accountId: (JSON.parse(me.body) as { accountId: string }).accountId };
}
