/* LeadPulse snippet: page views, tracked link clicks and form sign-ups, batched to
   /v1/collect with navigator.sendBeacon. No dependencies. Honors Do-Not-Track and Global
   Privacy Control as configured: when they apply, it sends nothing and sets no cookie.
   <script src="https://ingest.example/lp.js" data-write-key="wk_..." async></script> */
(function (w, d) {
  "use strict";
  var C = /*LP_CONFIG*/ { dnt: true, gpc: true, days: 395 };
  if (w.__leadpulse) return;
  var n = w.navigator;
  if ((C.gpc && n.globalPrivacyControl === true) ||
      (C.dnt && (n.doNotTrack === "1" || w.doNotTrack === "1" || n.msDoNotTrack === "1"))) {
    w.__leadpulse = { off: true };
    return;
  }
  var tag = d.currentScript || d.querySelector("script[data-write-key]");
  if (!tag) return;
  var key = tag.getAttribute("data-write-key");
  var endpoint = tag.getAttribute("data-endpoint") ||
    new URL(tag.src, w.location.href).origin + "/v1/collect";
  var queue = [], timer = null;

  function uuid() {
    if (w.crypto && w.crypto.randomUUID) return w.crypto.randomUUID();
    return "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx".replace(/[xy]/g, function (c) {
      var r = (Math.random() * 16) | 0;
      return (c === "x" ? r : (r & 3) | 8).toString(16);
    });
  }

  function visitorId() {
    var m = d.cookie.match(/(?:^|;\s*)lp_id=([^;]+)/);
    var id = m ? decodeURIComponent(m[1]) : uuid();
    d.cookie = "lp_id=" + encodeURIComponent(id) + "; Max-Age=" + C.days * 86400 +
      "; Path=/; SameSite=Lax" + (w.location.protocol === "https:" ? "; Secure" : "");
    return id;
  }
  var anonymousId = visitorId();

  function campaign() {
    var out = {}, q = new URLSearchParams(w.location.search);
    ["source", "medium", "campaign", "term", "content"].forEach(function (k) {
      var v = q.get("utm_" + k);
      if (v) out[k === "campaign" ? "name" : k] = v;
    });
    return out;
  }

  function page() {
    return { url: w.location.href, path: w.location.pathname, referrer: d.referrer,
      title: d.title, search: w.location.search };
  }

  function send(msg) {
    msg.messageId = uuid();
    msg.anonymousId = anonymousId;
    msg.timestamp = new Date().toISOString();
    msg.context = { page: page(), campaign: campaign(), locale: n.language,
      userAgent: n.userAgent, library: { name: "leadpulse.js", version: "1" } };
    if (msg.userHash) { msg.context.userHash = msg.userHash; delete msg.userHash; }
    queue.push(msg);
    if (queue.length >= 20) flush();
    else if (!timer) timer = setTimeout(flush, 2000);
  }

  function flush() {
    if (timer) { clearTimeout(timer); timer = null; }
    while (queue.length) {
      var body = JSON.stringify({ writeKey: key, sentAt: new Date().toISOString(),
        batch: queue.splice(0, 50) });
      var blob = new Blob([body], { type: "text/plain" });
      if (!(n.sendBeacon && n.sendBeacon(endpoint, blob)) && w.fetch) {
        w.fetch(endpoint, { method: "POST", body: body, keepalive: true,
          headers: { "Content-Type": "text/plain" } }).catch(function () {});
      }
    }
  }

  function closest(el, selector) {
    while (el && el.nodeType === 1) {
      if (el.matches(selector)) return el;
      el = el.parentNode;
    }
    return null;
  }

  d.addEventListener("click", function (e) {
    var a = closest(e.target, "a[href]");
    if (!a) return;
    var url = new URL(a.href, w.location.href);
    var named = a.getAttribute("data-lp-event");
    var download = a.hasAttribute("download") || /\.(pdf|docx?|xlsx?|pptx?|zip|csv)$/i.test(url.pathname);
    var tracked = named || download || a.hasAttribute("data-lp-track") ||
      url.origin !== w.location.origin;
    if (!tracked) return;
    send({ type: "track", event: named || (download ? "Content Downloaded" : "Link Clicked"),
      properties: { url: url.href, text: (a.textContent || "").trim().slice(0, 100) } });
    flush();
  }, true);

  d.addEventListener("submit", function (e) {
    var form = e.target;
    if (!form || form.nodeName !== "FORM" || form.hasAttribute("data-lp-ignore")) return;
    var traits = {}, email = null;
    Array.prototype.forEach.call(form.elements, function (el) {
      var type = (el.type || "").toLowerCase(), name = el.name;
      if (!name || !el.value || /password|hidden|file|submit|button/.test(type)) return;
      if (/card|cc-|cvc|ssn|iban/i.test(name)) return;
      if (type === "email" || /^e-?mail$/i.test(name)) email = el.value.trim();
      else if (type !== "checkbox" && type !== "radio") traits[name] = el.value.slice(0, 200);
    });
    if (!email || email.indexOf("@") < 1) return;
    traits.email = email;
    var formName = form.getAttribute("data-lp-form") || form.id || form.getAttribute("name") ||
      new URL(form.action || w.location.href, w.location.href).pathname;
    send({ type: "identify", traits: traits });
    send({ type: "track", event: "Form Submitted", properties: { form: formName } });
    var custom = form.getAttribute("data-lp-event");
    if (custom) send({ type: "track", event: custom, properties: { form: formName } });
    flush();
  }, true);

  w.addEventListener("pagehide", flush);
  d.addEventListener("visibilitychange", function () {
    if (d.visibilityState === "hidden") flush();
  });

  w.__leadpulse = {
    track: function (event, properties) {
      send({ type: "track", event: String(event), properties: properties || {} });
    },
    identify: function (traits) { send({ type: "identify", traits: traits || {} }); },
    page: function () { send({ type: "page", properties: page() }); },
    flush: flush
  };
  // A signed-in person, vouched for by the site's backend: an HMAC of the id it renders.
  var uid = tag.getAttribute("data-user-id"), mail = tag.getAttribute("data-user-email");
  if ((uid || mail) && tag.getAttribute("data-user-hash")) {
    var known = { type: "identify", traits: mail ? { email: mail } : {},
      userHash: tag.getAttribute("data-user-hash") };
    if (uid) known.userId = uid;
    send(known);
  }
  send({ type: "page", properties: page() });
})(window, document);
