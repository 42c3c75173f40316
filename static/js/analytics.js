/* The analytics dashboard: draws each section's chart with window.echarts (SVG) from the JSON the
   page embeds (#analytics-data): the overview's own charts, and on every page the charts it describes
   in data.charts (analytics/pages.py), and shows the month or the custom dates of the period picker only
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
    if (s) chart("sales", {
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

    if (data.members) {
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

    }
    if (data.products && data.products.labels.length) {
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

    if (data.rounds) chart("rounds", {
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

    /* Charts described by the page (analytics/pages.py): kind bars | hbars | line | pie. */
    var palette = [brand, second, "#16a34a", "#f59e0b", "#8b5cf6", "#9ca3af", "#0ea5e9", "#db2777"];
    function fmt(isMoney) { return function (v) { return isMoney ? money.format(v) : count.format(v); }; }
    function axisFmt(isMoney) {
      return function (v) { return isMoney ? money.format(v).replace(/\.00$/, "") : count.format(v); };
    }
    Object.keys(data.charts || {}).forEach(function (name) {
      var spec = data.charts[name], series = spec.series || [];
      if (!spec.labels || !spec.labels.length) return;
      if (spec.kind === "pie") {
        var first = series[0] || {values: []};
        chart(name, {
          tooltip: {trigger: "item", formatter: function (p) { return p.name + ": " + fmt(first.money)(p.value) + " (" + p.percent + "%)"; }},
          legend: {bottom: 0, type: "scroll"},
          series: [{name: first.name, type: "pie", radius: ["40%", "68%"], center: ["50%", "44%"],
                    label: {formatter: function (p) { return fmt(first.money)(p.value); }},
                    data: spec.labels.map(function (l, i) {
                      return {name: l, value: parseFloat(first.values[i]) || 0, itemStyle: {color: palette[i % palette.length]}};
                    })}]
        });
        return;
      }
      var horizontal = spec.kind === "hbars";
      var twoAxes = series.some(function (s) { return s.axis === 1; });
      var valueAxes = [0, 1].slice(0, twoAxes ? 2 : 1).map(function (i) {
        var onIt = series.filter(function (s) { return (s.axis || 0) === i; });
        var isMoney = onIt.length > 0 && onIt.every(function (s) { return s.money; });
        return {type: "value", minInterval: isMoney ? 0 : 1, splitLine: {show: i === 0},
                axisLabel: {hideOverlap: true, formatter: axisFmt(isMoney)}};
      });
      var category = {type: "category", data: spec.labels, inverse: horizontal,
                      axisLabel: horizontal ? {width: 120, overflow: "truncate"}
                                            : {hideOverlap: true, formatter: spec.labels.length > 6 ? short : null}};
      chart(name, {
        grid: {left: horizontal ? 20 : 8, right: horizontal ? 36 : 8, top: series.length > 1 ? 36 : 16, bottom: 8, containLabel: true},
        legend: series.length > 1 ? {top: 0, itemGap: 24} : undefined,
        tooltip: {trigger: "axis"},
        xAxis: horizontal ? valueAxes[0] : category,
        yAxis: horizontal ? category : valueAxes,
        series: series.map(function (s, i) {
          var line = spec.kind === "line" || s.type === "line";
          return {name: s.name, type: line ? "line" : "bar", data: num(s.values), yAxisIndex: horizontal ? 0 : (s.axis || 0),
                  barMaxWidth: horizontal ? 24 : 40, showSymbol: spec.labels.length <= 31,
                  itemStyle: {color: s.color || palette[i % palette.length]},
                  label: spec.values_on_bars ? {show: true, position: horizontal ? "right" : "top", formatter: function (p) { return fmt(s.money)(p.value); }} : undefined,
                  tooltip: {valueFormatter: fmt(s.money)}};
        })
      });
    });

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
