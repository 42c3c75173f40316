// Reward tier rows on the campaign form: the filled rows (or one empty row) are shown; "+ Add a
// reward tier" shows the next hidden one, "Remove this tier" clears a new row and hides it (a saved
// tier has a "remove" box instead, sent with the form). Without JavaScript every row stays visible.
(function () {
  "use strict";
  var box = document.querySelector("[data-reward-rows]");
  var add = document.querySelector("[data-reward-add]");
  if (!box || !add) { return; }
  var rows = Array.prototype.slice.call(box.querySelectorAll("[data-reward-row]"));
  function filled(row) {
    if (row.querySelector("input[name$='-tier_id']") && row.querySelector("input[name$='-tier_id']").value) { return true; }
    if (row.querySelector(".has-error, .error")) { return true; }
    return Array.prototype.some.call(row.querySelectorAll("input[type=text], input[type=date], textarea"), function (input) {
      return input.value.trim() !== "";
    });
  }
  function refresh() {
    add.hidden = !rows.some(function (row) { return row.hidden; });
  }
  var last = -1;
  rows.forEach(function (row, i) { if (filled(row)) { last = i; } });
  rows.forEach(function (row, i) {
    row.hidden = i > Math.max(last, 0) && !filled(row);
    var remove = row.querySelector("[data-reward-remove]");
    if (!remove) { return; }
    remove.hidden = false;
    remove.addEventListener("click", function () {
      row.querySelectorAll("input[type=text], input[type=date], textarea").forEach(function (input) { input.value = ""; });
      row.querySelectorAll("select").forEach(function (select) { select.selectedIndex = 0; });
      row.querySelectorAll(".tier-row").forEach(function (step, n) { step.hidden = n > 0; });
      if (rows.filter(function (r) { return !r.hidden; }).length > 1) { row.hidden = true; }
      refresh();
    });
  });
  add.hidden = false;
  add.addEventListener("click", function () {
    var next = rows.filter(function (r) { return r.hidden; })[0];
    if (next) { next.hidden = false; next.querySelector("input[type=text]").focus(); }
    refresh();
  });
  refresh();
})();
