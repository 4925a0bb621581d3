-- A user's standing in every circle, read at once for the standings cache
-- (circle/standingcache.go): their pending requests and their bans, by user.
CREATE INDEX circle_join_requests_user ON circle_join_requests (user_id) WHERE status = 'pending';
CREATE INDEX circle_bans_user ON circle_bans (user_id);
