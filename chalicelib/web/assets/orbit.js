/*! orbit.js 1.0.0 - Orbit browser tracking SDK. Owned by chalicelib/web (served at GET /sdk/orbit.js).
 * Dependency-free ES2017; sends Segment-compatible batches to {endpoint}/v1/batch.
 * Nothing here may throw into the host page: every public entry point is wrapped in try/catch. */
(function (w, d) {
  'use strict';
  if (w.orbit && w.orbit.loaded) return; // loaded twice: keep the first instance

  var VERSION = '1.0.0';
  var YEAR = 31536000, SESSION = 1800; // cookie lifetimes in seconds
  var MAX_BODY = 30000; // bytes per request (sendBeacon caps at 64 KB)
  var MAX_EVENT = 20480; // bytes per event: the server rejects larger calls
  var MAX_STORED = 300; // events kept in localStorage while unsent
  var MAX_TRIES = 6;
  var K = { aid: 'orbit_aid', sid: 'orbit_sid', uid: 'orbit_uid', q: 'orbit_q', consent: 'orbit_consent', cart: 'orbit_cart' };

  // ---- storage helpers: storage can be disabled or full, so never let them throw ----
  function lsGet(k) { try { return w.localStorage.getItem(k); } catch (e) { return null; } }
  function lsSet(k, v) { try { w.localStorage.setItem(k, v); } catch (e) { /* quota / disabled */ } }
  function lsDel(k) { try { w.localStorage.removeItem(k); } catch (e) { /* disabled */ } }
  function cookieGet(k) {
    try {
      var m = d.cookie.match(new RegExp('(?:^|; )' + k + '=([^;]*)'));
      return m ? decodeURIComponent(m[1]) : null;
    } catch (e) { return null; }
  }
  function cookieSet(k, v, maxAge) {
    try {
      d.cookie = k + '=' + encodeURIComponent(v) + '; max-age=' + maxAge + '; path=/; SameSite=Lax' +
        (location.protocol === 'https:' ? '; Secure' : '');
    } catch (e) { /* cookies disabled */ }
  }

  function uuid() {
    var c = w.crypto;
    if (c && c.randomUUID) return c.randomUUID();
    var b = new Uint8Array(16);
    if (c && c.getRandomValues) c.getRandomValues(b);
    else for (var i = 0; i < 16; i++) b[i] = Math.random() * 256;
    b[6] = (b[6] & 15) | 64; b[8] = (b[8] & 63) | 128;
    var h = Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join('');
    return h.slice(0, 8) + '-' + h.slice(8, 12) + '-' + h.slice(12, 16) + '-' + h.slice(16, 20) + '-' + h.slice(20);
  }

  function bytes(s) { return w.TextEncoder ? new TextEncoder().encode(s).length : unescape(encodeURIComponent(s)).length; }

  // camelCase keys -> snake_case (productId -> product_id), one level deep
  function snake(o) {
    var r = {};
    Object.keys(o || {}).forEach(function (k) {
      if (o[k] !== undefined) r[k.replace(/[A-Z]/g, function (c) { return '_' + c.toLowerCase(); })] = o[k];
    });
    return r;
  }

  // ---- state ----
  var cfg = null; // set by init
  var queue = []; // events not yet handed to the network
  var inflight = []; // events in the request currently being sent
  var consent = lsGet(K.consent) !== '0';
  var timer = 0, retryAt = 0, failures = 0, warned = 0;
  var chain = Promise.resolve();

  function debug(e) { if (cfg && cfg.debug && w.console) console.warn('[orbit]', e); }

  // ---- identity ----
  function anonymousId() {
    var id = cookieGet(K.aid) || lsGet(K.aid);
    if (!id && !consent) return null; // never mint identifiers without consent
    id = id || uuid();
    cookieSet(K.aid, id, YEAR); // refresh the cookie and its localStorage mirror
    lsSet(K.aid, id);
    return id;
  }
  function sessionId() {
    var id = cookieGet(K.sid) || uuid();
    cookieSet(K.sid, id, SESSION); // rolling 30-minute session
    return id;
  }

  function pageInfo() {
    return { url: location.href, path: location.pathname, title: d.title, referrer: d.referrer, search: location.search };
  }

  // ---- queue ----
  function persist() {
    var all = inflight.concat(queue);
    if (all.length) lsSet(K.q, JSON.stringify(all.slice(-MAX_STORED)));
    else lsDel(K.q);
  }

  function restore() {
    var stored;
    try { stored = JSON.parse(lsGet(K.q) || '[]'); } catch (e) { stored = []; }
    if (!Array.isArray(stored)) return;
    var seen = {};
    queue.concat(inflight).forEach(function (e) { seen[e.messageId] = 1; });
    var merged = stored.filter(function (e) { return e && e.messageId && !seen[e.messageId] && (seen[e.messageId] = 1); });
    queue = merged.concat(queue);
  }

  function enqueue(type, fields) {
    if (!consent) return;
    var uid = lsGet(K.uid);
    var e = Object.assign({ type: type }, fields);
    if (uid && !e.userId) e.userId = uid;
    e.anonymousId = anonymousId();
    e.messageId = uuid();
    e.timestamp = new Date().toISOString();
    e.context = {
      page: pageInfo(), userAgent: navigator.userAgent, locale: navigator.language,
      sessionId: sessionId(), library: { name: 'orbit.js', version: VERSION }
    };
    // Throws (into the dispatcher's catch) on anything unsendable, e.g. cycles, before it is queued.
    if (bytes(JSON.stringify(e)) > MAX_EVENT) return debug('event over 20 KB dropped');
    queue.push(e);
    if (queue.length > MAX_STORED) queue.splice(0, queue.length - MAX_STORED);
    persist();
    if (!cfg) return; // delivered once init arrives
    if (queue.length >= cfg.maxBatch && Date.now() >= retryAt) flush();
    else schedule(cfg.flushInterval);
  }

  function schedule(ms) {
    if (!timer) timer = setTimeout(function () { timer = 0; flush(); }, ms);
  }

  // Next request's events: at most maxBatch and under MAX_BODY bytes. An event too big to ever fit is dropped.
  function take() {
    var n = 0, size = 200; // room for the envelope
    while (n < queue.length && n < cfg.maxBatch) {
      var s = bytes(JSON.stringify(queue[n])) + 1;
      if (size + s > MAX_BODY) {
        if (n === 0) { debug('event too large, dropped'); queue.shift(); continue; }
        break;
      }
      size += s; n++;
    }
    return queue.splice(0, n);
  }

  function url() { return cfg.endpoint + '/v1/batch'; }
  function body(batch) { return JSON.stringify({ batch: batch, sentAt: new Date().toISOString(), writeKey: cfg.siteKey }); }

  // 'ok' | 'drop' | 'retry'
  function post(batch) {
    return fetch(url(), {
      method: 'POST', body: body(batch), keepalive: true, credentials: 'omit',
      headers: { 'Content-Type': 'text/plain;charset=UTF-8' }
    }).then(function (r) {
      if (r.ok) return 'ok';
      if (r.status === 401 || r.status === 403) return refused(r);
      return r.status === 429 || r.status >= 500 ? 'retry' : 'drop';
    }, function () { return 'retry'; });
  }

  // The endpoint refused the site key or this page's origin: say why once per page, debug or not.
  function refused(r) {
    if (warned++ || !w.console) return 'drop';
    return r.json().then(function (b) { return b.error.message; }).catch(function () { return ''; }).then(function (m) {
      console.warn('[orbit] ' + url() + ' refused events from ' + location.origin + ' (' + r.status + (m ? ': ' + m : '') +
        '); check the site key and its allowed origins');
      return 'drop';
    });
  }

  async function sendAll() {
    clearTimeout(timer); timer = 0;
    while (cfg && consent && queue.length) {
      inflight = take();
      if (!inflight.length) continue;
      var res = await post(inflight);
      var batch = inflight;
      inflight = [];
      if (res === 'retry' && consent) {
        if (++failures < MAX_TRIES) {
          queue = batch.concat(queue);
          persist();
          var delay = Math.min(30000, 1000 * Math.pow(2, failures - 1)) * (0.5 + Math.random() / 2);
          retryAt = Date.now() + delay;
          clearTimeout(timer); timer = 0;
          schedule(delay);
          return false;
        }
        debug('giving up on a batch after ' + MAX_TRIES + ' tries');
      } else if (res === 'drop') debug('batch rejected by the server');
      failures = 0; retryAt = 0;
      persist();
    }
    return true;
  }

  // Send everything queued now; resolves (never rejects) when those requests have settled.
  function flush() {
    chain = chain.then(sendAll).catch(function (e) { debug(e); return false; });
    return chain;
  }

  // Page is being hidden or unloaded: hand what is queued to sendBeacon, which outlives the page.
  function unloadFlush() {
    // While backing off the server is failing: keep events persisted for the next page instead.
    if (!cfg || !consent || !queue.length || Date.now() < retryAt) return;
    if (!navigator.sendBeacon) { flush(); return; }
    while (queue.length) {
      var batch = take();
      if (!batch.length) continue;
      if (!navigator.sendBeacon(url(), new Blob([body(batch)], { type: 'text/plain' }))) {
        queue = batch.concat(queue); // beacon refused: fall back to fetch keepalive
        flush();
        break;
      }
    }
    persist();
  }


  // ---- on-site widgets (docs/widgets.md): this page's placements; orbit-widgets.js (loaded only when there are
  // some) draws them. localStorage orbit_w remembers when each was shown and which forms were sent. ----
  function placements() {
    if (!cfg || !consent || placements.done) return;
    placements.done = 1;
    var s; try { s = JSON.parse(lsGet('orbit_w')); } catch (e) { /* corrupt */ }
    s = obj(s);
    var shown = obj(s.shown), q = new URLSearchParams({
      path: location.pathname, anonymousId: anonymousId() || '', submitted: [].concat(s.sent || []).join(','),
      shown: Object.keys(shown).map(function (k) { return k + ':' + shown[k]; }).join(',')
    });
    fetch(cfg.endpoint + '/v1/placements?' + q, { credentials: 'omit', headers: { Authorization: 'Basic ' + btoa(cfg.siteKey + ':') } })
      .then(function (r) { return r.ok ? r.json() : {}; })
      .then(function (b) {
        if (!(b.items || []).length) return;
        orbit._w = { items: b.items, cfg: cfg, track: commands.track, debug: debug };
        var t = d.createElement('script');
        t.src = cfg.endpoint + '/sdk/orbit-widgets.js';
        d.head.appendChild(t);
      }).catch(debug);
  }

  // ---- recommendation blocks (docs/recommendations.md): orbit-recommend.js, loaded on the first block, draws them.
  // sessionStorage orbit_rc {productId: [block, model, viewed]} holds the blocks clicked this session. ----
  function rc(v) {
    try { if (v) w.sessionStorage.setItem('orbit_rc', JSON.stringify(v)); return obj(JSON.parse(w.sessionStorage.getItem('orbit_rc'))); } catch (e) { return {}; }
  }
  function from(p, id, view) { // what block p (a product's properties) was clicked in
    var r = rc(), a = r[id];
    if (!a || (view && a[2]++)) return;
    p.recommendation_block = a[0]; p.recommendation_model = a[1];
    if (!view) delete r[id];
    rc(r);
  }

  // ---- commands ----
  function obj(x) { return x && typeof x === 'object' ? x : {}; }
  function products(items) {
    return (Array.isArray(items) ? items : []).map(function (i) { return snake(i); });
  }

  var commands = {
    init: function (o) {
      o = obj(o);
      var origin = location.origin;
      try { origin = new URL(d.currentScript.src).origin; } catch (e) { /* not called from the script tag */ }
      cfg = {
        siteKey: String(o.siteKey || ''),
        endpoint: String(o.endpoint || origin).replace(/\/+$/, ''),
        flushInterval: +o.flushInterval > 0 ? +o.flushInterval : 2000,
        maxBatch: +o.maxBatch > 0 ? +o.maxBatch : 20,
        widgets: o.widgets !== false,
        debug: !!o.debug
      };
      if (!consent) return;
      restore();
      anonymousId();
      if (queue.length) schedule(0);
      if (!cfg.widgets) return;
      if (d.readyState === 'complete') placements();
      else w.addEventListener('load', function () { try { placements(); } catch (e) { debug(e); } });
    },
    identify: function (externalId, traits) {
      if (externalId && typeof externalId === 'object') { traits = externalId; externalId = null; }
      if (externalId != null && externalId !== '' && consent) lsSet(K.uid, String(externalId));
      var f = { traits: obj(traits) };
      if (externalId != null && externalId !== '') f.userId = String(externalId);
      enqueue('identify', f);
    },
    track: function (name, properties) {
      if (name) enqueue('track', { event: String(name), properties: obj(properties) });
    },
    page: function (name, properties) {
      if (name && typeof name === 'object') { properties = name; name = null; }
      var f = { properties: Object.assign(pageInfo(), obj(properties)) };
      if (name) f.name = String(name);
      enqueue('page', f);
    },
    alias: function (externalId) {
      if (externalId == null || externalId === '' || !consent) return;
      var previous = lsGet(K.uid) || anonymousId();
      lsSet(K.uid, String(externalId));
      enqueue('alias', { userId: String(externalId), previousId: previous });
    },
    consent: function (granted) {
      consent = !!granted;
      lsSet(K.consent, consent ? '1' : '0');
      if (consent) { if (cfg) commands.init(cfg); return; }
      // Refused: forget the queue and the identifiers; nothing more is sent.
      queue = []; inflight = [];
      clearTimeout(timer); timer = 0;
      [K.q, K.aid, K.uid, K.cart].forEach(lsDel);
      cookieSet(K.aid, '', 0);
      cookieSet(K.sid, '', 0);
    },
    ready: function (fn) { // run fn(orbit) once the SDK has loaded
      if (typeof fn === 'function') fn(orbit);
    },
    reset: function () { // logout: new anonymous visitor, no user id
      lsDel(K.uid); lsDel(K.aid); lsDel(K.cart);
      cookieSet(K.aid, '', 0);
      cookieSet(K.sid, '', 0);
      anonymousId();
    },

    // ---- e-commerce helpers (Segment e-commerce v2 names) ----
    productView: function (p) {
      p = snake(p);
      from(p, p.product_id, 1);
      commands.track('Product Viewed', p);
    },
    categoryView: function (p) {
      commands.track('Product List Viewed', snake(p));
    },
    search: function (p) {
      p = snake(p);
      p.found = !!p.found;
      commands.track('Products Searched', p);
    },
    cart: function (c) {
      c = obj(c);
      if (!consent) return;
      var items = Array.isArray(c.items) ? c.items : [];
      var cartId = String(c.cartId || uuid()); // a new id per cart state, eSputnik-style
      lsSet(K.cart, cartId);
      var p = snake(c);
      delete p.items;
      p.cart_id = cartId;
      p.products = products(items);
      p.currency = c.currency || (items[0] && items[0].currency) || undefined;
      commands.track('Cart Updated', p);
    },
    purchase: function (o) {
      o = obj(o);
      var p = snake(o);
      delete p.items;
      p.cart_id = o.cartId || lsGet(K.cart) || undefined;
      p.products = products(o.items);
      p.products.forEach(function (i) { from(i, i.product_id); });
      commands.track('Order Completed', p);
      lsDel(K.cart);
    },
    wishlist: function (p) {
      commands.track('Product Added to Wishlist', snake(p));
    },
    recommend: function (o) { // draw a recommendation block (orbit-recommend.js loads on the first)
      var r = orbit._r;
      if (!cfg) return debug('recommend before init');
      if (r) return r.run ? r.run(o) : r.q.push(o);
      orbit._r = { q: [o], cfg: cfg, track: commands.track, aid: anonymousId, rc: rc, debug: debug };
      var t = d.createElement('script');
      t.src = cfg.endpoint + '/sdk/orbit-recommend.js';
      d.head.appendChild(t);
    },
    customer: function (c) {
      c = Object.assign({}, obj(c));
      var id = c.externalId;
      delete c.externalId;
      commands.identify(id || null, c);
    }
  };

  function orbit(cmd) {
    try {
      var f = Object.prototype.hasOwnProperty.call(commands, cmd) && commands[cmd];
      if (f) f.apply(null, Array.prototype.slice.call(arguments, 1));
      else debug('unknown command ' + cmd);
    } catch (e) { debug(e); }
  }
  orbit.loaded = true;
  orbit.VERSION = VERSION;
  orbit.flush = function () {
    try { return flush(); } catch (e) { return Promise.resolve(false); }
  };
  orbit.anonymousId = function () {
    try { return anonymousId(); } catch (e) { return null; }
  };

  // Replay calls queued by the loader snippet, in order, then take over window.orbit.
  var pending = (w.orbit && w.orbit.q) || [];
  w.orbit = orbit;
  for (var i = 0; i < pending.length; i++) orbit.apply(null, pending[i]);

  function onHide() {
    try { if (d.visibilityState === 'hidden') unloadFlush(); } catch (e) { debug(e); }
  }
  d.addEventListener('visibilitychange', onHide);
  w.addEventListener('pagehide', function () {
    try { unloadFlush(); } catch (e) { debug(e); }
  });
})(window, document);
