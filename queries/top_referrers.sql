-- Top referrers: the pages that sent visitors here (empty and `-` referers left out).
-- Needs: referer (combined).
-- Parameters:
--   $limit: how many referrers to show (default 10)
SELECT referer, count(*) AS requests
FROM logs
WHERE referer IS NOT NULL AND referer <> ''
GROUP BY referer
ORDER BY requests DESC, referer
LIMIT $limit;
