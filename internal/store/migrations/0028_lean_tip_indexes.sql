-- Each index is one more page to write for every tip. No query reads tips
-- by tipper and circle: the daily cap has tip_daily, and a tipper's
-- totals per post live in post_tippers.
DROP INDEX tips_tipper_circle;
