/* shop.js - the Orbit demo shop's one script (owned by chalicelib/web/demo).
 * Hard-coded catalog, a localStorage cart, and page rendering. Tracking goes ONLY through the
 * orbit() command queue set up by the loader snippet in each page; nothing here talks to Orbit directly. */
(function () {
  'use strict';

  var CURRENCY = 'USD';
  var CATEGORIES = { shoes: 'Shoes', bags: 'Bags', hats: 'Hats' };
  var CATALOG = [
    { id: 'sku-1001', name: 'Trail Runner Sneakers', price: 89.0, category: 'shoes', inStock: true, color: '#e4572e' },
    { id: 'sku-1002', name: 'Leather Chelsea Boots', price: 149.0, category: 'shoes', inStock: true, color: '#8a5a44' },
    { id: 'sku-1003', name: 'Canvas Slip-ons', price: 49.5, category: 'shoes', inStock: false, color: '#76b041' },
    { id: 'sku-1004', name: 'Everyday Tote', price: 65.0, category: 'bags', inStock: true, color: '#2e86ab' },
    { id: 'sku-1005', name: 'Roll-top Backpack', price: 119.0, category: 'bags', inStock: true, color: '#3d405b' },
    { id: 'sku-1006', name: 'Crossbody Pouch', price: 39.0, category: 'bags', inStock: true, color: '#f2a541' },
    { id: 'sku-1007', name: 'Wool Beanie', price: 24.0, category: 'hats', inStock: true, color: '#a23b72' },
    { id: 'sku-1008', name: 'Straw Sun Hat', price: 35.0, category: 'hats', inStock: true, color: '#c9a227' }
  ];
  var CART_KEY = 'shop_cart', USER_KEY = 'shop_user', CONSENT_KEY = 'shop_consent';

  // ---- helpers ----
  function orbit() { if (window.orbit) window.orbit.apply(null, arguments); }
  function $(sel) { return document.querySelector(sel); }
  function param(name) { return new URLSearchParams(location.search).get(name); }
  function product(id) { return CATALOG.filter(function (p) { return p.id === id; })[0] || null; }
  function money(n) { return '$' + n.toFixed(2); }
  function esc(s) {
    return String(s).replace(/[&<>"']/g, function (c) {
      return { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c];
    });
  }
  function lsGet(k, fallback) {
    try { var v = JSON.parse(localStorage.getItem(k)); return v == null ? fallback : v; } catch (e) { return fallback; }
  }
  function lsSet(k, v) { try { localStorage.setItem(k, JSON.stringify(v)); } catch (e) { /* storage off */ } }

  function thumb(p) {
    return '<div class="thumb" style="background:' + p.color + '" aria-hidden="true">' + esc(p.name[0]) + '</div>';
  }
  function card(p) {
    return '<li class="card">' + thumb(p) +
      '<a class="product-link" data-id="' + p.id + '" href="product.html?id=' + p.id + '">' + esc(p.name) + '</a>' +
      '<span class="price">' + money(p.price) + '</span>' + (p.inStock ? '' : '<span class="oos">Out of stock</span>') +
      '</li>';
  }
  function grid(list) { return '<ul class="grid" id="product-list">' + list.map(card).join('') + '</ul>'; }

  // ---- cart: [{id, quantity}] in localStorage; every change sends the FULL cart ----
  function cart() { return lsGet(CART_KEY, []); }
  function cartItems(c) {
    return (c || cart()).map(function (line) {
      var p = product(line.id);
      return { productId: line.id, name: p.name, quantity: line.quantity, price: p.price, currency: CURRENCY };
    });
  }
  function cartTotal(c) {
    return cartItems(c).reduce(function (sum, i) { return sum + i.price * i.quantity; }, 0);
  }
  function setCart(c) {
    c = c.filter(function (line) { return line.quantity > 0 && product(line.id); });
    lsSet(CART_KEY, c);
    renderCount();
    orbit('cart', { items: cartItems(c), currency: CURRENCY });
  }
  function changeQty(id, delta) {
    var c = cart(), line = c.filter(function (l) { return l.id === id; })[0];
    if (line) line.quantity += delta;
    else if (delta > 0) c.push({ id: id, quantity: delta });
    setCart(c);
  }
  function renderCount() {
    var n = cart().reduce(function (sum, l) { return sum + l.quantity; }, 0);
    var el = $('#cart-count');
    if (el) el.textContent = String(n);
  }

  // ---- chrome shared by every page ----
  function renderHeader() {
    var user = lsGet(USER_KEY, null);
    $('#site-header').innerHTML =
      '<a id="nav-home" class="brand" href="index.html">Orbit Demo Shop</a><nav>' +
      Object.keys(CATEGORIES).map(function (c) {
        return '<a class="nav-category" id="nav-' + c + '" href="category.html?c=' + c + '">' + CATEGORIES[c] + '</a>';
      }).join('') +
      '<a id="nav-cart" href="cart.html">Cart (<span id="cart-count">0</span>)</a>' +
      '<a id="nav-login" href="login.html">' + (user ? esc(user.id) : 'Log in') + '</a></nav>';
    renderCount();
  }

  function renderConsent() {
    var banner = $('#consent-banner');
    banner.innerHTML = '<p>We use first-party analytics (Orbit) to improve this shop.</p>' +
      '<button id="consent-accept" type="button">Accept</button> ' +
      '<button id="consent-refuse" type="button">Refuse</button>';
    banner.hidden = lsGet(CONSENT_KEY, null) !== null;
    function choose(granted) {
      orbit('consent', granted);
      lsSet(CONSENT_KEY, granted);
      banner.hidden = true;
    }
    $('#consent-accept').onclick = function () { choose(true); };
    $('#consent-refuse').onclick = function () { choose(false); };
    $('#privacy-settings').onclick = function (e) { e.preventDefault(); banner.hidden = false; };
  }

  // ---- pages ----
  var pages = {
    home: function (main) {
      main.innerHTML = '<h1>New arrivals</h1>' +
        '<form id="search-form"><input id="search-input" type="search" placeholder="Search products">' +
        '<button id="search-submit" type="submit">Search</button></form>' +
        '<div id="search-results"></div>' + grid(CATALOG);
      orbit('page');
      $('#search-form').onsubmit = function (e) {
        e.preventDefault();
        var q = $('#search-input').value.trim();
        if (!q) return;
        var hits = CATALOG.filter(function (p) { return p.name.toLowerCase().indexOf(q.toLowerCase()) >= 0; });
        $('#search-results').innerHTML = '<h2>' + hits.length + ' result(s) for "' + esc(q) + '"</h2>' + grid(hits);
        orbit('search', { query: q, found: hits.length > 0 });
      };
    },

    category: function (main) {
      var c = param('c');
      if (!CATEGORIES.hasOwnProperty(c)) {
        document.title = 'Not found - Orbit Demo Shop';
        main.innerHTML = '<h1 id="not-found">Category not found</h1>';
        orbit('page');
        orbit('track', 'NotFound', { path: location.pathname + location.search }); // eSputnik name, forwarded as-is
        return;
      }
      document.title = CATEGORIES[c] + ' - Orbit Demo Shop';
      main.innerHTML = '<h1 id="category-name">' + CATEGORIES[c] + '</h1>' +
        grid(CATALOG.filter(function (p) { return p.category === c; }));
      orbit('page');
      orbit('categoryView', { category: c });
    },

    product: function (main) {
      var p = product(param('id'));
      if (!p) {
        document.title = 'Not found - Orbit Demo Shop';
        main.innerHTML = '<h1 id="not-found">Product not found</h1>';
        orbit('page');
        orbit('track', 'NotFound', { path: location.pathname + location.search });
        return;
      }
      document.title = p.name + ' - Orbit Demo Shop';
      main.innerHTML = '<article class="product" data-id="' + p.id + '">' + thumb(p) +
        '<div><h1 id="product-name">' + esc(p.name) + '</h1>' +
        '<p><a href="category.html?c=' + p.category + '">' + CATEGORIES[p.category] + '</a></p>' +
        '<p id="product-price" class="price">' + money(p.price) + '</p>' +
        '<p id="product-stock">' + (p.inStock ? 'In stock' : 'Out of stock') + '</p>' +
        '<button id="add-to-cart" type="button"' + (p.inStock ? '' : ' disabled') + '>Add to cart</button> ' +
        '<button id="add-to-wishlist" type="button">Add to wishlist</button>' +
        '<p id="product-status" role="status"></p></div></article>' +
        '<section id="also-like" class="recommendations"></section>';
      orbit('page');
      orbit('productView', {
        productId: p.id, name: p.name, price: p.price, currency: CURRENCY, category: p.category, inStock: p.inStock
      });
      // "You may also like": empty until the recommendation lists are built (docs/recommendations.md)
      orbit('recommend', {
        model: 'similar', productId: p.id, limit: 4, selector: '#also-like', block: 'product-also-like',
        title: 'You may also like'
      });
      $('#add-to-cart').onclick = function () {
        changeQty(p.id, 1);
        $('#product-status').textContent = 'Added to cart';
      };
      $('#add-to-wishlist').onclick = function () {
        orbit('wishlist', { productId: p.id, name: p.name, price: p.price, currency: CURRENCY, inStock: p.inStock });
        $('#product-status').textContent = 'Added to wishlist';
      };
    },

    cart: function (main) {
      function render() {
        var items = cartItems();
        main.innerHTML = '<h1>Your cart</h1>' + (items.length
          ? '<table id="cart-table"><tbody>' + items.map(function (i) {
            return '<tr class="cart-row" data-id="' + i.productId + '"><td>' + esc(i.name) + '</td>' +
              '<td><button class="qty-dec" data-id="' + i.productId + '" type="button">-</button> ' +
              '<span class="qty">' + i.quantity + '</span> ' +
              '<button class="qty-inc" data-id="' + i.productId + '" type="button">+</button></td>' +
              '<td>' + money(i.price * i.quantity) + '</td>' +
              '<td><button class="remove-item" data-id="' + i.productId + '" type="button">Remove</button></td></tr>';
          }).join('') + '</tbody></table>' +
            '<p>Total: <strong id="cart-total">' + money(cartTotal()) + '</strong></p>' +
            '<a id="checkout-link" class="button" href="checkout.html">Checkout</a>'
          : '<p id="cart-empty">Your cart is empty.</p>');
      }
      main.onclick = function (e) {
        var id = e.target.getAttribute('data-id');
        if (!id) return;
        if (e.target.classList.contains('qty-inc')) changeQty(id, 1);
        else if (e.target.classList.contains('qty-dec')) changeQty(id, -1);
        else if (e.target.classList.contains('remove-item')) {
          setCart(cart().filter(function (l) { return l.id !== id; }));
        } else return;
        render();
      };
      render();
      orbit('page');
    },

    login: function (main) {
      var user = lsGet(USER_KEY, null);
      main.innerHTML = '<h1>Log in</h1><form id="login-form">' +
        '<label>Customer id <input id="login-id" name="id" required></label>' +
        '<label>Email <input id="login-email" name="email" type="email"></label>' +
        '<button id="login-submit" type="submit">Log in</button></form>' +
        '<p id="login-status" role="status">' + (user ? 'Signed in as ' + esc(user.id) : '') + '</p>' +
        '<button id="logout" type="button"' + (user ? '' : ' hidden') + '>Log out</button>';
      orbit('page');
      $('#login-form').onsubmit = function (e) {
        e.preventDefault();
        var id = $('#login-id').value.trim(), email = $('#login-email').value.trim();
        if (!id) return;
        lsSet(USER_KEY, { id: id, email: email });
        orbit('customer', email ? { externalId: id, email: email } : { externalId: id });
        $('#login-status').textContent = 'Signed in as ' + id;
        $('#logout').hidden = false;
        renderHeader();
      };
      $('#logout').onclick = function () {
        try { localStorage.removeItem(USER_KEY); } catch (e) { /* storage off */ }
        orbit('reset');
        $('#login-status').textContent = 'Signed out';
        $('#logout').hidden = true;
        renderHeader();
      };
    },

    checkout: function (main) {
      var items = cartItems(), total = cartTotal();
      main.innerHTML = '<h1>Checkout</h1>' + (items.length
        ? '<ul id="checkout-items">' + items.map(function (i) {
          return '<li>' + i.quantity + ' x ' + esc(i.name) + ' - ' + money(i.price * i.quantity) + '</li>';
        }).join('') + '</ul><p>Total: <strong id="checkout-total">' + money(total) + '</strong></p>'
        : '<p id="cart-empty">Your cart is empty.</p>') +
        '<button id="place-order" type="button"' + (items.length ? '' : ' disabled') + '>Place order</button>';
      orbit('page');
      $('#place-order').onclick = function () {
        var orderId = 'ord-' + Math.random().toString(36).slice(2, 10);
        orbit('purchase', { orderId: orderId, items: items, total: Math.round(total * 100) / 100, currency: CURRENCY });
        setCart([]); // the cart is now empty: send the (empty) full cart
        // Queued events survive the navigation: orbit.js persists them and beacons them on pagehide.
        location.href = 'confirmation.html?order=' + encodeURIComponent(orderId);
      };
    },

    confirmation: function (main) {
      main.innerHTML = '<h1>Thank you!</h1><p>Your order <strong id="order-id"></strong> is confirmed.</p>' +
        '<p><a href="index.html">Continue shopping</a></p>';
      $('#order-id').textContent = param('order') || '';
      orbit('page');
    }
  };

  renderHeader();
  renderConsent();
  var page = pages[document.body.getAttribute('data-page')];
  if (page) page($('#main'));
})();
