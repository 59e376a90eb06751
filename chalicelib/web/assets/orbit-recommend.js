/*! orbit-recommend.js - draws Orbit's recommendation blocks (docs/recommendations.md). Owned by chalicelib/web
 * (served at GET /sdk/orbit-recommend.js). orbit.js loads it on a page's first orbit('recommend', ...) and hands it
 * window.orbit._r: { q, cfg, track, aid, rc, debug }. Cards are plain elements with orbit-rec-* classes: the
 * styles below match only those, and a page may override them. */
(function (w, d) {
  'use strict';
  var api = w.orbit && w.orbit._r;
  if (!api || api.run) return;
  var cfg = api.cfg, track = api.track, debug = api.debug;
  var OPTIONS = ['model', 'productId', 'category', 'limit', 'inStock', 'excludePurchased', 'includeCategories',
    'excludeCategories', 'attributes'];
  var CSS = '.orbit-rec{display:grid;grid-template-columns:repeat(auto-fill,minmax(150px,1fr));gap:16px;' +
    'list-style:none;margin:0;padding:0}.orbit-rec-card a{display:block;color:inherit;text-decoration:none}' +
    '.orbit-rec-img{display:block;width:100%;aspect-ratio:1;object-fit:cover;background:#eee;border-radius:4px}' +
    '.orbit-rec-name{display:block;margin:6px 0 2px}.orbit-rec-price{font-weight:bold}' +
    '.orbit-rec-old{margin-left:6px;color:#888;text-decoration:line-through;font-weight:normal}';

  function safe(f) { return function (e) { try { f(e); } catch (x) { debug(x); } }; }

  function el(tag, cls, text) {
    var e = d.createElement(tag);
    if (cls) e.className = cls;
    if (text) e.textContent = text;
    return e;
  }

  function money(amount, currency) {
    try {
      if (currency) return new Intl.NumberFormat(d.documentElement.lang || undefined, { style: 'currency', currency: currency }).format(+amount);
    } catch (e) { /* unknown currency: show the number */ }
    return String(amount);
  }

  function styles() {
    if (d.getElementById('orbit-rec-css')) return;
    var s = el('style', '', CSS);
    s.id = 'orbit-rec-css';
    d.head.appendChild(s);
  }

  // The block's query: the options named like the API's parameters; cart is a list of ids.
  function query(o) {
    var q = new URLSearchParams({ anonymousId: api.aid() || '' });
    OPTIONS.forEach(function (k) { if (o[k] != null) q.set(k, [].concat(o[k]).join(',')); });
    if (o.cart) q.set('cart', [].concat(o.cart).join(','));
    return q;
  }

  // A card was clicked: track it and remember the block for the product's next view and its order (orbit.js).
  function clicked(o, item, position) {
    track('Recommendation Clicked', { block: o.block, model: o.model, product_id: item.id, position: position });
    var r = api.rc();
    r[item.id] = [o.block, o.model, 0];
    api.rc(r);
  }

  function card(o, item, i) {
    var li = el('li', 'orbit-rec-card'), a = el('a');
    li.setAttribute('data-product-id', item.id);
    if (item.url) a.href = item.url;
    a.setAttribute('data-orbit-block', o.block);
    var img = el('img', 'orbit-rec-img');
    img.alt = '';
    img.loading = 'lazy';
    if (item.image) img.src = item.image;
    var price = el('span', 'orbit-rec-price', money(item.price, item.currency));
    if (item.oldPrice) price.appendChild(el('s', 'orbit-rec-old', money(item.oldPrice, item.currency)));
    a.appendChild(img);
    a.appendChild(el('span', 'orbit-rec-name', item.name));
    a.appendChild(price);
    a.addEventListener('click', safe(function () { clicked(o, item, i + 1); }));
    li.appendChild(a);
    return li;
  }

  function draw(o, target, items) {
    if (typeof o.render === 'function') {
      o.render(items, function (item) { try { clicked(o, item, items.indexOf(item) + 1); } catch (e) { debug(e); } });
    } else {
      styles();
      target.textContent = '';
      if (items.length && o.title) target.appendChild(el('h2', 'orbit-rec-title', o.title));
      var list = el('ul', 'orbit-rec');
      items.forEach(function (item, i) { list.appendChild(card(o, item, i)); });
      if (items.length) target.appendChild(list);
    }
    if (items.length) {
      track('Recommendation Shown', { block: o.block, model: o.model, product_ids: items.map(function (i) { return i.id; }) });
    }
  }

  function run(o) {
    o = o && typeof o === 'object' ? o : {};
    var target = o.element || (o.selector && d.querySelector(o.selector));
    if (!o.block || !o.model) return debug('recommend needs block and model');
    if (!target && typeof o.render !== 'function') return debug('recommend: no element ' + o.selector);
    fetch(cfg.endpoint + '/v1/track/recommendations?' + query(o), {
      credentials: 'omit', headers: { Authorization: 'Basic ' + btoa(cfg.siteKey + ':') }
    }).then(function (r) {
      if (!r.ok) throw new Error('recommendations answered ' + r.status);
      return r.json();
    }).then(safe(function (b) { draw(o, target, Array.isArray(b.items) ? b.items : []); })).catch(debug);
  }

  api.run = safe(run);
  api.q.splice(0).forEach(api.run);
})(window, document);
