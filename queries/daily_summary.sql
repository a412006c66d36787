-- Daily summary: per day (UTC), requests, distinct clients, bytes, and 4xx and 5xx counts.
-- Needs: ts, client, bytes, status (common, combined).
SELECT date_trunc('day', ts) AS day,
       count(*) AS requests,
       count(DISTINCT client) AS clients,
       coalesce(sum(bytes), 0) AS bytes,
       count(*) FILTER (WHERE status BETWEEN 400 AND 499) AS client_errors,
       count(*) FILTER (WHERE status BETWEEN 500 AND 599) AS server_errors
FROM logs
GROUP BY day
ORDER BY day;
