-- Error rate over time: requests, 4xx and 5xx per hour (UTC), and the share that failed.
-- Needs: ts, status (common, combined).
-- Parameters:
--   $since: first instant to count, e.g. 2025-02-14, 2025-02-14T06:00:00Z or epoch seconds (default 1970-01-01)
SELECT date_trunc('hour', ts) AS hour,
       count(*) AS requests,
       count(*) FILTER (WHERE status BETWEEN 400 AND 499) AS client_errors,
       count(*) FILTER (WHERE status BETWEEN 500 AND 599) AS server_errors,
       round(100.0 * count(*) FILTER (WHERE status >= 400) / count(*), 2) AS error_pct
FROM logs
WHERE ts >= to_timestamp($since)
GROUP BY hour
ORDER BY hour;
