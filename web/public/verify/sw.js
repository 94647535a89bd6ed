// The public verifier's service worker: once /verify has loaded, it works offline. The page and
// its assets are cached at install (the asset list is read from the page itself); hashed assets
// are then served from the cache; the page, the trust anchors and the status lists are fetched
// from the network first and fall back to the last copy kept.
const CACHE = 'yiban-verify-v2';
const PAGE = '/verify/';

self.addEventListener('install', (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(CACHE);
      const page = await fetch(PAGE, { cache: 'no-store' });
      if (!page.ok) return;
      const html = await page.clone().text();
      await cache.put(PAGE, page);
      const assets = [...html.matchAll(/(?:src|href)="(\/[^"]+)"/g)].map((m) => m[1]);
      await Promise.all([...new Set(assets), '/api/trust'].map((url) => cache.add(url).catch(() => undefined)));
      // This platform's signed status lists — those that exist, from /api/status-lists — so that a
      // certificate checked offline for the first time still gets a revocation answer: the copy of
      // the day the page was installed or last opened (the page refreshes them on each visit). Each
      // is valid for a few hours; after that the page says INDETERMINATE and why.
      try {
        const index = await fetch('/api/status-lists', { cache: 'no-store' });
        if (index.ok) {
          await cache.put('/api/status-lists', index.clone());
          const { lists } = await index.json();
          await Promise.all(lists.flatMap(({ id }) => ['revocation', 'suspension'].map((p) => cache.add(`/api/status-lists/${encodeURIComponent(id)}/${p}`).catch(() => undefined))));
        }
      } catch {
        // offline at install: the page fetches them on its next online visit
      }
      await self.skipWaiting();
    })(),
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    (async () => {
      for (const key of await caches.keys()) if (key !== CACHE) await caches.delete(key);
      await self.clients.claim();
    })(),
  );
});

async function networkFirst(request, key) {
  const cache = await caches.open(CACHE);
  try {
    const response = await fetch(request);
    if (response.ok) await cache.put(key ?? request, response.clone());
    return response;
  } catch (error) {
    const kept = await cache.match(key ?? request);
    if (kept) return kept;
    throw error;
  }
}

async function cacheFirst(request) {
  const cache = await caches.open(CACHE);
  const kept = await cache.match(request);
  if (kept) return kept;
  const response = await fetch(request);
  if (response.ok) await cache.put(request, response.clone());
  return response;
}

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === 'navigate' && (url.pathname === '/verify' || url.pathname.startsWith('/verify/'))) {
    event.respondWith(networkFirst(request, PAGE));
  } else if (url.pathname.startsWith('/assets/') || url.pathname === '/favicon.svg') {
    event.respondWith(cacheFirst(request));
  } else if (
    url.pathname === '/api/trust' ||
    url.pathname === '/api/status-lists' ||
    url.pathname.startsWith('/api/status-lists/') ||
    // Another member's lists through this node, kept for checks made offline as this node's are.
    url.pathname.startsWith('/api/federation/status-lists/')
  ) {
    event.respondWith(networkFirst(request));
  }
});
