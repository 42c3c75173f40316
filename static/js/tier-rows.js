// Price tiers on the round form: show the tiers filled in (or one empty row); "+ Tier" shows the
// next, "×" clears and hides one. Without JavaScript every tier row simply stays visible.
(function () {
  "use strict";
  function filled(row) {
    return Array.prototype.some.call(row.querySelectorAll("input"), function (input) { return input.value.trim() !== ""; });
  }
  function refresh(cell) {
    var rows = cell.querySelectorAll("[data-tier-row]");
    var add = cell.querySelector("[data-tier-add]");
    var hidden = 0;
    rows.forEach(function (row) { if (row.hidden) hidden += 1; });
    add.hidden = hidden === 0;
  }
  document.querySelectorAll("[data-tiers]").forEach(function (cell) {
    var rows = Array.prototype.slice.call(cell.querySelectorAll("[data-tier-row]"));
    var last = -1;
    rows.forEach(function (row, i) { if (filled(row)) last = i; });
    var shown = Math.max(last + 1, 1);  // the filled rows, or one empty row
    rows.forEach(function (row, i) {
      row.hidden = i >= shown;
      var remove = row.querySelector("[data-tier-remove]");
      remove.hidden = false;
      remove.addEventListener("click", function () {
        row.querySelectorAll("input").forEach(function (input) { input.value = ""; });
        if (rows.filter(function (r) { return !r.hidden; }).length > 1) row.hidden = true;
        refresh(cell);
      });
    });
    var add = cell.querySelector("[data-tier-add]");
    add.addEventListener("click", function () {
      var next = rows.filter(function (r) { return r.hidden; })[0];
      if (next) { next.hidden = false; next.querySelector("input").focus(); }
      refresh(cell);
    });
    refresh(cell);
  });
})();
