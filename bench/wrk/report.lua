-- Prints one line per run: throughput, latency percentiles and every kind of error, so each
-- workload's figure reads the same. Loaded by the other scripts, or given alone with -s.
function done(summary, latency, requests)
  local seconds = summary.duration / 1e6
  local e = summary.errors
  local non2xx = e.status
  io.write(string.format(
    "RESULT requests=%d rps=%.0f p50=%.2fms p95=%.2fms p99=%.2fms max=%.2fms " ..
    "connect_err=%d read_err=%d write_err=%d timeouts=%d non_2xx=%d\n",
    summary.requests, summary.requests / seconds,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000,
    e.connect, e.read, e.write, e.timeout, non2xx))
end
