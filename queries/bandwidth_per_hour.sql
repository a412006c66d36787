-- Bandwidth per hour: bytes sent each hour (UTC), in bytes and MiB, with the request count.
-- Needs: ts, bytes (common, combined). A `-` byte count is not counted.
-- Parameters:
--   $since: first instant to count, e.g. 2025-02-14, or epoch seconds (default 1970-01-01)
SELECT date_trunc('hour', ts) AS hour,
       count(*) AS requests,
       coalesce(sum(bytes), 0) AS bytes,
       round(coalesce(sum(bytes), 0) / 1048576.0, 2) AS mib
FROM logs
WHERE ts >= to_timestamp($since)
GROUP BY hour
ORDER BY hour;
