// Tells the server the visitor's time zone, as the browser knows it, in the "tz"
// cookie, so that the next pages also show times in it ("Your time (Asia/Tokyo)").
// The server checks the name before using it; logged-in people get their profile's
// zone instead. Without JavaScript, pages show the offering's zone and UTC.
(function () {
  var zone;
  try {
    zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  } catch (error) {
    return;
  }
  // IANA names only (Africa/Nairobi, Etc/GMT+3): nothing that could break the cookie.
  if (!zone || !/^[A-Za-z0-9_+\-\/]{1,64}$/.test(zone)) {
    return;
  }
  if (document.cookie.split("; ").indexOf("tz=" + zone) !== -1) {
    return;
  }
  var secure = window.location.protocol === "https:" ? "; Secure" : "";
  document.cookie = "tz=" + zone + "; path=/; max-age=31536000; SameSite=Lax" + secure;
})();
