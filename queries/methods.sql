-- Methods: requests per HTTP method, with the share of each (NULL: request lines that do not
-- split, such as `-` or TLS handshakes sent to a plain-HTTP port).
-- Needs: method (common, combined).
SELECT method, count(*) AS requests, round(100.0 * count(*) / sum(count(*)) OVER (), 2) AS pct
FROM logs
GROUP BY method
ORDER BY requests DESC, method NULLS LAST;
