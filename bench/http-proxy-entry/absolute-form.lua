-- wrk script: every request names its destination as an absolute URL (RFC 9112 §3.2.2), e.g.
-- "GET http://upstream.bench/ HTTP/1.1" with "Host: upstream.bench", as curl sends it through http_proxy;
-- then the harness's own script (MESHWORK_WRK_REPORT_SCRIPT: pacing, the RESULT line) runs unchanged.
local absolute = os.getenv("MESHWORK_WRK_ABSOLUTE_URL") or ""
local authority = absolute:match("^http://([^/?#]+)")
if not authority then
  error("MESHWORK_WRK_ABSOLUTE_URL must be an http:// URL, got '" .. absolute .. "'")
end
wrk.path = absolute
wrk.headers["Host"] = authority

local report = os.getenv("MESHWORK_WRK_REPORT_SCRIPT") or ""
if report ~= "" then dofile(report) end
