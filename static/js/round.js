/* The round page: quantity steppers, the live total on the order button, the photo gallery's
   dots, team countdowns, and progress that refreshes itself. No library; the form works without it. */
(function () {
  "use strict";
  var form = document.querySelector(".order-form");
  var texts = document.getElementById("round-texts");
  var t = texts ? texts.dataset : {};

  function cents(value) { return Math.round(parseFloat(value || "0") * 100) || 0; }
  function format(amount, currency) {
    var symbols = { CNY: "¥", HKD: "HK$", TWD: "NT$", USD: "US$", EUR: "€", SGD: "S$" };
    var text = (Math.abs(amount) / 100).toFixed(2).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
    var sign = amount < 0 ? "-" : "";
    return symbols[currency] ? sign + symbols[currency] + text : sign + text + " " + currency;
  }
  function clamp(input) {
    var max = parseInt(input.dataset.max || input.max, 10);
    var value = /^[0-9]+$/.test(input.value) ? parseInt(input.value, 10) : 0;
    if (!isNaN(max)) value = Math.min(value, max);
    return Math.max(0, value);
  }

  function refresh() {
    if (!form) return;
    var count = 0, total = 0;
    form.querySelectorAll(".item[data-item]").forEach(function (row) {
      var input = row.querySelector(".qty input");
      if (!input) return;
      var value = /^[0-9]+$/.test(input.value) ? parseInt(input.value, 10) : 0;
      var max = parseInt(input.dataset.max, 10);
      var minus = row.querySelector('.step[data-step="-1"]'), plus = row.querySelector('.step[data-step="1"]');
      if (minus) minus.disabled = value <= 0;
      if (plus) plus.disabled = !isNaN(max) && value >= max;
      count += value;
      total += value * cents(row.dataset.price);
    });
    var delivery = form.querySelector('input[name=fulfilment][value=delivery]');
    if (count && delivery && delivery.checked) total += cents(form.dataset.fee);
    var countEl = form.querySelector("[data-count]"), totalEl = form.querySelector("[data-total]");
    if (countEl) countEl.textContent = !count ? t.none : count === 1 ? t.one : (t.many || "").replace("#", count);
    if (totalEl) totalEl.textContent = count ? format(total, form.dataset.currency) : "";
    var button = form.querySelector(".buy-button");
    if (button) button.classList.toggle("empty", !count);
  }

  if (form) {
    form.addEventListener("click", function (event) {
      var button = event.target.closest(".step");
      if (!button) return;
      var input = button.parentNode.querySelector("input");
      var next = clamp(input) + parseInt(button.dataset.step, 10);
      var max = parseInt(input.dataset.max, 10);
      input.value = Math.max(0, isNaN(max) ? next : Math.min(next, max));
      refresh();
    });
    form.addEventListener("input", refresh);
    form.addEventListener("change", function (event) {
      if (event.target.matches(".qty input") && event.target.value !== "" && /^[0-9]+$/.test(event.target.value)) {
        event.target.value = clamp(event.target);  // typed past the limit: brought back to it
      }
      refresh();
    });
    refresh();
    var error = form.querySelector(".error, .form-errors");
    if (error && error.scrollIntoView) error.scrollIntoView({ block: "center" });
  }

  /* Gallery: one dot per photo, the one in view lit. */
  document.querySelectorAll(".gallery").forEach(function (gallery) {
    var track = gallery.querySelector(".gallery-track"), dots = gallery.querySelectorAll(".gallery-count i");
    if (!track || dots.length < 2) return;
    track.addEventListener("scroll", function () {
      var index = Math.round(track.scrollLeft / Math.max(1, track.clientWidth));
      dots.forEach(function (dot, i) { dot.className = i === index ? "on" : ""; });
    }, { passive: true });
  });

  /* Team countdowns: hh:mm:ss until the team's window ends. */
  var clocks = document.querySelectorAll("time[data-countdown]");
  function tick() {
    var now = Date.now();
    clocks.forEach(function (clock) {
      var left = Math.max(0, Math.floor((Date.parse(clock.getAttribute("datetime")) - now) / 1000));
      var h = Math.floor(left / 3600), m = Math.floor(left % 3600 / 60), s = left % 60;
      clock.textContent = h + ":" + (m < 10 ? "0" : "") + m + ":" + (s < 10 ? "0" : "") + s;
    });
  }
  if (clocks.length) { tick(); setInterval(tick, 1000); }

  /* Progress: a light poll of a small cached JSON answer while the page is in view. */
  var card = document.querySelector(".progress-card");
  var live = form && form.dataset.live;
  var closed = !live;
  function apply(data) {
    if (card) {
      var bar = card.querySelector(".progress"), fill = bar && bar.querySelector("span");
      var percent = Math.round((data.ratio || 0) * 100);
      if (fill) fill.style.width = percent + "%";
      if (bar) { bar.setAttribute("aria-valuenow", percent); bar.classList.toggle("reached", !!data.reached); }
      var line = card.querySelector("[data-shortfall]");
      if (line && data.text) { line.textContent = data.text; line.classList.toggle("ok", !!data.reached); }
    }
    Object.keys(data.remaining || {}).forEach(function (id) {
      var row = document.querySelector('.item[data-item="' + id + '"]');
      if (!row) return;
      var left = data.remaining[id], label = row.querySelector("[data-left]"), input = row.querySelector(".qty input");
      if (label) label.textContent = left > 0 ? (t.left || "").replace("#", left) : t.soldout;
      if (input) {
        var cap = Math.min(parseInt(input.max, 10), left);
        input.dataset.max = cap;
        if (clamp(input) < (parseInt(input.value, 10) || 0)) input.value = cap;
      }
    });
    refresh();
    if (!data.open) closed = true;
  }
  function poll() {
    if (closed || !live || document.hidden) return;
    fetch(live, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { if (!r.ok) { closed = true; throw r; } return r.json(); })
      .then(apply)
      .catch(function () {});
  }
  if (live && !closed) {
    setInterval(poll, 20000);
    document.addEventListener("visibilitychange", function () { if (!document.hidden) poll(); });
  }
})();
