-- One request, repeated: wrk -s request.lua URL -- METHOD AUTHORIZATION [BODY]
-- METHOD is GET or POST; AUTHORIZATION is a whole header value, or "-" for none; BODY,
-- for POST, is an application/x-www-form-urlencoded string. bench/run.py passes them.
-- At the end one JSON line on stdout carries the counts and the latency percentiles.

function init(args)
  wrk.method = args[1]
  if args[2] ~= "-" then
    wrk.headers["Authorization"] = args[2]
  end
  if args[3] ~= nil then
    wrk.body = args[3]
    wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
  end
end

function done(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "bytes": %d, "connect_errors": %d, ' ..
    '"read_errors": %d, "write_errors": %d, "status_errors": %d, "timeouts": %d, ' ..
    '"p50_us": %d, "p99_us": %d, "max_us": %d}\n',
    summary.requests, summary.duration, summary.bytes, errors.connect, errors.read,
    errors.write, errors.status, errors.timeout, latency:percentile(50),
    latency:percentile(99), latency.max))
end
