/*! orbit-widgets.js - draws Orbit's on-site widgets (docs/widgets.md). Owned by chalicelib/web (served at
 * GET /sdk/orbit-widgets.js). orbit.js loads it only when a page has placements, and hands it window.orbit._w:
 * { items, cfg, track, debug }. Each widget lives in a shadow root, so no style leaks in or out. */
(function (w, d) {
  'use strict';
  var api = w.orbit && w.orbit._w;
  if (!api) return;
  var cfg = api.cfg, track = api.track, debug = api.debug;
  var CSS = ':host{all:initial}.bg{position:fixed;inset:0;background:#0006;z-index:2147483646}' +
    '.box{position:fixed;z-index:2147483647;left:50%;top:50%;transform:translate(-50%,-50%);width:min(92vw,420px);' +
    'box-sizing:border-box;background:#fff;color:#222;font:15px/1.4 system-ui,sans-serif;padding:24px;border-radius:8px;' +
    'box-shadow:0 4px 24px #0004}.top,.bottom,.banner{transform:translateX(-50%);top:12px}.bottom,.banner{top:auto;bottom:12px}' +
    '.bottomLeft,.bottomRight{transform:none;top:auto;bottom:12px;left:12px}.bottomRight{left:auto;right:12px}' +
    '.x{position:absolute;top:4px;right:8px;border:0;background:none;font-size:24px;cursor:pointer}' +
    'h2{margin:0 0 8px;font-size:19px}label{display:block;margin:8px 0}' +
    'input{display:block;width:100%;box-sizing:border-box;padding:8px;font:inherit}' +
    '.b{display:inline-block;margin-top:10px;padding:8px 16px;background:#222;color:#fff;border:0;border-radius:4px;' +
    'font:inherit;cursor:pointer;text-decoration:none}';

  function obj(x) { return x && typeof x === 'object' ? x : {}; }
  function safe(f) { return function (e) { try { f(e); } catch (x) { debug(x); } }; }

  // localStorage orbit_w: {shown: {id: epoch seconds}, sent: [ids whose form was sent]}; orbit.js reports it.
  function note(id, sent) {
    try {
      var s = obj(JSON.parse(w.localStorage.getItem('orbit_w')));
      s.shown = obj(s.shown);
      s.sent = Array.isArray(s.sent) ? s.sent : [];
      s.shown[id] = Math.floor(Date.now() / 1000);
      if (sent && s.sent.indexOf(id) < 0) s.sent.push(id);
      w.localStorage.setItem('orbit_w', JSON.stringify(s));
    } catch (e) { debug(e); }
  }

  function el(tag, attrs, text) {
    var e = d.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text) e.textContent = text;
    return e;
  }

  // After the delay; with exitIntent, once the pointer then leaves the window.
  function later(p) {
    var go = safe(function () {
      if (go.done) return;
      go.done = 1;
      d.removeEventListener('mouseout', exit);
      show(p);
    });
    function exit(e) { if (!e.relatedTarget && e.clientY <= 0) go(); }
    setTimeout(safe(function () {
      if (p.exitIntent) d.addEventListener('mouseout', exit);
      else go();
    }), (p.delaySeconds || 0) * 1000);
  }

  function show(p) {
    var c = obj(p.content), where = p.kind === 'banner' ? 'banner' : c.position || 'center', modal = where === 'center';
    var props = { widget_id: p.id, widget_kind: p.kind }, back = d.activeElement, title = c.title || p.title;
    var host = el('div', { 'data-orbit-widget': p.id }), root = host.attachShadow({ mode: 'open' });
    var box = el('div', { 'class': 'box ' + where, role: 'dialog', 'aria-label': title || 'Message', tabindex: '-1' });
    root.appendChild(el('style', 0, CSS));
    if (modal) {
      box.setAttribute('aria-modal', 'true');
      root.appendChild(el('div', { 'class': 'bg' }));
    }
    var x = el('button', { 'class': 'x', type: 'button', 'aria-label': 'Close' }, '\u00d7');
    box.appendChild(x);
    if (title) box.appendChild(el('h2', 0, title));
    if (c.body || p.text) box.appendChild(el('p', 0, c.body || p.text));
    if (c.html) { // the template's HTML, rendered for this visitor by the server's sandbox (values escaped)
      var h = el('div');
      h.innerHTML = c.html;
      box.appendChild(h);
    }
    if (p.linkUrl) box.appendChild(el('a', { 'class': 'b', href: p.linkUrl }, p.linkText));
    var f = p.form && form(p, props, box);
    root.appendChild(box);

    function close() {
      host.remove();
      track('Widget Closed', props);
      if (back && back.focus) back.focus();
    }
    x.onclick = safe(close);
    box.addEventListener('keydown', safe(function (e) {
      if (e.key === 'Escape') close();
      if (e.key !== 'Tab' || !modal) return; // keep focus inside a modal
      var all = box.querySelectorAll('button,input,a[href]'), first = all[0], last = all[all.length - 1];
      if (e.shiftKey && root.activeElement === first) { last.focus(); e.preventDefault(); }
      else if (!e.shiftKey && root.activeElement === last) { first.focus(); e.preventDefault(); }
    }));
    box.addEventListener('click', safe(function (e) {
      if (e.target.closest('a')) track('Widget Clicked', props);
    }));
    d.body.appendChild(host);
    note(p.id);
    track('Widget Shown', props);
    if (modal) (f && f.querySelector('input') || x).focus();
  }

  function form(p, props, box) {
    var spec = p.form, f = el('form'), say = el('p', { role: 'status' });
    spec.fields.forEach(function (i) {
      var l = el('label', 0, i.label), type = { email: 'email', phone: 'tel' }[i.name] || 'text';
      var input = el('input', { name: i.name, type: type, autocomplete: type === 'text' ? 'given-name' : type });
      input.required = !!i.required;
      l.appendChild(input);
      f.appendChild(l);
    });
    f.appendChild(el('button', { 'class': 'b', type: 'submit' }, spec.submitText));
    f.onsubmit = safe(function (e) {
      e.preventDefault();
      var body = { writeKey: cfg.siteKey, categories: spec.category ? [spec.category] : [] };
      new FormData(f).forEach(function (v, k) { if (v) body[k] = v; });
      fetch(cfg.endpoint + '/v1/subscribe', {
        method: 'POST', body: JSON.stringify(body), credentials: 'omit', headers: { 'Content-Type': 'text/plain' }
      }).then(function (r) {
        if (r.ok) {
          f.remove();
          box.focus(); // the focused input is gone: keep focus (and Esc) in the dialog
          say.textContent = spec.successText;
          note(p.id, 1);
          track('Widget Submitted', props);
          return;
        }
        return r.json().then(function (j) { // a 400 names each bad field
          var bad = j.error.details.map(function (i) { return i.path + ': ' + i.message; }).join('; ');
          say.textContent = bad || j.error.message;
        });
      }).catch(function (x) { say.textContent = 'Something went wrong, please try again.'; debug(x); });
    });
    box.appendChild(f);
    box.appendChild(say);
    return f;
  }

  api.items.forEach(safe(later));
  api.scheduled = true; // every widget waits for its delay now (tests wait for this)
})(window, document);
