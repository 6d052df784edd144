// A single-page app: CloudFront answers unknown paths with index.html, and /api/* goes
// to the load balancer.
fetch("/api/health")
  .then((response) => response.text())
  .then((text) => { document.getElementById("app").textContent = `API says: ${text}`; })
  .catch(() => { document.getElementById("app").textContent = "API unreachable"; });
