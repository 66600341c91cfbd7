// woo review: keyboard shortcuts and "box the selection". The page works without it (plain forms);
// nothing here computes redactions: every change is a form POST the server checks.
(function () {
  "use strict";
  function typing(el) {
    return el && (el.tagName === "INPUT" || el.tagName === "TEXTAREA" || el.tagName === "SELECT" || el.isContentEditable);
  }
  function go(url) { if (url) { window.location.assign(url); } }
  function selected() {
    var s = window.getSelection ? String(window.getSelection()) : "";
    return s.replace(/\s+/g, " ").trim();
  }
  function boxSelection() {
    var text = selected();
    var add = document.getElementById("add-text");
    if (!text && add && add.value.trim()) { text = add.value.trim(); }
    if (text.length < 2) { return false; }
    document.getElementById("x-text").value = text;
    var ground = document.getElementById("add-ground");
    if (ground) { document.getElementById("x-ground").value = ground.value; }
    document.getElementById("x-form").submit();
    return true;
  }
  document.addEventListener("DOMContentLoaded", function () {
    // a "mogelijk naam" word: one click selects it (then x boxes it)
    document.querySelectorAll("u.maybe").forEach(function (u) {
      u.addEventListener("click", function () {
        var r = document.createRange();
        r.selectNodeContents(u);
        var s = window.getSelection();
        s.removeAllRanges();
        s.addRange(r);
        var add = document.getElementById("add-text");
        if (add) { add.value = u.textContent; }
      });
    });
    // selecting text in the document fills the "Box a text" field
    var doc = document.getElementById("doc");
    if (doc) {
      doc.addEventListener("mouseup", function () {
        var t = selected();
        var add = document.getElementById("add-text");
        if (t.length >= 2 && add) { add.value = t; }
      });
    }
    var sel = document.querySelector("a.box.current, #boxinfo");
    if (sel && sel.dataset.key) {
      var mark = document.querySelector('a.box[data-key="' + CSS.escape(sel.dataset.key) + '"]');
      if (mark) { mark.classList.add("current"); }
    }
  });
  document.addEventListener("keydown", function (e) {
    if (e.ctrlKey || e.metaKey || e.altKey || typing(e.target)) { return; }
    var nav = document.querySelector(".docnav");
    var key = e.key;
    if (key === "j" && nav) { go(nav.dataset.next); }
    else if (key === "k" && nav) { go(nav.dataset.prev); }
    else if (key === "a" || key === "r") {
      var form = document.getElementById(key === "a" ? "accept-form" : "reject-form");
      if (form) { form.submit(); }
      else {
        var first = document.querySelector("a.box.proposed[data-key], a.box[data-key]:not([data-key=''])");
        if (first) { go(first.href); }
      }
    } else if (key === "x") { if (!boxSelection()) { return; } }
    else { return; }
    e.preventDefault();
  });
})();
