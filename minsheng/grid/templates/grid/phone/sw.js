// The service worker of the 网格通 phone pages (scope /grid/m/), rendered by
// grid.phone.views.service_worker. It keeps, on the phone, the task list and the task pages
// the worker opened (network first: the copy is used only when the server cannot be
// reached) and the pages' scripts and styles, so the list opens without a network. A page
// answered from the copy says so (data-served="cache"), and its own text tells when it was
// fetched. When the server answers a page with the login page, the kept pages are dropped.
"use strict";
const CONFIG = {{ config|safe }};
const CACHE = "ms-grid-" + CONFIG.version;
const TIMEOUT_MS = 6000;

function isAsset(url) {
  return url.origin === self.location.origin && CONFIG.assets.includes(url.pathname);
}

function cacheable(response) {
  return response && response.status === 200 && response.type === "basic" && !response.redirected;
}

self.addEventListener("install", (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(CACHE);
      await cache.addAll(CONFIG.assets);
      // the list as it is now: the page that registered this worker was not controlled yet
      try {
        const response = await fetch(CONFIG.list, { credentials: "same-origin" });
        if (cacheable(response)) await cache.put(CONFIG.list, response);
      } catch (err) {
        // offline while installing: the list is kept the next time it is opened
      }
      await self.skipWaiting();
    })(),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    (async () => {
      for (const name of await caches.keys()) {
        if (name.startsWith("ms-grid-") && name !== CACHE) await caches.delete(name);
      }
      await self.clients.claim();
    })(),
  );
});

async function forgetPages() {
  const cache = await caches.open(CACHE);
  for (const request of await cache.keys()) {
    if (!isAsset(new URL(request.url))) await cache.delete(request);
  }
}

function withTimeout(promise) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("timeout")), TIMEOUT_MS);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (err) => {
        clearTimeout(timer);
        reject(err);
      },
    );
  });
}

async function fromCopy(request) {
  const cache = await caches.open(CACHE);
  const hit = await cache.match(request.url);
  if (!hit) return null;
  const text = (await hit.text()).replace('data-served="network"', 'data-served="cache"');
  return new Response(text, { status: 200, headers: hit.headers });
}

function offlinePage() {
  return new Response(CONFIG.offline, {
    status: 503,
    headers: { "Content-Type": "text/html; charset=utf-8" },
  });
}

async function page(request) {
  let response;
  try {
    response = await withTimeout(fetch(request));
  } catch (err) {
    return (await fromCopy(request)) || offlinePage();
  }
  const url = new URL(response.url || request.url);
  if (response.type === "opaqueredirect" || url.pathname.startsWith(CONFIG.login)) {
    // signed out (or the session is over): what was kept of the pages goes
    await forgetPages();
  } else if (cacheable(response)) {
    const cache = await caches.open(CACHE);
    await cache.put(request.url, response.clone());
  }
  return response;
}

async function asset(event) {
  // the kept copy at once, refreshed behind it for the next time
  const request = event.request;
  const cache = await caches.open(CACHE);
  const hit = await cache.match(request.url);
  const fresh = fetch(request)
    .then(async (response) => {
      if (cacheable(response)) await cache.put(request.url, response.clone());
      return response;
    })
    .catch(() => null);
  event.waitUntil(fresh);
  return hit || (await fresh) || Response.error();
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return; // a submit goes to the network, never to a copy
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (isAsset(url)) {
    event.respondWith(asset(event));
  } else if (request.mode === "navigate" && url.pathname.startsWith(CONFIG.list)) {
    event.respondWith(page(request));
  }
});

self.addEventListener("message", (event) => {
  if (event.data === "forget") event.waitUntil(forgetPages());
});
