/* escotttest: the fake gateway's card tokenisation script. It mimics the
   interface of the real CdGetJavaScript.do: SpsvApi.spsvCreateToken(...)
   calls the function named by the script tag's callBackFunc attribute with
   (token, maskedCardNo); a falsy token means failure. */
(function () {
  "use strict";
  var me = document.currentScript || document.querySelector("script.spsvToken");
  var cbName = me ? me.getAttribute("callBackFunc") : null;
  var origin = me ? new URL(me.src, document.baseURI).origin : "";
  var authCode = {{.AuthCode}};

  function finish(token, masked) {
    var cb = cbName ? window[cbName] : null;
    if (typeof cb === "function") {
      cb(token, masked);
    }
  }

  window.SpsvApi = {
    spsvCreateToken: function (cardNo, expYY, expMM, secCd, birthMM, birthDD, telLast4, kanaSei, kanaMei) {
      var body = new URLSearchParams();
      body.set("k_TokenNinsyoCode", authCode);
      body.set("cardNo", String(cardNo || ""));
      body.set("expYY", String(expYY || ""));
      body.set("expMM", String(expMM || ""));
      body.set("secCd", String(secCd || ""));
      var xhr = new XMLHttpRequest();
      xhr.open("POST", origin + "{{.MintPath}}");
      xhr.setRequestHeader("Content-Type", "application/x-www-form-urlencoded");
      xhr.onload = function () {
        var r = null;
        try { r = JSON.parse(xhr.responseText); } catch (e) { r = null; }
        if (r && r.token) {
          finish(r.token, r.masked);
        } else {
          finish("", "");
        }
      };
      xhr.onerror = function () { finish("", ""); };
      xhr.send(body.toString());
    }
  };
})();
