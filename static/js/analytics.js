/* The analytics dashboard: draws each section's chart with window.echarts (SVG) from the JSON the
   page embeds (#analytics-data), and shows the month or the custom dates of the period picker only
   when they are chosen. The tables under the charts carry the same figures without JavaScript. */
(function () {
  "use strict";

  function pickerFields() {
    var form = document.querySelector("[data-period-form]");
    if (!form) return;
    var select = form.querySelector("select[name=period]");
    function sync() {
      form.querySelectorAll("[data-when]").forEach(function (label) {
        label.hidden = label.getAttribute("data-when") !== select.value;
      });
    }
    select.addEventListener("change", sync);
    sync();
  }

  function draw() {
    var source = document.getElementById("analytics-data");
    if (!source || !window.echarts) return;
    var data = JSON.parse(source.textContent);
    var locale = data.locale === "zh-hans" ? "zh-CN" : (data.locale || "en");
    var money = new Intl.NumberFormat(locale, {style: "currency", currency: data.currency || "CNY", currencyDisplay: "narrowSymbol"});
    var count = new Intl.NumberFormat(locale);
    var brand = "#e8553e", second = "#3b82f6", text = data.text;
    var charts = [];

    function num(values) { return values.map(function (v) { return parseFloat(v) || 0; }); }
    function wrap(label) {  /* two lines at the space nearest the middle ("Ordered in 30 days") */
      label = String(label);
      if (label.length <= 10) return label;
      var mid = label.length / 2, best = -1;
      for (var i = 0; i < label.length; i++) {
        if (label[i] === " " && (best < 0 || Math.abs(i - mid) < Math.abs(best - mid))) best = i;
      }
      return best < 0 ? label : label.slice(0, best) + "\n" + label.slice(best + 1);
    }
    function short(label) { label = String(label); return label.length > 12 ? label.slice(0, 11) + "…" : label; }
    function chart(name, option) {
      var el = document.querySelector('[data-chart="' + name + '"]');
      if (!el) return;
      var c = window.echarts.init(el, null, {renderer: "svg"});
      option.animation = false;
      option.textStyle = {fontFamily: "inherit"};
      c.setOption(option);
      charts.push(c);
    }
    var grid = {left: 8, right: 8, top: 36, bottom: 8, containLabel: true};

    var s = data.sales;
    chart("sales", {
      grid: grid,
      legend: {top: 0, itemGap: 24, data: [text.orders, text.gmv]},
      tooltip: {trigger: "axis", valueFormatter: null},
      xAxis: {type: "category", data: s.labels, axisLabel: {hideOverlap: true}},
      yAxis: [{type: "value", minInterval: 1, axisLabel: {formatter: function (v) { return count.format(v); }}},
              {type: "value", splitLine: {show: false},
               axisLabel: {formatter: function (v) { return money.format(v).replace(/\.00$/, ""); }}}],
      series: [
        {name: text.orders, type: "bar", data: s.orders, barMaxWidth: 24, itemStyle: {color: second},
         tooltip: {valueFormatter: function (v) { return count.format(v); }}},
        {name: text.gmv, type: "line", yAxisIndex: 1, data: num(s.gmv), itemStyle: {color: brand},
         showSymbol: s.labels.length <= 31, tooltip: {valueFormatter: function (v) { return money.format(v); }}}
      ]
    });

    var membersBox = document.querySelector('[data-chart="members"]');
    var third = membersBox ? Math.max(56, Math.floor(membersBox.clientWidth / 3) - 16) : 100;
    chart("members", {
      grid: {left: 8, right: 8, top: 24, bottom: 8, containLabel: true},
      tooltip: {trigger: "axis", valueFormatter: function (v) { return count.format(v); }},
      xAxis: {type: "category", data: data.members.labels, axisLabel: {interval: 0, width: third, overflow: "truncate", lineHeight: 15,
                 formatter: function (l) { return String(l).length * 7 > third ? wrap(l) : l; }}},
      yAxis: {type: "value", minInterval: 1, axisLabel: {formatter: function (v) { return count.format(v); }}},
      series: [{type: "bar", data: data.members.values, barMaxWidth: 56, itemStyle: {color: second},
                label: {show: true, position: "top", formatter: function (p) { return count.format(p.value); }}}]
    });

    if (data.products.labels.length) {
      chart("products", {
        grid: {left: 20, right: 24, top: 8, bottom: 24, containLabel: true},
        tooltip: {trigger: "axis", valueFormatter: function (v) { return money.format(v); }},
        xAxis: {type: "value", axisLabel: {hideOverlap: true,
                formatter: function (v) { return money.format(v).replace(/\.00$/, ""); }}},
        yAxis: {type: "category", data: data.products.labels, inverse: true,
                axisLabel: {width: 120, overflow: "truncate"}},
        series: [{name: text.amount, type: "bar", data: num(data.products.amounts), barMaxWidth: 24,
                  itemStyle: {color: brand}}]
      });
    }

    chart("rounds", {
      tooltip: {trigger: "item", formatter: function (p) { return p.name + ": " + count.format(p.value) + " (" + p.percent + "%)"; }},
      legend: {bottom: 0},
      series: [{name: text.rounds, type: "pie", radius: ["40%", "68%"], center: ["50%", "44%"],
                label: {formatter: function (p) { return count.format(p.value); }},
                data: [{name: data.rounds.labels[0], value: data.rounds.values[0], itemStyle: {color: "#16a34a"}},
                       {name: data.rounds.labels[1], value: data.rounds.values[1], itemStyle: {color: "#9ca3af"}}]}]
    });

    if (data.branches && data.branches.labels.length) {
      chart("branches", {
        grid: grid,
        tooltip: {trigger: "axis", valueFormatter: function (v) { return money.format(v); }},
        xAxis: {type: "category", data: data.branches.labels, axisLabel: {formatter: short, interval: 0, rotate: data.branches.labels.length > 4 ? 30 : 0}},
        yAxis: {type: "value", axisLabel: {formatter: function (v) { return money.format(v).replace(/\.00$/, ""); }}},
        series: [{name: text.gmv, type: "bar", data: num(data.branches.gmv), barMaxWidth: 56, itemStyle: {color: brand}}]
      });
    }

    var pending;
    window.addEventListener("resize", function () {
      clearTimeout(pending);
      pending = setTimeout(function () { charts.forEach(function (c) { c.resize(); }); }, 150);
    });
  }

  function start() { pickerFields(); draw(); }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
