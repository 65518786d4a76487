"""`/t.js`: the first-party tracking snippet a merchant adds to its site.

On a page opened with `?via=CODE` (or `?ref=CODE`) it records the click through
`POST /api/v1/track/click` and keeps the click id in an `sl_click` cookie on the merchant's
own domain, where the checkout can read it (pass it to Stripe as `client_reference_id`).
"""

from __future__ import annotations

_TEMPLATE = """(function () {
  var params = new URLSearchParams(window.location.search);
  var code = params.get("via") || params.get("ref");
  if (!code) return;
  fetch("__ENDPOINT__", {
    method: "POST",
    body: JSON.stringify({code: code, url: window.location.href, referer: document.referrer}),
    keepalive: true
  }).then(function (r) { return r.ok ? r.json() : null; }).then(function (d) {
    if (!d || !d.click_id) return;
    document.cookie = "sl_click=" + encodeURIComponent(d.click_id) + "; Max-Age=__MAX_AGE__" +
      "; Path=/; SameSite=Lax" + (window.location.protocol === "https:" ? "; Secure" : "");
  }).catch(function () {});
})();
"""


def tracking_snippet(endpoint: str, cookie_days: int) -> str:
    """The script, pointing at the service's click endpoint."""
    return (_TEMPLATE.replace("__ENDPOINT__", endpoint.replace('"', "%22"))
            .replace("__MAX_AGE__", str(cookie_days * 86_400)))
