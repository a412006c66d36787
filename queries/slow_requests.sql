-- Slow requests: the slowest requests, by their time to serve.
-- Needs: duration_ms, ts, client, uri, status. Only formats that log a duration have
-- duration_ms: an Apache LogFormat with %D or %T, an nginx log_format with $request_time, or
-- W3C/IIS time-taken (e.g. --format 'apache:%h %l %u %t "%r" %>s %b "%{Referer}i"
-- "%{User-Agent}i" %D'). On combined and common it fails with "No field named duration_ms".
-- Parameters:
--   $limit: how many requests to show (default 20)
SELECT ts, client, uri, status, duration_ms
FROM logs
ORDER BY duration_ms DESC, ts
LIMIT $limit;
