-- Attack scans: requests for paths vulnerability scanners probe (WordPress logins, .env and
-- .git files, PHP admin tools, shells) or with `..` path traversal, per path.
-- Needs: path, client, status (common, combined).
SELECT path,
       count(*) AS requests,
       count(DISTINCT client) AS clients,
       count(*) FILTER (WHERE status BETWEEN 200 AND 299) AS succeeded
FROM logs
WHERE path LIKE '%..%'
   OR lower(path) IN ('/wp-login.php', '/xmlrpc.php', '/.env', '/.git/config', '/phpmyadmin/', '/shell.php')
   OR lower(path) LIKE '/wp-admin%'
   OR lower(path) LIKE '%/.env'
   OR lower(path) LIKE '%/.git/%'
GROUP BY path
ORDER BY requests DESC, path;
