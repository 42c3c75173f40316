/* The round page's coupon: "Apply" (or a tap on one of my coupons) asks the member quote API what
   the code takes off the quantities on the page and shows it, or why not, without leaving the page;
   the order button's total then shows the price with the coupon. Changing a quantity asks again.
   Without JavaScript the same buttons post the form, and the page answers with the same line. */
(function () {
  "use strict";
  var box = document.querySelector("[data-coupon-box]");
  if (!box || !window.fetch) return;
  var form = box.closest("form");
  var input = box.querySelector("[data-coupon-input]");
  var result = box.querySelector("[data-coupon-result]");
  var texts = document.getElementById("coupon-texts");
  var t = texts ? texts.dataset : {};
  var totalEl = form.querySelector("[data-total]");
  var applied = null;  // {sig, totalText}: the last quote that applied, for the basket it priced
  var timer = null, asked = 0;

  function cents(value) { return Math.round(parseFloat(value || "0") * 100) || 0; }
  function format(amount) {
    var currency = form.dataset.currency;
    var symbols = { CNY: "¥", HKD: "HK$", TWD: "NT$", USD: "US$", EUR: "€", SGD: "S$" };
    var text = (Math.abs(amount) / 100).toFixed(2).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
    var sign = amount < 0 ? "-" : "";
    return symbols[currency] ? sign + symbols[currency] + text : sign + text + " " + currency;
  }
  function lines() {
    var chosen = [];
    form.querySelectorAll(".item[data-item]").forEach(function (row) {
      var qty = row.querySelector(".qty input");
      if (qty && /^[0-9]{1,6}$/.test(qty.value) && parseInt(qty.value, 10) > 0) {
        chosen.push({ item: parseInt(row.dataset.item, 10), quantity: parseInt(qty.value, 10) });
      }
    });
    return chosen;
  }
  function fulfilment() {
    var delivery = form.querySelector("input[name=fulfilment][value=delivery]");
    return delivery && delivery.checked ? "delivery" : "pickup";
  }
  function signature() {
    return JSON.stringify([lines(), fulfilment(), (input.value || "").trim().toUpperCase()]);
  }
  function csrf() {
    var token = form.querySelector("input[name=csrfmiddlewaretoken]");
    return token ? token.value : "";
  }

  function showError(message) {
    var error = box.querySelector("#coupon_error");
    if (!message) {
      if (error) error.remove();
      input.removeAttribute("aria-invalid");
      input.removeAttribute("aria-describedby");
      box.querySelector(".coupon-entry").classList.remove("has-error");
      return;
    }
    if (!error) {
      error = document.createElement("p");
      error.className = "error";
      error.id = "coupon_error";
      error.dataset.field = "coupon";
      result.after(error);
    }
    error.textContent = message;
    input.setAttribute("aria-invalid", "true");
    input.setAttribute("aria-describedby", "coupon_error");
    box.querySelector(".coupon-entry").classList.add("has-error");
  }
  function showQuote(data) {
    result.textContent = "";
    var off = document.createElement("b");
    off.className = "off";
    off.textContent = "−" + format(cents(data.discount));
    var why = document.createElement("span");
    why.className = "why";
    why.textContent = "(" + data.coupon.code + ": " + data.coupon.description + ")";
    var total = document.createElement("small");
    total.className = "muted";
    total.textContent = (t.off || "#").replace("#", format(cents(data.total)));
    result.append(off, " ", why, document.createElement("br"), total);
    result.dataset.discount = data.discount;
    result.dataset.code = data.coupon.code;
  }
  function clearQuote() {
    result.textContent = "";
    delete result.dataset.discount;
    applied = null;
  }
  function pressChips() {
    var code = (input.value || "").trim().toUpperCase();
    box.querySelectorAll("[data-coupon-chip]").forEach(function (chip) {
      chip.setAttribute("aria-pressed", chip.dataset.couponChip === code ? "true" : "false");
    });
  }
  function showTotal() {
    // round.js writes the plain total on every change; with a coupon priced for this very
    // basket, the button shows the price with it instead.
    if (totalEl && applied && applied.sig === signature() && totalEl.textContent !== applied.totalText) {
      totalEl.textContent = applied.totalText;
    }
  }

  function quote() {
    var code = (input.value || "").trim();
    pressChips();
    if (!code) { clearQuote(); showError(""); return; }
    var chosen = lines();
    if (!chosen.length) { clearQuote(); showError(t.choose); return; }
    var sig = signature(), mine = ++asked;
    fetch(box.dataset.quoteUrl, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrf() },
      body: JSON.stringify({ group_buy: parseInt(box.dataset.groupBuy, 10), lines: chosen, coupon_code: code,
                             fulfilment: fulfilment() })
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        return { ok: response.ok, status: response.status, data: data };
      });
    }).then(function (answer) {
      if (mine !== asked) return;  // a later question is on its way
      if (answer.ok) {
        showError("");
        showQuote(answer.data);
        applied = { sig: sig, totalText: format(cents(answer.data.total)) };
        showTotal();
        return;
      }
      clearQuote();
      var fields = answer.data.fields || {};
      var message = (fields.coupon || fields.coupon_code || fields.lines || [])[0] || answer.data.message;
      showError(answer.status < 500 && message ? message : t.failed);
      if (totalEl && form.dispatchEvent) form.dispatchEvent(new Event("input"));  // round.js: the plain total again
    }).catch(function () {
      if (mine !== asked) return;
      clearQuote();
      showError(t.failed);
    });
  }
  function later() {
    clearTimeout(timer);
    timer = setTimeout(quote, 450);
  }

  box.addEventListener("click", function (event) {
    var chip = event.target.closest("[data-coupon-chip]");
    if (chip) {
      event.preventDefault();
      input.value = chip.dataset.couponChip;
      quote();
      return;
    }
    if (event.target.closest("[data-apply-coupon]")) {
      event.preventDefault();
      quote();
    }
  });
  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter") { event.preventDefault(); quote(); }
  });
  input.addEventListener("input", function () {
    if (applied || result.dataset.discount) { clearQuote(); form.dispatchEvent(new Event("input")); }
    pressChips();
  });
  function basketChanged(event) {
    if (event && event.target === input) return;
    if ((input.value || "").trim() && (applied || result.dataset.discount || box.querySelector("#coupon_error"))) later();
  }
  form.addEventListener("change", basketChanged);
  form.addEventListener("click", function (event) { if (event.target.closest(".step")) basketChanged(event); });
  form.addEventListener("input", function (event) { if (event.target.matches(".qty input")) basketChanged(event); });
  if (totalEl && window.MutationObserver) {
    new MutationObserver(showTotal).observe(totalEl, { childList: true, characterData: true, subtree: true });
  }
  // A page that arrives with a code (a coupon link, the answer to "Apply" without JavaScript, a
  // refused order) and quantities: priced at once, so the button's total is right.
  if ((input.value || "").trim() && lines().length && !box.querySelector("#coupon_error")) quote();
})();
